package message

import (
	"encoding/binary"
	"errors"
)

// Payload is one IKEv2 payload. Parse and AppendMarshal handle the payload
// body only: everything after the 4-octet generic payload header
//
//	                     1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Next Payload  |C|  RESERVED   |         Payload Length        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// which belongs to the chain (RFC 7296 section 3.2): the next payload type
// is the type of the following payload (for SK and SKF: the first inner
// payload), the length is computed, and the critical bit is only kept for
// Unknown payloads (RFC 7296 says it MUST be zero on the payloads it
// defines and ignored on receipt).
//
// Parse keeps references into body; it never panics and reports problems
// as *ParseError with offsets relative to body.
type Payload interface {
	Type() PayloadType
	Parse(body []byte) error
	AppendMarshal(dst []byte) ([]byte, error)
}

// registry maps a payload type code to the constructor of its typed form;
// nil entries are parsed as Unknown.
var registry = [256]func() Payload{
	PayloadSA:       func() Payload { return new(SA) },
	PayloadKE:       func() Payload { return new(KE) },
	PayloadIDi:      func() Payload { return new(ID) },
	PayloadIDr:      func() Payload { return &ID{Responder: true} },
	PayloadCert:     func() Payload { return new(Cert) },
	PayloadCertReq:  func() Payload { return new(CertReq) },
	PayloadAuth:     func() Payload { return new(Auth) },
	PayloadNonce:    func() Payload { return new(Nonce) },
	PayloadNotify:   func() Payload { return new(Notify) },
	PayloadDelete:   func() Payload { return new(Delete) },
	PayloadVendorID: func() Payload { return new(VendorID) },
	PayloadTSi:      func() Payload { return new(TS) },
	PayloadTSr:      func() Payload { return &TS{Responder: true} },
	PayloadSK:       func() Payload { return new(Encrypted) },
	PayloadCP:       func() Payload { return new(CP) },
	PayloadEAP:      func() Payload { return new(EAP) },
	PayloadSKF:      func() Payload { return new(EncryptedFragment) },
}

// NewPayload returns an empty payload of the typed form registered for t,
// or an *Unknown for types without one.
func NewPayload(t PayloadType) Payload {
	if f := registry[t]; f != nil {
		return f()
	}
	return &Unknown{PayloadType: t}
}

const genericHeaderLen = 4

// countChain walks the generic headers from b to estimate how many payloads
// a chain holds (for preallocation); it stops at the first inconsistency,
// which the real parse then reports.
func countChain(first PayloadType, b []byte) int {
	n, off, next := 0, 0, first
	for next != PayloadNone && len(b)-off >= genericHeaderLen {
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < genericHeaderLen || l > len(b)-off {
			return n + 1
		}
		n++
		if next == PayloadSK || next == PayloadSKF {
			break
		}
		next = PayloadType(b[off])
		off += l
	}
	return n
}

