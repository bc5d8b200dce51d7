package identity

import (
	"net/netip"
	"strconv"
	"strings"
)

// String renders id as charon's %Y printf hook does:
//
//	%any                                   Any
//	192.168.0.1, fec0::1                   IPv4, IPv6 (inet_ntop)
//	10.1.0.0/16, 10.1.0.1-10.1.0.5         subnets and ranges
//	moon.strongswan.org, carol@strongswan.org  FQDN, RFC822 (unprintable octets as '?')
//	C=CH, O=strongSwan Project, CN=moon    DN
//	(ASN.1 general name)                   GN
//	01:02:...                              KeyID: its text if printable and not 20 octets, else hex
//	(null)                                 the zero ID
//
// Like charon's, the result is cut to 511 octets.
func (id ID) String() string {
	if !id.set {
		return "(null)"
	}
	var s string
	switch id.t {
	case Any:
		return "%any"
	case IPv4, IPv6:
		s = id.addrString(1, "")
	case IPv4Subnet, IPv6Subnet:
		s = id.addrString(2, "/")
	case IPv4Range, IPv6Range:
		s = id.addrString(2, "-")
	case FQDN, RFC822, GNURI:
		s = printable(id.enc)
	case DN:
		return dntoa(id.enc)
	case GN:
		return "(ASN.1 general name)"
	case KeyID:
		if printable(id.enc) == id.enc && len(id.enc) != 20 {
			s = id.enc
		} else {
			s = hexColon(id.enc)
		}
	default:
		s = "(unknown ID type: " + strconv.Itoa(int(id.t)) + ")"
	}
	if len(s) > bufLen-1 {
		s = s[:bufLen-1]
	}
	return s
}

// addrString prints the address types: n addresses' worth of encoding is
// required (1 for a host, 2 for a subnet or range); sep joins the second
// part (the prefix length of a subnet's mask, or a range's end).
func (id ID) addrString(n int, sep string) string {
	size := 4
	if id.t == IPv6 || id.t == IPv6Subnet || id.t == IPv6Range {
		size = 16
	}
	if len(id.enc) < n*size {
		return "(invalid " + id.t.String() + ")"
	}
	first := ntop(id.enc[:size])
	switch sep {
	case "/":
		return first + "/" + strconv.Itoa(netmaskToCIDR(id.enc[size:2*size]))
	case "-":
		return first + "-" + ntop(id.enc[size:2*size])
	}
	return first
}

// netmaskToCIDR counts mask bits as strongSwan's netmask_to_cidr does:
// whole 0xff octets, the leading ones of other octets, up to the first
// zero octet.
func netmaskToCIDR(mask string) int {
	bits := 0
	for i := 0; i < len(mask); i++ {
		b := mask[i]
		if b == 0 {
			break
		}
		if b == 0xff {
			bits += 8
			continue
		}
		for b&0x80 != 0 {
			bits++
			b <<= 1
		}
	}
	return bits
}

// ntop formats a 4 or 16 octet address as glibc's inet_ntop does.
func ntop(b string) string {
	if len(b) == 4 {
		return netip.AddrFrom4([4]byte([]byte(b))).String()
	}
	a := netip.AddrFrom16([16]byte([]byte(b)))
	// glibc writes an IPv4-compatible address (first 96 bits zero, the
	// next 16 not) as ::a.b.c.d; Go would print ::a0b:c0d.
	if strings.HasPrefix(b, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00") && (b[12] != 0 || b[13] != 0) {
		return "::" + netip.AddrFrom4([4]byte([]byte(b[12:]))).String()
	}
	return a.String()
}

// FormatHost prints an address as charon's %H: "%any" and "%any6" for
// the unspecified addresses, "(null)" for none, IPv6 as glibc's
// inet_ntop prints it.
func FormatHost(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "(null)"
	case a.IsUnspecified() && a.Is4():
		return "%any"
	case a.IsUnspecified():
		return "%any6"
	case a.Is4():
		return a.String()
	}
	b := a.As16()
	return New(IPv6, b[:]).String()
}
