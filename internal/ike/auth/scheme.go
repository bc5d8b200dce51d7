package auth

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"strconv"

	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/ike/message"
)

// SchemeID is a signature scheme, strongSwan's signature_scheme_t (same
// order, so the names line up with charon's signature_scheme_names).
type SchemeID uint8

// Signature schemes.
const (
	SchemeUnknown SchemeID = iota
	RSAPKCS1Null
	RSAPKCS1MD5
	RSAPKCS1SHA1
	RSAPKCS1SHA224
	RSAPKCS1SHA256
	RSAPKCS1SHA384
	RSAPKCS1SHA512
	RSAPKCS1SHA3_224
	RSAPKCS1SHA3_256
	RSAPKCS1SHA3_384
	RSAPKCS1SHA3_512
	RSAPSS
	ECDSAWithSHA1DER
	ECDSAWithSHA256DER
	ECDSAWithSHA384DER
	ECDSAWithSHA512DER
	ECDSAWithNull
	ECDSA256 // RFC 4754 raw r|s with SHA-256 on P-256 (AUTH method 9)
	ECDSA384 // method 10
	ECDSA521 // method 11
	Ed25519
	Ed448
)

var schemeNames = [...]string{
	"UNKNOWN", "RSA_EMSA_PKCS1_NULL", "RSA_EMSA_PKCS1_MD5", "RSA_EMSA_PKCS1_SHA1",
	"RSA_EMSA_PKCS1_SHA2_224", "RSA_EMSA_PKCS1_SHA2_256", "RSA_EMSA_PKCS1_SHA2_384",
	"RSA_EMSA_PKCS1_SHA2_512", "RSA_EMSA_PKCS1_SHA3_224", "RSA_EMSA_PKCS1_SHA3_256",
	"RSA_EMSA_PKCS1_SHA3_384", "RSA_EMSA_PKCS1_SHA3_512", "RSA_EMSA_PSS",
	"ECDSA_WITH_SHA1_DER", "ECDSA_WITH_SHA256_DER", "ECDSA_WITH_SHA384_DER",
	"ECDSA_WITH_SHA512_DER", "ECDSA_WITH_NULL", "ECDSA-256", "ECDSA-384", "ECDSA-521",
	"ED25519", "ED448",
}

// String returns strongSwan's signature_scheme_names entry, e.g.
// "RSA_EMSA_PKCS1_SHA2_256".
func (s SchemeID) String() string {
	if int(s) < len(schemeNames) {
		return schemeNames[s]
	}
	return "(" + strconv.Itoa(int(s)) + ")"
}

// Hash algorithm identifiers of the SIGNATURE_HASH_ALGORITHMS notify
// (RFC 7427 section 4, IANA "IKEv2 Hash Algorithms"); strongSwan's
// hash_algorithm_t uses the same values.
const (
	HashSHA1     uint16 = 1
	HashSHA256   uint16 = 2
	HashSHA384   uint16 = 3
	HashSHA512   uint16 = 4
	HashIdentity uint16 = 5
)

// PSSParams are RSASSA-PSS parameters (RFC 4055). Hash and MGF1Hash are
// among HashSHA1, HashSHA256, HashSHA384, HashSHA512, or hashSHA224.
type PSSParams struct {
	Hash     uint16
	MGF1Hash uint16
	SaltLen  int
}

// hashSHA224 is strongSwan's HASH_SHA224 (not an IKEv2 hash algorithm, but
// a PSS parameter value).
const hashSHA224 uint16 = 1027

// Scheme is a signature scheme with its parameters.
type Scheme struct {
	ID  SchemeID
	PSS *PSSParams // RSAPSS only
}

// String returns the scheme name; for RSASSA-PSS as charon logs it in
// "authentication of ... with ..." lines: "RSA_EMSA_PSS_SHA2_256_SALT_32".
func (s Scheme) String() string {
	if s.ID == RSAPSS && s.PSS != nil {
		return s.ID.String() + "_" + hashUpper(s.PSS.Hash) + "_SALT_" + strconv.Itoa(s.PSS.SaltLen)
	}
	return s.ID.String()
}

