package crypto

// keyword is one algorithm token of a strongSwan proposal string
// (libstrongswan/crypto/proposal/proposal_keywords_static.txt).
type keyword struct {
	t      TransformType
	id     uint16
	keyLen uint16
}

// keywords holds the tokens for transforms this package implements (or, for
// ESP, whose keys it can derive); case-sensitive, like strongSwan's.
var keywords = withGeneratedKeywords(map[string]keyword{
	"null": {TransformENCR, EncrNull, 0},
	"3des": {TransformENCR, Encr3DES, 0},

	"aes":    {TransformENCR, EncrAESCBC, 128},
	"aes128": {TransformENCR, EncrAESCBC, 128},
	"aes192": {TransformENCR, EncrAESCBC, 192},
	"aes256": {TransformENCR, EncrAESCBC, 256},

	"aes128ctr": {TransformENCR, EncrAESCTR, 128},
	"aes192ctr": {TransformENCR, EncrAESCTR, 192},
	"aes256ctr": {TransformENCR, EncrAESCTR, 256},

	"chacha20poly1305":       {TransformENCR, EncrChaCha20Poly1305, 0},
	"chacha20poly1305compat": {TransformENCR, EncrChaCha20Poly1305, 256},

	"sha":          {TransformINTEG, AuthHMACSHA196, 0},
	"sha1":         {TransformINTEG, AuthHMACSHA196, 0},
	"sha256":       {TransformINTEG, AuthHMACSHA256128, 0},
	"sha2_256":     {TransformINTEG, AuthHMACSHA256128, 0},
	"sha384":       {TransformINTEG, AuthHMACSHA384192, 0},
	"sha2_384":     {TransformINTEG, AuthHMACSHA384192, 0},
	"sha512":       {TransformINTEG, AuthHMACSHA512256, 0},
	"sha2_512":     {TransformINTEG, AuthHMACSHA512256, 0},
	"aesxcbc":      {TransformINTEG, AuthAESXCBC96, 0},
	"aescmac":      {TransformINTEG, AuthAESCMAC96, 0},
	"prfsha1":      {TransformPRF, PRFHMACSHA1, 0},
	"prfsha256":    {TransformPRF, PRFHMACSHA2256, 0},
	"prfsha384":    {TransformPRF, PRFHMACSHA2384, 0},
	"prfsha512":    {TransformPRF, PRFHMACSHA2512, 0},
	"prfaesxcbc":   {TransformPRF, PRFAES128XCBC, 0},
	"prfaescmac":   {TransformPRF, PRFAES128CMAC, 0},
	"none":         {TransformKE, KENone, 0},
	"modpnone":     {TransformKE, KENone, 0},
	"modp768":      {TransformKE, KEMODP768, 0},
	"modp1024":     {TransformKE, KEMODP1024, 0},
	"modp1536":     {TransformKE, KEMODP1536, 0},
	"modp2048":     {TransformKE, KEMODP2048, 0},
	"modp3072":     {TransformKE, KEMODP3072, 0},
	"modp4096":     {TransformKE, KEMODP4096, 0},
	"modp6144":     {TransformKE, KEMODP6144, 0},
	"modp8192":     {TransformKE, KEMODP8192, 0},
	"ecp256":       {TransformKE, KEECP256, 0},
	"ecp384":       {TransformKE, KEECP384, 0},
	"ecp521":       {TransformKE, KEECP521, 0},
	"modp1024s160": {TransformKE, KEMODP1024s160, 0},
	"modp2048s224": {TransformKE, KEMODP2048s224, 0},
	"modp2048s256": {TransformKE, KEMODP2048s256, 0},
	"curve25519":   {TransformKE, KECurve25519, 0},
	"x25519":       {TransformKE, KECurve25519, 0},
	"curve448":     {TransformKE, KECurve448, 0},
	"x448":         {TransformKE, KECurve448, 0},
	"mlkem512":     {TransformKE, KEMLKEM512, 0},
	"mlkem768":     {TransformKE, KEMLKEM768, 0},
	"mlkem1024":    {TransformKE, KEMLKEM1024, 0},
	"noesn":        {TransformESN, ESNNo, 0},
	"esn":          {TransformESN, ESNYes, 0},
})

// unsupportedKeywords are strongSwan 5.9.8 keywords for algorithms goswan
// does not implement; they get a more helpful error than a typo does.
var unsupportedKeywords = withUnsupportedCamellia(map[string]bool{
	"des": true, "blowfish": true, "blowfish128": true, "blowfish192": true,
	"blowfish256": true, "cast128": true, "serpent": true, "serpent128": true,
	"serpent192": true, "serpent256": true, "twofish": true, "twofish128": true,
	"twofish192": true, "twofish256": true, "md5": true, "md5_128": true,
	"sha1_160": true, "sha256_96": true, "sha2_256_96": true,
	"camelliaxcbc": true, "prfmd5": true, "prfcamelliaxcbc": true,
	"modpnull": true, "ecp192": true, "ecp224": true, "ecp224bp": true,
	"ecp256bp": true, "ecp384bp": true, "ecp512bp": true, "ntru112": true,
	"ntru128": true, "ntru192": true, "ntru256": true, "newhope128": true,
	"aes128gmac": true, "aes192gmac": true, "aes256gmac": true,
})

// withGeneratedKeywords adds aes{128,192,256}{gcm,ccm}{8,64,12,96,16,128,}.
func withGeneratedKeywords(m map[string]keyword) map[string]keyword {
	for _, ks := range []uint16{128, 192, 256} {
		pre := "aes" + itoa(int(ks))
		for _, v := range []struct {
			suffix   []string
			gcm, ccm uint16
		}{
			{[]string{"8", "64"}, EncrAESGCM8, EncrAESCCM8},
			{[]string{"12", "96"}, EncrAESGCM12, EncrAESCCM12},
			{[]string{"16", "128", ""}, EncrAESGCM16, EncrAESCCM16},
		} {
			for _, s := range v.suffix {
				m[pre+"gcm"+s] = keyword{TransformENCR, v.gcm, ks}
				m[pre+"ccm"+s] = keyword{TransformENCR, v.ccm, ks}
			}
		}
	}
	return m
}

// withUnsupportedCamellia adds strongSwan's Camellia keywords.
func withUnsupportedCamellia(m map[string]bool) map[string]bool {
	for _, c := range []string{"camellia", "camellia128", "camellia192", "camellia256",
		"camellia128ctr", "camellia192ctr", "camellia256ctr"} {
		m[c] = true
	}
	for _, ks := range []string{"128", "192", "256"} {
		for _, s := range []string{"8", "64", "12", "96", "16", "128"} {
			m["camellia"+ks+"ccm"+s] = true
		}
	}
	return m
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// keywordFor maps a transform to the shortest keyword that parses to it
// (ties: the lexically smallest), for Proposal.Keywords.
var keywordFor = func() map[Transform]string {
	m := map[Transform]string{}
	for k, kw := range keywords {
		t := Transform{kw.t, kw.id, kw.keyLen}
		if old, ok := m[t]; !ok || len(k) < len(old) || (len(k) == len(old) && k < old) {
			m[t] = k
		}
	}
	return m
}()
