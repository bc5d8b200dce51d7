package auth

import (
	"fmt"

	"github.com/goswan/goswan/internal/ike/message"
)

// derNext splits one DER TLV with a single-octet tag and a length of at
// most three octets off b.
func derNext(b []byte) (tag byte, body, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, message.ErrDER
	}
	tag = b[0]
	l, off := int(b[1]), 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 3 || len(b) < 2+n {
			return 0, nil, nil, message.ErrDER
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		off += n
	}
	if len(b)-off < l {
		return 0, nil, nil, message.ErrDER
	}
	return tag, b[off : off+l], b[off+l:], nil
}

// parsePSSParams parses RSASSA-PSS-params (RFC 4055 section 3.1) as
// strongSwan's rsa_pss_params_parse: the defaults SHA-1, MGF1 with SHA-1,
// salt length 20 and trailer field 1 apply to absent fields; hash
// algorithms must be known, the mask generation function MGF1, the
// trailer field 1.
func parsePSSParams(params []byte) (*PSSParams, error) {
	bad := func(what string) error {
		return fmt.Errorf("%w: failed parsing RSASSA-PSS parameters: %s", ErrParameters, what)
	}
	p := &PSSParams{Hash: HashSHA1, MGF1Hash: HashSHA1, SaltLen: 20}
	tag, body, rest, err := derNext(params)
	if err != nil || tag != 0x30 || len(rest) != 0 {
		return nil, bad("no SEQUENCE")
	}
	next := byte(0xa0)
	for len(body) > 0 {
		tag, field, r, err := derNext(body)
		if err != nil || tag < next || tag > 0xa3 {
			return nil, bad("unexpected field")
		}
		next, body = tag+1, r
		switch tag {
		case 0xa0:
			oid, _, err := message.ParseAlgorithmIdentifier(field)
			if err != nil {
				return nil, bad("hashAlgorithm")
			}
			h, ok := hashFromOID(string(oid))
			if !ok {
				return nil, bad("unsupported hash " + message.OIDString(oid))
			}
			p.Hash = h
		case 0xa1:
			oid, inner, err := message.ParseAlgorithmIdentifier(field)
			if err != nil || string(oid) != oidMGF1 || inner == nil {
				return nil, bad("maskGenAlgorithm")
			}
			hoid, _, err := message.ParseAlgorithmIdentifier(inner)
			if err != nil {
				return nil, bad("MGF1 hash")
			}
			h, ok := hashFromOID(string(hoid))
			if !ok {
				return nil, bad("unsupported MGF1 hash " + message.OIDString(hoid))
			}
			p.MGF1Hash = h
		case 0xa2:
			t, v, r, err := derNext(field)
			if err != nil || t != 0x02 || len(r) != 0 || len(v) == 0 || v[0]&0x80 != 0 || len(v) > 4 {
				return nil, bad("saltLength")
			}
			n := 0
			for _, c := range v {
				n = n<<8 | int(c)
			}
			p.SaltLen = n
		case 0xa3:
			t, v, r, err := derNext(field)
			if err != nil || t != 0x02 || len(r) != 0 || len(v) != 1 || v[0] != 1 {
				return nil, bad("trailerField")
			}
		}
	}
	return p, nil
}