// hashUpper is strongSwan's hash_algorithm_short_names_upper.
func hashUpper(h uint16) string {
	switch h {
	case HashSHA1:
		return "SHA1"
	case HashSHA256:
		return "SHA2_256"
	case HashSHA384:
		return "SHA2_384"
	case HashSHA512:
		return "SHA2_512"
	case HashIdentity:
		return "IDENTITY"
	case hashSHA224:
		return "SHA2_224"
	}
	return "(" + strconv.Itoa(int(h)) + ")"
}

// KeyType returns the key type the scheme needs (strongSwan's
// key_type_from_signature_scheme).
func (s Scheme) KeyType() credentials.KeyType {
	switch {
	case s.ID >= RSAPKCS1Null && s.ID <= RSAPSS:
		return credentials.KeyRSA
	case s.ID >= ECDSAWithSHA1DER && s.ID <= ECDSA521:
		return credentials.KeyECDSA
	case s.ID == Ed25519:
		return credentials.KeyEd25519
	case s.ID == Ed448:
		return credentials.KeyEd448
	}
	return credentials.KeyAny
}

// Hash returns the IKEv2 hash algorithm the scheme uses (strongSwan's
// hasher_from_signature_scheme), 0 if none applies.
func (s Scheme) Hash() uint16 {
	switch s.ID {
	case RSAPKCS1SHA1, ECDSAWithSHA1DER:
		return HashSHA1
	case RSAPKCS1SHA256, ECDSAWithSHA256DER, ECDSA256:
		return HashSHA256
	case RSAPKCS1SHA384, ECDSAWithSHA384DER, ECDSA384:
		return HashSHA384
	case RSAPKCS1SHA512, ECDSAWithSHA512DER, ECDSA521:
		return HashSHA512
	case Ed25519, Ed448:
		return HashIdentity
	case RSAPSS:
		if s.PSS != nil {
			return s.PSS.Hash
		}
	case RSAPKCS1SHA224:
		return hashSHA224
	}
	return 0
}

