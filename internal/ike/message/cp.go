package message

import (
	"encoding/binary"
	"net/netip"
)

// CP is the Configuration payload (RFC 7296 section 3.15).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   CFG Type    |                    RESERVED                   |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                   Configuration Attributes                    ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type CP struct {
	CfgType    CfgType
	Attributes []CPAttribute
}

// CPAttribute is a configuration attribute (RFC 7296 section 3.15.1):
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|R|         Attribute Type      |            Length             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                             Value                             ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The value is kept raw (an empty value is a request for the attribute);
// the accessors decode the common forms.
type CPAttribute struct {
	Type  CPAttrType // 15 bits; the R bit is ignored and sent as 0
	Value []byte
}

// Type returns PayloadCP.
func (*CP) Type() PayloadType { return PayloadCP }

// Parse parses a CP payload body.
func (c *CP) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "CP payload needs 4 octets")
	}
	c.CfgType = CfgType(b[0])
	c.Attributes = c.Attributes[:0]
	if n := countAttrs(b[4:]); n > 0 {
		c.Attributes = make([]CPAttribute, 0, n)
	}
	off := 4
	for off < len(b) {
		if len(b)-off < 4 {
			return perr(len(b), ErrTruncated, "configuration attribute needs 4 octets")
		}
		t := CPAttrType(binary.BigEndian.Uint16(b[off:]) & 0x7fff)
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l > len(b)-off-4 {
			return perr(off+2, ErrTruncated, "attribute length %d exceeds payload", l)
		}
		c.Attributes = append(c.Attributes, CPAttribute{Type: t, Value: b[off+4 : off+4+l]})
		off += 4 + l
	}
	return nil
}

// countAttrs counts type/length/value records (length at offset 2
// excluding the 4-octet header).
func countAttrs(b []byte) int {
	n := 0
	for off := 0; len(b)-off >= 4; n++ {
		off += 4 + int(binary.BigEndian.Uint16(b[off+2:]))
	}
	return n
}

// AppendMarshal appends the body.
func (c *CP) AppendMarshal(dst []byte) ([]byte, error) {
	dst = append(dst, byte(c.CfgType), 0, 0, 0)
	for _, a := range c.Attributes {
		if a.Type > 0x7fff {
			return dst, perr(len(dst), ErrInvalid, "attribute type %d", a.Type)
		}
		if len(a.Value) > 0xffff {
			return dst, perr(len(dst), ErrTooLarge, "attribute of %d octets", len(a.Value))
		}
		dst = binary.BigEndian.AppendUint16(dst, uint16(a.Type))
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(a.Value)))
		dst = append(dst, a.Value...)
	}
	return dst, nil
}

// Attribute returns the first attribute of type t.
func (c *CP) Attribute(t CPAttrType) (CPAttribute, bool) {
	for _, a := range c.Attributes {
		if a.Type == t {
			return a, true
		}
	}
	return CPAttribute{}, false
}

// Addr decodes a value that is a bare IPv4 or IPv6 address (INTERNAL_IP4_*,
// INTERNAL_IP6_DNS/NBNS/DHCP, P_CSCF_*), and the address part of
// INTERNAL_IP6_ADDRESS (address + prefix length octet).
func (a *CPAttribute) Addr() (netip.Addr, bool) {
	switch len(a.Value) {
	case 4:
		return netip.AddrFrom4([4]byte(a.Value)), true
	case 16, 17:
		return netip.AddrFrom16([16]byte(a.Value[:16])), true
	}
	return netip.Addr{}, false
}

// Prefix decodes INTERNAL_IP6_ADDRESS / INTERNAL_IP6_SUBNET (16-octet
// address and prefix length) and INTERNAL_IP4_SUBNET (address and netmask).
func (a *CPAttribute) Prefix() (netip.Prefix, bool) {
	switch len(a.Value) {
	case 17:
		if a.Value[16] > 128 {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(netip.AddrFrom16([16]byte(a.Value[:16])), int(a.Value[16])), true
	case 8:
		m := binary.BigEndian.Uint32(a.Value[4:])
		bits := 0
		for m&0x80000000 != 0 {
			bits++
			m <<= 1
		}
		if m != 0 {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(netip.AddrFrom4([4]byte(a.Value[:4])), bits), true
	}
	return netip.Prefix{}, false
}

// Uint32 decodes a 4-octet number (INTERNAL_ADDRESS_EXPIRY).
func (a *CPAttribute) Uint32() (uint32, bool) {
	if len(a.Value) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(a.Value), true
}

// SupportedAttributes decodes SUPPORTED_ATTRIBUTES (a list of 16-bit types).
func (a *CPAttribute) SupportedAttributes() []CPAttrType {
	out := make([]CPAttrType, len(a.Value)/2)
	for i := range out {
		out[i] = CPAttrType(binary.BigEndian.Uint16(a.Value[2*i:]) & 0x7fff)
	}
	return out
}

// IP4Attr returns an attribute carrying an IPv4 address.
func IP4Attr(t CPAttrType, addr netip.Addr) CPAttribute {
	a := addr.As4()
	return CPAttribute{Type: t, Value: a[:]}
}

// IP6Attr returns an attribute carrying an IPv6 address; with prefixLen >= 0
// the prefix length octet of INTERNAL_IP6_ADDRESS/SUBNET follows.
func IP6Attr(t CPAttrType, addr netip.Addr, prefixLen int) CPAttribute {
	a := addr.As16()
	v := a[:]
	if prefixLen >= 0 {
		v = append(v, byte(prefixLen))
	}
	return CPAttribute{Type: t, Value: v}
}
