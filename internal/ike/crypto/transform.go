package crypto

import (
	"strconv"
)

// TransformType is the IKEv2 transform type (RFC 7296 §3.3.2, RFC 9370 §3.2).
type TransformType uint16

// Transform types.
const (
	TransformENCR   TransformType = 1
	TransformPRF    TransformType = 2
	TransformINTEG  TransformType = 3
	TransformKE     TransformType = 4 // "Diffie-Hellman Group" before RFC 9370
	TransformESN    TransformType = 5
	TransformADDKE1 TransformType = 6
	TransformADDKE2 TransformType = 7
	TransformADDKE3 TransformType = 8
	TransformADDKE4 TransformType = 9
	TransformADDKE5 TransformType = 10
	TransformADDKE6 TransformType = 11
	TransformADDKE7 TransformType = 12
)

var transformTypeNames = [...]string{
	TransformENCR:   "ENCRYPTION_ALGORITHM",
	TransformPRF:    "PSEUDO_RANDOM_FUNCTION",
	TransformINTEG:  "INTEGRITY_ALGORITHM",
	TransformKE:     "KEY_EXCHANGE_METHOD",
	TransformESN:    "EXTENDED_SEQUENCE_NUMBERS",
	TransformADDKE1: "ADDITIONAL_KEY_EXCHANGE_1",
	TransformADDKE2: "ADDITIONAL_KEY_EXCHANGE_2",
	TransformADDKE3: "ADDITIONAL_KEY_EXCHANGE_3",
	TransformADDKE4: "ADDITIONAL_KEY_EXCHANGE_4",
	TransformADDKE5: "ADDITIONAL_KEY_EXCHANGE_5",
	TransformADDKE6: "ADDITIONAL_KEY_EXCHANGE_6",
	TransformADDKE7: "ADDITIONAL_KEY_EXCHANGE_7",
}

