package message

import "net/netip"

// ID is the Identification payload, IDi or IDr (RFC 7296 section 3.5).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   ID Type     |                 RESERVED                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                   Identification Data                         ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The data is kept raw for every ID type; interpreting it (DN parsing,
// matching) belongs to the identity code.
type ID struct {
	Responder bool // IDr (36) rather than IDi (35)
	IDType    IDType
	Data      []byte
}

// Type returns PayloadIDi or PayloadIDr.
func (p *ID) Type() PayloadType {
	if p.Responder {
		return PayloadIDr
	}
	return PayloadIDi
}

// Parse parses an ID payload body; Responder is left as set by the caller.
func (p *ID) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "ID payload needs 4 octets")
	}
	p.IDType = IDType(b[0])
	p.Data = b[4:]
	return nil
}

// AppendMarshal appends the body.
func (p *ID) AppendMarshal(dst []byte) ([]byte, error) {
	dst = append(dst, byte(p.IDType), 0, 0, 0)
	return append(dst, p.Data...), nil
}

// Addr returns the address of an ID_IPV4_ADDR or ID_IPV6_ADDR identity.
func (p *ID) Addr() (netip.Addr, bool) {
	switch {
	case p.IDType == IDIPv4Addr && len(p.Data) == 4:
		return netip.AddrFrom4([4]byte(p.Data)), true
	case p.IDType == IDIPv6Addr && len(p.Data) == 16:
		return netip.AddrFrom16([16]byte(p.Data)), true
	}
	return netip.Addr{}, false
}