// cryptoHash maps a hash algorithm identifier to Go's.
func cryptoHash(h uint16) (crypto.Hash, bool) {
	switch h {
	case HashSHA1:
		return crypto.SHA1, true
	case hashSHA224:
		return crypto.SHA224, true
	case HashSHA256:
		return crypto.SHA256, true
	case HashSHA384:
		return crypto.SHA384, true
	case HashSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// forIKEv2 is strongSwan's hasher_algorithm_for_ikev2.
func forIKEv2(h uint16) bool {
	return h == HashSHA256 || h == HashSHA384 || h == HashSHA512 || h == HashIdentity
}

// DER of the OBJECT IDENTIFIERs used (contents octets).
const (
	oidRSAEncryption = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
	oidMD5WithRSA    = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x04"
	oidSHA1WithRSA   = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x05"
	oidMGF1          = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08"
	oidRSASSAPSS     = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a"
	oidSHA256WithRSA = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
	oidSHA384WithRSA = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"
	oidSHA512WithRSA = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"
	oidSHA224WithRSA = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0e"
	oidMD5           = "\x2a\x86\x48\x86\xf7\x0d\x02\x05"
	oidSHA1          = "\x2b\x0e\x03\x02\x1a"
	oidSHA256        = "\x60\x86\x48\x01\x65\x03\x04\x02\x01"
	oidSHA384        = "\x60\x86\x48\x01\x65\x03\x04\x02\x02"
	oidSHA512        = "\x60\x86\x48\x01\x65\x03\x04\x02\x03"
	oidSHA224        = "\x60\x86\x48\x01\x65\x03\x04\x02\x04"
	oidRSASHA3_224   = "\x60\x86\x48\x01\x65\x03\x04\x03\x0d"
	oidRSASHA3_256   = "\x60\x86\x48\x01\x65\x03\x04\x03\x0e"
	oidRSASHA3_384   = "\x60\x86\x48\x01\x65\x03\x04\x03\x0f"
	oidRSASHA3_512   = "\x60\x86\x48\x01\x65\x03\x04\x03\x10"
	oidECPublicKey   = "\x2a\x86\x48\xce\x3d\x02\x01"
	oidECDSAWithSHA1 = "\x2a\x86\x48\xce\x3d\x04\x01"
	oidECDSAWithS256 = "\x2a\x86\x48\xce\x3d\x04\x03\x02"
	oidECDSAWithS384 = "\x2a\x86\x48\xce\x3d\x04\x03\x03"
	oidECDSAWithS512 = "\x2a\x86\x48\xce\x3d\x04\x03\x04"
	oidEd25519       = "\x2b\x65\x70"
	oidEd448         = "\x2b\x65\x71"
)

// schemeFromOID is strongSwan's signature_scheme_from_oid (which also maps
// bare hash OIDs to RSA PKCS#1 v1.5 and id-ecPublicKey to ECDSA with
// SHA-1).
func schemeFromOID(oid string) SchemeID {
	switch oid {
	case oidMD5WithRSA, oidMD5:
		return RSAPKCS1MD5
	case oidSHA1WithRSA, oidSHA1:
		return RSAPKCS1SHA1
	case oidSHA224WithRSA, oidSHA224:
		return RSAPKCS1SHA224
	case oidSHA256WithRSA, oidSHA256:
		return RSAPKCS1SHA256
	case oidSHA384WithRSA, oidSHA384:
		return RSAPKCS1SHA384
	case oidSHA512WithRSA, oidSHA512:
		return RSAPKCS1SHA512
	case oidRSASHA3_224:
		return RSAPKCS1SHA3_224
	case oidRSASHA3_256:
		return RSAPKCS1SHA3_256
	case oidRSASHA3_384:
		return RSAPKCS1SHA3_384
	case oidRSASHA3_512:
		return RSAPKCS1SHA3_512
	case oidRSASSAPSS:
		return RSAPSS
	case oidECDSAWithSHA1, oidECPublicKey:
		return ECDSAWithSHA1DER
	case oidECDSAWithS256:
		return ECDSAWithSHA256DER
	case oidECDSAWithS384:
		return ECDSAWithSHA384DER
	case oidECDSAWithS512:
		return ECDSAWithSHA512DER
	case oidEd25519:
		return Ed25519
	case oidEd448:
		return Ed448
	}
	return SchemeUnknown
}

// hashFromOID is strongSwan's hasher_algorithm_from_oid for the hashes
// this package supports in PSS parameters.
func hashFromOID(oid string) (uint16, bool) {
	switch oid {
	case oidSHA1:
		return HashSHA1, true
	case oidSHA224:
		return hashSHA224, true
	case oidSHA256:
		return HashSHA256, true
	case oidSHA384:
		return HashSHA384, true
	case oidSHA512:
		return HashSHA512, true
	}
	return 0, false
}

func hashOID(h uint16) string {
	switch h {
	case HashSHA1:
		return oidSHA1
	case hashSHA224:
		return oidSHA224
	case HashSHA256:
		return oidSHA256
	case HashSHA384:
		return oidSHA384
	case HashSHA512:
		return oidSHA512
	}
	return ""
}

// Errors of the AlgorithmIdentifier encoding.
var (
	ErrScheme     = errors.New("unsupported signature scheme")
	ErrParameters = errors.New("invalid signature scheme parameters")
)

// AlgorithmIdentifier returns the DER AlgorithmIdentifier of a scheme for
// RFC 7427 authentication data, as strongSwan's signature_params_build
// encodes it: a NULL parameter for the RSA PKCS#1 schemes, none for ECDSA
// and EdDSA, and for RSASSA-PSS the RSASSA-PSS-params with the fields
// that differ from the defaults (SHA-1, MGF1 with SHA-1, salt 20).
func (s Scheme) AlgorithmIdentifier() ([]byte, error) {
	var oid string
	params := []byte{0x05, 0x00}
	switch s.ID {
	case RSAPKCS1SHA1:
		oid = oidSHA1WithRSA
	case RSAPKCS1SHA224:
		oid = oidSHA224WithRSA
	case RSAPKCS1SHA256:
		oid = oidSHA256WithRSA
	case RSAPKCS1SHA384:
		oid = oidSHA384WithRSA
	case RSAPKCS1SHA512:
		oid = oidSHA512WithRSA
	case ECDSAWithSHA1DER:
		oid, params = oidECDSAWithSHA1, nil
	case ECDSAWithSHA256DER:
		oid, params = oidECDSAWithS256, nil
	case ECDSAWithSHA384DER:
		oid, params = oidECDSAWithS384, nil
	case ECDSAWithSHA512DER:
		oid, params = oidECDSAWithS512, nil
	case Ed25519:
		oid, params = oidEd25519, nil
	case RSAPSS:
		if s.PSS == nil || s.PSS.SaltLen < 0 {
			return nil, ErrParameters
		}
		oid = oidRSASSAPSS
		var body []byte
		if s.PSS.Hash != HashSHA1 {
			h := hashOID(s.PSS.Hash)
			if h == "" {
				return nil, ErrParameters
			}
			body = tlv(body, 0xa0, algID(h, []byte{0x05, 0x00}))
		}
		if s.PSS.MGF1Hash != HashSHA1 {
			h := hashOID(s.PSS.MGF1Hash)
			if h == "" {
				return nil, ErrParameters
			}
			body = tlv(body, 0xa1, algID(oidMGF1, algID(h, []byte{0x05, 0x00})))
		}
		if s.PSS.SaltLen != 20 {
			body = tlv(body, 0xa2, tlv(nil, 0x02, uintBytes(uint64(s.PSS.SaltLen))))
		}
		params = tlv(nil, 0x30, body)
	default:
		return nil, fmt.Errorf("%w: %s", ErrScheme, s)
	}
	return algID(oid, params), nil
}

// algID builds an AlgorithmIdentifier.
func algID(oid string, params []byte) []byte {
	return tlv(nil, 0x30, append(tlv(nil, 0x06, []byte(oid)), params...))
}

// tlv appends a DER TLV with a minimal length.
func tlv(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	switch n := len(content); {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	default:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	}
	return append(dst, content...)
}

// uintBytes is the minimal two's complement contents of a non-negative
// INTEGER.
func uintBytes(v uint64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		v >>= 8
		if v == 0 {
			break
		}
	}
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// ParseAlgorithmIdentifier parses the AlgorithmIdentifier of RFC 7427
// authentication data into a scheme, as strongSwan's
// signature_params_parse: unknown algorithms are refused, parameters other
// than absent or NULL are refused except for RSASSA-PSS, whose parameters
// must parse.
func ParseAlgorithmIdentifier(der []byte) (Scheme, error) {
	oid, params, err := message.ParseAlgorithmIdentifier(der)
	if err != nil {
		return Scheme{}, err
	}
	id := schemeFromOID(string(oid))
	switch id {
	case SchemeUnknown:
		return Scheme{}, fmt.Errorf("%w: %s", ErrScheme, message.OIDString(oid))
	case RSAPSS:
		p, err := parsePSSParams(params)
		if err != nil {
			return Scheme{}, err
		}
		return Scheme{ID: id, PSS: p}, nil
	}
	if len(params) > 0 && !bytes.Equal(params, []byte{0x05, 0x00}) {
		return Scheme{}, fmt.Errorf("%w: unexpected parameters for %s", ErrParameters, id)
	}
	return Scheme{ID: id}, nil
}
