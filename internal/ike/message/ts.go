package message

import (
	"encoding/binary"
	"net/netip"
)

// TS is the Traffic Selector payload, TSi or TSr (RFC 7296 section 3.13).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Number of TSs |                 RESERVED                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                       <Traffic Selectors>                     ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type TS struct {
	Responder bool // TSr (45) rather than TSi (44)
	Selectors []TrafficSelector
}

// TrafficSelector is one traffic selector substructure
// (RFC 7296 section 3.13.1).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   TS Type     |IP Protocol ID*|       Selector Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Start Port*         |           End Port*           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                         Starting Address*                     ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                         Ending Address*                       ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// For TS_IPV4_ADDR_RANGE and TS_IPV6_ADDR_RANGE the starred fields are
// decoded (the addresses are 4 or 16 octets, matching the type). For any
// other type (e.g. TS_SECLABEL) IPProtocol holds the second octet and Data
// everything after the 4-octet header, verbatim.
type TrafficSelector struct {
	Type               TSType
	IPProtocol         uint8
	StartPort, EndPort uint16
	StartAddr, EndAddr netip.Addr
	Data               []byte // other types only
}

// Type returns PayloadTSi or PayloadTSr.
func (t *TS) Type() PayloadType {
	if t.Responder {
		return PayloadTSr
	}
	return PayloadTSi
}

func tsAddrLen(t TSType) int {
	switch t {
	case TSIPv4AddrRange:
		return 4
	case TSIPv6AddrRange:
		return 16
	}
	return 0
}

// Parse parses a TS payload body; Responder is left as set by the caller.
func (t *TS) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "TS payload needs 4 octets")
	}
	n := int(b[0])
	t.Selectors = make([]TrafficSelector, 0, n)
	off := 4
	for off < len(b) {
		if len(b)-off < 4 {
			return perr(len(b), ErrTruncated, "traffic selector header needs 4 octets")
		}
		s := TrafficSelector{Type: TSType(b[off]), IPProtocol: b[off+1]}
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < 4 {
			return perr(off+2, ErrLength, "selector length %d < 4", l)
		}
		if l > len(b)-off {
			return perr(off+2, ErrTruncated, "selector length %d exceeds payload", l)
		}
		sel := b[off : off+l]
		if al := tsAddrLen(s.Type); al > 0 {
			if l != 8+2*al {
				return perr(off+2, ErrLength, "%s selector length %d, want %d",
					s.Type, l, 8+2*al)
			}
			s.StartPort = binary.BigEndian.Uint16(sel[4:])
			s.EndPort = binary.BigEndian.Uint16(sel[6:])
			if al == 4 {
				s.StartAddr = netip.AddrFrom4([4]byte(sel[8:12]))
				s.EndAddr = netip.AddrFrom4([4]byte(sel[12:16]))
			} else {
				s.StartAddr = netip.AddrFrom16([16]byte(sel[8:24]))
				s.EndAddr = netip.AddrFrom16([16]byte(sel[24:40]))
			}
		} else {
			s.Data = sel[4:]
		}
		t.Selectors = append(t.Selectors, s)
		off += l
	}
	if len(t.Selectors) != n {
		return perr(0, ErrCount, "%d selectors announced, %d present", n, len(t.Selectors))
	}
	return nil
}

// AppendMarshal appends the body.
func (t *TS) AppendMarshal(dst []byte) ([]byte, error) {
	if len(t.Selectors) > 0xff {
		return dst, perr(len(dst), ErrTooLarge, "%d traffic selectors", len(t.Selectors))
	}
	dst = append(dst, byte(len(t.Selectors)), 0, 0, 0)
	for i := range t.Selectors {
		s := &t.Selectors[i]
		start := len(dst)
		dst = append(dst, byte(s.Type), s.IPProtocol, 0, 0)
		if al := tsAddrLen(s.Type); al > 0 {
			ok := s.StartAddr.BitLen() == 8*al && s.EndAddr.BitLen() == 8*al
			if !ok {
				return dst, perr(start, ErrInvalid, "%s selector with addresses %v-%v",
					s.Type, s.StartAddr, s.EndAddr)
			}
			dst = binary.BigEndian.AppendUint16(dst, s.StartPort)
			dst = binary.BigEndian.AppendUint16(dst, s.EndPort)
			dst = append(dst, s.StartAddr.AsSlice()...)
			dst = append(dst, s.EndAddr.AsSlice()...)
		} else {
			dst = append(dst, s.Data...)
		}
		if err := putLen16(dst, start); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// Prefix returns the selector's address range as a prefix when it is
// exactly one (e.g. 10.1.0.0-10.1.255.255 -> 10.1.0.0/16).
func (s *TrafficSelector) Prefix() (netip.Prefix, bool) {
	if tsAddrLen(s.Type) == 0 || !s.StartAddr.IsValid() || !s.EndAddr.IsValid() {
		return netip.Prefix{}, false
	}
	start, end := s.StartAddr.AsSlice(), s.EndAddr.AsSlice()
	bits := 0
	for i := range start {
		x := start[i] ^ end[i]
		if x == 0 {
			bits += 8
			continue
		}
		for m := byte(0x80); m != 0 && x&m == 0; m >>= 1 {
			bits++
		}
		break
	}
	p := netip.PrefixFrom(s.StartAddr, bits)
	if p.Masked().Addr() != s.StartAddr {
		return netip.Prefix{}, false
	}
	if lastAddr(p) != s.EndAddr {
		return netip.Prefix{}, false
	}
	return p, true
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().AsSlice()
	for i := range a {
		host := p.Bits() - 8*i
		switch {
		case host <= 0:
			a[i] = 0xff
		case host < 8:
			a[i] |= 0xff >> host
		}
	}
	r, _ := netip.AddrFromSlice(a)
	return r
}
