package xfrm

import (
	"fmt"

	"github.com/goswan/goswan/internal/kernel"
)

// IKEv2 transform IDs (IANA, and strongSwan's private ones above 1023).
const (
	encrDES              = 2
	encr3DES             = 3
	encrCAST             = 6
	encrBlowfish         = 7
	encrNull             = 11
	encrAESCBC           = 12
	encrAESCTR           = 13
	encrAESCCM8          = 14
	encrAESCCM12         = 15
	encrAESCCM16         = 16
	encrAESGCM8          = 18
	encrAESGCM12         = 19
	encrAESGCM16         = 20
	encrNullAuthAESGMAC  = 21
	encrCamelliaCBC      = 23
	encrChaCha20Poly1305 = 28
	encrSerpentCBC       = 1026
	encrTwofishCBC       = 1027

	authHMACMD596     = 1
	authHMACSHA196    = 2
	authAESXCBC96     = 5
	authHMACMD5128    = 6
	authHMACSHA1160   = 7
	authAESCMAC96     = 8
	authHMACSHA256128 = 12
	authHMACSHA384192 = 13
	authHMACSHA512256 = 14
	authHMACSHA25696  = 1026
	authHMACSHA256256 = 1027
	authHMACSHA384384 = 1028
	authHMACSHA512512 = 1029
)

// encrAlg is how the kernel knows an IKEv2 encryption algorithm: its
// crypto API name and, for AEADs, the ICV length in bits.
type encrAlg struct {
	name   string // strongSwan's name, for logs
	kernel string
	icv    uint32 // 0: not an AEAD
}

// The kernel's canonical names (net/xfrm/xfrm_algo.c); charon's table
// uses some older aliases ("aes" for "cbc(aes)") the kernel maps to these.
var encrAlgs = map[uint16]encrAlg{
	encrDES:              {"DES_CBC", "cbc(des)", 0},
	encr3DES:             {"3DES_CBC", "cbc(des3_ede)", 0},
	encrCAST:             {"CAST_CBC", "cbc(cast5)", 0},
	encrBlowfish:         {"BLOWFISH_CBC", "cbc(blowfish)", 0},
	encrNull:             {"NULL", "ecb(cipher_null)", 0},
	encrAESCBC:           {"AES_CBC", "cbc(aes)", 0},
	encrAESCTR:           {"AES_CTR", "rfc3686(ctr(aes))", 0},
	encrAESCCM8:          {"AES_CCM_8", "rfc4309(ccm(aes))", 64},
	encrAESCCM12:         {"AES_CCM_12", "rfc4309(ccm(aes))", 96},
	encrAESCCM16:         {"AES_CCM_16", "rfc4309(ccm(aes))", 128},
	encrAESGCM8:          {"AES_GCM_8", "rfc4106(gcm(aes))", 64},
	encrAESGCM12:         {"AES_GCM_12", "rfc4106(gcm(aes))", 96},
	encrAESGCM16:         {"AES_GCM_16", "rfc4106(gcm(aes))", 128},
	encrNullAuthAESGMAC:  {"NULL_AES_GMAC", "rfc4543(gcm(aes))", 128},
	encrCamelliaCBC:      {"CAMELLIA_CBC", "cbc(camellia)", 0},
	encrChaCha20Poly1305: {"CHACHA20_POLY1305", "rfc7539esp(chacha20,poly1305)", 128},
	encrSerpentCBC:       {"SERPENT_CBC", "cbc(serpent)", 0},
	encrTwofishCBC:       {"TWOFISH_CBC", "cbc(twofish)", 0},
}

// integAlg is how the kernel knows an IKEv2 integrity algorithm: its name
// and the truncation of the ICV in bits (always passed explicitly with
// XFRMA_ALG_AUTH_TRUNC, so no kernel default applies).
type integAlg struct {
	name   string
	kernel string
	trunc  uint32
}

var integAlgs = map[uint16]integAlg{
	authHMACMD596:     {"HMAC_MD5_96", "hmac(md5)", 96},
	authHMACMD5128:    {"HMAC_MD5_128", "hmac(md5)", 128},
	authHMACSHA196:    {"HMAC_SHA1_96", "hmac(sha1)", 96},
	authHMACSHA1160:   {"HMAC_SHA1_160", "hmac(sha1)", 160},
	authAESXCBC96:     {"AES_XCBC_96", "xcbc(aes)", 96},
	authAESCMAC96:     {"AES_CMAC_96", "cmac(aes)", 96},
	authHMACSHA25696:  {"HMAC_SHA2_256_96", "hmac(sha256)", 96},
	authHMACSHA256128: {"HMAC_SHA2_256_128", "hmac(sha256)", 128},
	authHMACSHA256256: {"HMAC_SHA2_256_256", "hmac(sha256)", 256},
	authHMACSHA384192: {"HMAC_SHA2_384_192", "hmac(sha384)", 192},
	authHMACSHA384384: {"HMAC_SHA2_384_384", "hmac(sha384)", 384},
	authHMACSHA512256: {"HMAC_SHA2_512_256", "hmac(sha512)", 256},
	authHMACSHA512512: {"HMAC_SHA2_512_512", "hmac(sha512)", 512},
}

// appendEncr appends XFRMA_ALG_CRYPT or XFRMA_ALG_AEAD for an encryption
// algorithm (the key includes the salt of AEADs and counter modes).
func appendEncr(b []byte, a kernel.Algorithm) ([]byte, error) {
	alg, ok := encrAlgs[a.ID]
	if !ok {
		return b, fmt.Errorf("algorithm %s not supported by kernel", encrName(a.ID))
	}
	if alg.icv != 0 {
		p := make([]byte, sizeofAlgoAEAD+len(a.Key))
		copy(p, alg.kernel)
		ne.PutUint32(p[64:], uint32(len(a.Key)*8))
		ne.PutUint32(p[68:], alg.icv)
		copy(p[72:], a.Key)
		b = appendAttr(b, attrAlgAEAD, p)
		clear(p)
		return b, nil
	}
	p := make([]byte, sizeofAlgo+len(a.Key))
	copy(p, alg.kernel)
	ne.PutUint32(p[64:], uint32(len(a.Key)*8))
	copy(p[68:], a.Key)
	b = appendAttr(b, attrAlgCrypt, p)
	clear(p)
	return b, nil
}

// appendInteg appends XFRMA_ALG_AUTH_TRUNC for an integrity algorithm.
func appendInteg(b []byte, a kernel.Algorithm) ([]byte, error) {
	alg, ok := integAlgs[a.ID]
	if !ok {
		return b, fmt.Errorf("algorithm %s not supported by kernel", integName(a.ID))
	}
	p := make([]byte, sizeofAlgoAuth+len(a.Key))
	copy(p, alg.kernel)
	ne.PutUint32(p[64:], uint32(len(a.Key)*8))
	ne.PutUint32(p[68:], alg.trunc)
	copy(p[72:], a.Key)
	b = appendAttr(b, attrAlgAuthTrunc, p)
	clear(p)
	return b, nil
}

func encrName(id uint16) string {
	if a, ok := encrAlgs[id]; ok {
		return a.name
	}
	return fmt.Sprintf("ENCR_%d", id)
}

func integName(id uint16) string {
	if a, ok := integAlgs[id]; ok {
		return a.name
	}
	return fmt.Sprintf("AUTH_%d", id)
}
