package message

import (
	"errors"
	"strconv"
	"strings"
)

// Auth is the Authentication payload (RFC 7296 section 3.8).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Auth Method   |                RESERVED                       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                      Authentication Data                      ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// For method 14 (RFC 7427 digital signature) Data starts with a one-octet
// length and the DER AlgorithmIdentifier; it is kept raw here and split by
// SplitDigitalSignature.
type Auth struct {
	Method AuthMethod
	Data   []byte
}

// Type returns PayloadAuth.
func (*Auth) Type() PayloadType { return PayloadAuth }

// Parse parses an AUTH payload body.
func (a *Auth) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "AUTH payload needs 4 octets")
	}
	a.Method = AuthMethod(b[0])
	a.Data = b[4:]
	return nil
}

// AppendMarshal appends the body.
func (a *Auth) AppendMarshal(dst []byte) ([]byte, error) {
	dst = append(dst, byte(a.Method), 0, 0, 0)
	return append(dst, a.Data...), nil
}

// Errors of the RFC 7427 helpers.
var (
	ErrSignatureFormat = errors.New("malformed RFC 7427 signature data")
	ErrDER             = errors.New("malformed DER AlgorithmIdentifier")
)

// SplitDigitalSignature splits the authentication data of method 14
// (RFC 7427 section 3) into the DER AlgorithmIdentifier and the signature
// value. Both alias data.
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| ASN.1 Length  | AlgorithmIdentifier ASN.1 object              |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                         Signature Value                       ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
func SplitDigitalSignature(data []byte) (algID, sig []byte, err error) {
	if len(data) < 1 {
		return nil, nil, ErrSignatureFormat
	}
	n := int(data[0])
	if n == 0 || len(data)-1 < n {
		return nil, nil, ErrSignatureFormat
	}
	return data[1 : 1+n], data[1+n:], nil
}

// AppendDigitalSignature appends RFC 7427 authentication data: the length
// octet, algID and sig.
func AppendDigitalSignature(dst, algID, sig []byte) ([]byte, error) {
	if len(algID) == 0 || len(algID) > 0xff {
		return dst, ErrSignatureFormat
	}
	dst = append(dst, byte(len(algID)))
	dst = append(dst, algID...)
	return append(dst, sig...), nil
}

// ParseAlgorithmIdentifier parses a DER AlgorithmIdentifier
//
//	AlgorithmIdentifier ::= SEQUENCE {
//	    algorithm  OBJECT IDENTIFIER,
//	    parameters ANY DEFINED BY algorithm OPTIONAL }
//
// returning the content octets of the OID and the raw parameters TLV (nil
// when absent, "05 00" for an explicit NULL). It accepts exactly one
// SEQUENCE with nothing after it.
func ParseAlgorithmIdentifier(der []byte) (oid, params []byte, err error) {
	tag, body, rest, err := derTLV(der)
	if err != nil || tag != 0x30 || len(rest) != 0 {
		return nil, nil, ErrDER
	}
	tag, oid, params, err = derTLV(body)
	if err != nil || tag != 0x06 || len(oid) == 0 {
		return nil, nil, ErrDER
	}
	if len(params) == 0 {
		params = nil
	} else if _, _, r, err := derTLV(params); err != nil || len(r) != 0 {
		return nil, nil, ErrDER
	}
	return oid, params, nil
}

// derTLV splits one DER TLV with a single-octet tag off b.
func derTLV(b []byte) (tag byte, body, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, ErrDER
	}
	tag = b[0]
	l, off := int(b[1]), 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || len(b) < 2+n {
			return 0, nil, nil, ErrDER
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		off += n
	}
	if len(b)-off < l {
		return 0, nil, nil, ErrDER
	}
	return tag, b[off : off+l], b[off+l:], nil
}

// OIDString renders OID content octets in dotted form, e.g.
// "1.2.840.113549.1.1.11"; malformed encodings give "".
func OIDString(oid []byte) string {
	if len(oid) == 0 {
		return ""
	}
	var sb strings.Builder
	var v uint64
	first := true
	for i, c := range oid {
		if v > 1<<56 {
			return ""
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 != 0 {
			if i == len(oid)-1 {
				return ""
			}
			continue
		}
		if first {
			a := v / 40
			if a > 2 {
				a = 2
			}
			sb.WriteString(strconv.FormatUint(a, 10))
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v-40*a, 10))
			first = false
		} else {
			sb.WriteByte('.')
			sb.WriteString(strconv.FormatUint(v, 10))
		}
		v = 0
	}
	return sb.String()
}