// String returns strongSwan's name of the transform type.
func (t TransformType) String() string {
	if int(t) < len(transformTypeNames) && transformTypeNames[t] != "" {
		return transformTypeNames[t]
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// IsKE reports whether t negotiates a key exchange: the KE transform of
// RFC 7296 or one of the additional key exchanges of RFC 9370.
func (t TransformType) IsKE() bool {
	return t == TransformKE || (t >= TransformADDKE1 && t <= TransformADDKE7)
}

// Encryption algorithm transform IDs (IANA "Transform Type 1").
const (
	EncrDESIV64          uint16 = 1
	EncrDES              uint16 = 2
	Encr3DES             uint16 = 3
	EncrNull             uint16 = 11
	EncrAESCBC           uint16 = 12
	EncrAESCTR           uint16 = 13
	EncrAESCCM8          uint16 = 14
	EncrAESCCM12         uint16 = 15
	EncrAESCCM16         uint16 = 16
	EncrAESGCM8          uint16 = 18
	EncrAESGCM12         uint16 = 19
	EncrAESGCM16         uint16 = 20
	EncrNullAuthAESGMAC  uint16 = 21
	EncrChaCha20Poly1305 uint16 = 28
)

// Pseudo-random function transform IDs (IANA "Transform Type 2").
const (
	PRFHMACMD5     uint16 = 1
	PRFHMACSHA1    uint16 = 2
	PRFAES128XCBC  uint16 = 4
	PRFHMACSHA2256 uint16 = 5
	PRFHMACSHA2384 uint16 = 6
	PRFHMACSHA2512 uint16 = 7
	PRFAES128CMAC  uint16 = 8
)

// Integrity algorithm transform IDs (IANA "Transform Type 3").
const (
	AuthNone          uint16 = 0
	AuthHMACMD596     uint16 = 1
	AuthHMACSHA196    uint16 = 2
	AuthAESXCBC96     uint16 = 5
	AuthAESCMAC96     uint16 = 8
	AuthHMACSHA256128 uint16 = 12
	AuthHMACSHA384192 uint16 = 13
	AuthHMACSHA512256 uint16 = 14
)

// Key exchange method transform IDs (IANA "Transform Type 4", also used by
// the additional key exchange types 6..12 of RFC 9370).
const (
	KENone         uint16 = 0
	KEMODP768      uint16 = 1
	KEMODP1024     uint16 = 2
	KEMODP1536     uint16 = 5
	KEMODP2048     uint16 = 14
	KEMODP3072     uint16 = 15
	KEMODP4096     uint16 = 16
	KEMODP6144     uint16 = 17
	KEMODP8192     uint16 = 18
	KEECP256       uint16 = 19
	KEECP384       uint16 = 20
	KEECP521       uint16 = 21
	KEMODP1024s160 uint16 = 22
	KEMODP2048s224 uint16 = 23
	KEMODP2048s256 uint16 = 24
	KECurve25519   uint16 = 31
	KECurve448     uint16 = 32
	KEMLKEM512     uint16 = 35
	KEMLKEM768     uint16 = 36
	KEMLKEM1024    uint16 = 37
)

// Extended sequence number transform IDs (IANA "Transform Type 5").
const (
	ESNNo  uint16 = 0
	ESNYes uint16 = 1
)

// Transform is one transform of a proposal: its type, IANA ID and, for
// ciphers with a variable key size, the key length in bits (the Key Length
// attribute); KeyLen is 0 where the attribute is absent.
type Transform struct {
	Type   TransformType
	ID     uint16
	KeyLen uint16
}

// Names as strongSwan 5.9.8 prints them (encryption_algorithm_names,
// integrity_algorithm_names, pseudo_random_function_names,
// key_exchange_method_names, extended_sequence_numbers_names).
var (
	encrNames = map[uint16]string{
		1: "DES_IV64", 2: "DES_CBC", 3: "3DES_CBC", 4: "RC5_CBC", 5: "IDEA_CBC",
		6: "CAST_CBC", 7: "BLOWFISH_CBC", 8: "3IDEA", 9: "DES_IV32",
		11: "NULL", 12: "AES_CBC", 13: "AES_CTR", 14: "AES_CCM_8", 15: "AES_CCM_12",
		16: "AES_CCM_16", 18: "AES_GCM_8", 19: "AES_GCM_12", 20: "AES_GCM_16",
		21: "NULL_AES_GMAC", 23: "CAMELLIA_CBC", 24: "CAMELLIA_CTR",
		25: "CAMELLIA_CCM_8", 26: "CAMELLIA_CCM_12", 27: "CAMELLIA_CCM_16",
		28:   "CHACHA20_POLY1305",
		1024: "UNDEFINED", 1025: "DES_ECB", 1026: "SERPENT_CBC",
		1027: "TWOFISH_CBC", 1028: "RC2_CBC", 1029: "AES_ECB", 1030: "AES_CFB",
	}
	prfNames = map[uint16]string{
		1: "PRF_HMAC_MD5", 2: "PRF_HMAC_SHA1", 3: "PRF_HMAC_TIGER",
		4: "PRF_AES128_XCBC", 5: "PRF_HMAC_SHA2_256", 6: "PRF_HMAC_SHA2_384",
		7: "PRF_HMAC_SHA2_512", 8: "PRF_AES128_CMAC",
		1024: "PRF_UNDEFINED", 1025: "PRF_FIPS_SHA1_160", 1026: "PRF_FIPS_DES",
		1027: "PRF_KEYED_SHA1", 1028: "PRF_CAMELLIA128_XCBC",
	}
	integNames = map[uint16]string{
		1: "HMAC_MD5_96", 2: "HMAC_SHA1_96", 3: "DES_MAC", 4: "KPDK_MD5",
		5: "AES_XCBC_96", 6: "HMAC_MD5_128", 7: "HMAC_SHA1_160", 8: "AES_CMAC_96",
		9: "AES_128_GMAC", 10: "AES_192_GMAC", 11: "AES_256_GMAC",
		12: "HMAC_SHA2_256_128", 13: "HMAC_SHA2_384_192", 14: "HMAC_SHA2_512_256",
		1024: "UNDEFINED", 1025: "HMAC_SHA1_128", 1026: "HMAC_SHA2_256_96",
		1027: "HMAC_SHA2_256_256", 1028: "HMAC_SHA2_384_384",
		1029: "HMAC_SHA2_512_512", 1030: "CAMELLIA_XCBC_96",
	}
	keNames = map[uint16]string{
		0: "KE_NONE", 1: "MODP_768", 2: "MODP_1024", 5: "MODP_1536",
		14: "MODP_2048", 15: "MODP_3072", 16: "MODP_4096", 17: "MODP_6144",
		18: "MODP_8192", 19: "ECP_256", 20: "ECP_384", 21: "ECP_521",
		22: "MODP_1024_160", 23: "MODP_2048_224", 24: "MODP_2048_256",
		25: "ECP_192", 26: "ECP_224", 27: "ECP_224_BP", 28: "ECP_256_BP",
		29: "ECP_384_BP", 30: "ECP_512_BP", 31: "CURVE_25519", 32: "CURVE_448",
		35: "ML_KEM_512", 36: "ML_KEM_768", 37: "ML_KEM_1024",
		1024: "MODP_NULL", 1030: "NTRU_112", 1031: "NTRU_128", 1032: "NTRU_192",
		1033: "NTRU_256", 1040: "NEWHOPE_128",
	}
	esnNames = map[uint16]string{0: "NO_EXT_SEQ", 1: "EXT_SEQ"}
)

func namesFor(t TransformType) map[uint16]string {
	switch {
	case t == TransformENCR:
		return encrNames
	case t == TransformPRF:
		return prfNames
	case t == TransformINTEG:
		return integNames
	case t.IsKE():
		return keNames
	case t == TransformESN:
		return esnNames
	}
	return nil
}

// AlgorithmName returns strongSwan's name of transform ID id of type t
// ("AES_CBC", "PRF_HMAC_SHA2_256", "ECP_256", ...), or "(id)" for an ID the
// name table does not know.
func AlgorithmName(t TransformType, id uint16) string {
	if n, ok := namesFor(t)[id]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(id)) + ")"
}

// String prints the transform as charon does inside a proposal, e.g.
// "AES_CBC_256", "HMAC_SHA2_256_128", "KE1_ML_KEM_768" or, for a transform
// type without a name table, "UNKNOWN_242_42_128".
func (t Transform) String() string {
	return string(t.appendString(nil))
}

func (t Transform) appendString(b []byte) []byte {
	if t.Type >= TransformADDKE1 && t.Type <= TransformADDKE7 {
		b = append(b, "KE"...)
		b = strconv.AppendUint(b, uint64(t.Type-TransformADDKE1+1), 10)
		b = append(b, '_')
	}
	if names := namesFor(t.Type); names != nil {
		b = append(b, AlgorithmName(t.Type, t.ID)...)
	} else {
		b = append(b, "UNKNOWN_"...)
		b = strconv.AppendUint(b, uint64(t.Type), 10)
		b = append(b, '_')
		b = strconv.AppendUint(b, uint64(t.ID), 10)
	}
	if t.KeyLen != 0 {
		b = append(b, '_')
		b = strconv.AppendUint(b, uint64(t.KeyLen), 10)
	}
	return b
}

// IsAEAD reports whether the encryption algorithm id is a combined-mode
// (AEAD) cipher, which makes an integrity transform unnecessary.
func IsAEAD(id uint16) bool {
	switch id {
	case EncrAESCCM8, EncrAESCCM12, EncrAESCCM16,
		EncrAESGCM8, EncrAESGCM12, EncrAESGCM16, EncrNullAuthAESGMAC,
		25, 26, 27, // CAMELLIA_CCM_*
		EncrChaCha20Poly1305:
		return true
	}
	return false
}