// parseChain parses a payload chain starting with type first and appends the
// payloads to dst. base is the offset of b in the caller's buffer (for
// error offsets). With inner set (a decrypted SK body) an SK/SKF payload is
// an error; otherwise an SK/SKF payload ends the chain and must be last.
// The chain must cover b exactly.
func parseChain(dst []Payload, first PayloadType, b []byte, base int, inner bool) ([]Payload, error) {
	off, next := 0, first
	for next != PayloadNone {
		t := next
		if len(b)-off < genericHeaderLen {
			return dst, &ParseError{Offset: base + len(b), Payload: t, Err: ErrTruncated,
				Reason: "generic payload header needs 4 octets"}
		}
		np := PayloadType(b[off])
		flags := b[off+1]
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < genericHeaderLen {
			return dst, &ParseError{Offset: base + off + 2, Payload: t, Err: ErrLength,
				Reason: "payload length below 4"}
		}
		if l > len(b)-off {
			return dst, &ParseError{Offset: base + off + 2, Payload: t, Err: ErrTruncated,
				Reason: "payload length exceeds the data"}
		}
		if inner && (t == PayloadSK || t == PayloadSKF) {
			return dst, &ParseError{Offset: base + off, Payload: t, Err: ErrEncryptedPosition,
				Reason: "inside an encrypted payload"}
		}
		p := NewPayload(t)
		switch q := p.(type) {
		case *Encrypted:
			q.NextPayload = np
		case *EncryptedFragment:
			q.NextPayload = np
		case *Unknown:
			q.Critical = flags&0x80 != 0
		}
		if err := p.Parse(b[off+genericHeaderLen : off+l]); err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Offset += base + off + genericHeaderLen
				if pe.Payload == PayloadNone {
					pe.Payload = t
				}
				return dst, pe
			}
			return dst, &ParseError{Offset: base + off, Payload: t, Err: ErrInvalid, Reason: err.Error()}
		}
		dst = append(dst, p)
		off += l
		if t == PayloadSK || t == PayloadSKF {
			if off != len(b) {
				return dst, &ParseError{Offset: base + off, Payload: t, Err: ErrEncryptedPosition,
					Reason: "data follows the encrypted payload"}
			}
			break
		}
		next = np
	}
	if off != len(b) {
		return dst, &ParseError{Offset: base + off, Err: ErrTrailing,
			Reason: "chain ended (next payload 0) before the data"}
	}
	return dst, nil
}

// appendChain marshals ps as a payload chain; last is the next payload type
// written into the last payload's header (PayloadNone at the end of a
// message, PayloadSK/SKF when the encrypted payload header follows).
// An SK/SKF payload must be the last of ps and last must then be None.
func appendChain(dst []byte, ps []Payload, last PayloadType) ([]byte, error) {
	for i, p := range ps {
		if p == nil {
			return dst, &ParseError{Offset: len(dst), Err: ErrInvalid, Reason: "nil payload"}
		}
		t := p.Type()
		if t == PayloadNone {
			return dst, &ParseError{Offset: len(dst), Err: ErrInvalid, Reason: "payload type 0"}
		}
		next := last
		if i+1 < len(ps) {
			next = ps[i+1].Type()
		}
		var flags uint8
		switch q := p.(type) {
		case *Encrypted:
			if i != len(ps)-1 || last != PayloadNone {
				return dst, &ParseError{Offset: len(dst), Payload: t, Err: ErrEncryptedPosition}
			}
			next = q.NextPayload
		case *EncryptedFragment:
			if i != len(ps)-1 || last != PayloadNone {
				return dst, &ParseError{Offset: len(dst), Payload: t, Err: ErrEncryptedPosition}
			}
			next = q.NextPayload
		case *Unknown:
			if q.Critical {
				flags = 0x80
			}
			if q.PayloadType.known() {
				return dst, &ParseError{Offset: len(dst), Payload: t, Err: ErrInvalid,
					Reason: "Unknown payload with a known type"}
			}
		}
		start := len(dst)
		dst = append(dst, byte(next), flags, 0, 0)
		var err error
		dst, err = p.AppendMarshal(dst)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) && pe.Payload == PayloadNone {
				pe.Payload = t
			}
			return dst, err
		}
		l := len(dst) - start
		if l > 0xffff {
			return dst, &ParseError{Offset: start, Payload: t, Err: ErrTooLarge,
				Reason: "payload longer than 65535 octets"}
		}
		binary.BigEndian.PutUint16(dst[start+2:], uint16(l))
	}
	return dst, nil
}

// Unknown is a payload whose type this package does not parse (RFC 7296
// section 2.5: skipped unless critical). The body is kept verbatim.
type Unknown struct {
	PayloadType PayloadType
	Critical    bool
	Body        []byte
}

// Type returns the payload's own type code.
func (u *Unknown) Type() PayloadType { return u.PayloadType }

// Parse keeps body.
func (u *Unknown) Parse(body []byte) error { u.Body = body; return nil }

// AppendMarshal appends the body.
func (u *Unknown) AppendMarshal(dst []byte) ([]byte, error) { return append(dst, u.Body...), nil }
