package userspace

import (
	"encoding/binary"
	"net/netip"
)

// IP protocol numbers the datapath looks at.
const (
	protoICMP    = 1
	protoIPIP    = 4
	protoTCP     = 6
	protoUDP     = 17
	protoIPv6    = 41
	protoDCCP    = 33
	protoESP     = 50
	protoICMPv6  = 58
	protoNone    = 59 // RFC 4303 dummy packet (TFC)
	protoSCTP    = 132
	protoUDPLite = 136

	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
)

// flow is what policy matching needs of an IP packet.
type flow struct {
	src, dst netip.Addr
	proto    uint8
	// sport and dport are the transport ports; for ICMP and ICMPv6 both
	// hold type<<8|code, as IKEv2 traffic selectors encode them.
	sport, dport uint16
	// ports is false where the packet has no ports (other protocols,
	// non-first fragments, truncated headers).
	ports bool
	// hdrLen is the IP header length including IPv6 extension headers
	// before the upper-layer header; payload is the upper-layer protocol.
	hdrLen int
	// df: IPv4 with Don't Fragment (IPv6 never fragments in transit).
	df       bool
	fragment bool // a fragment (IPv4 MF/offset, IPv6 fragment header)
	// total is the packet's length according to its header (buffers may
	// hold more).
	total int
}

// parseFlow parses the IP header(s) of pkt. It reports false for packets
// that are not well-formed IPv4/IPv6.
func parseFlow(pkt []byte) (f flow, ok bool) {
	if len(pkt) < 1 {
		return f, false
	}
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < ipv4HeaderLen {
			return f, false
		}
		ihl := int(pkt[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(pkt[2:4]))
		if ihl < ipv4HeaderLen || total < ihl || total > len(pkt) {
			return f, false
		}
		f.src = netip.AddrFrom4([4]byte(pkt[12:16]))
		f.dst = netip.AddrFrom4([4]byte(pkt[16:20]))
		f.proto = pkt[9]
		f.hdrLen = ihl
		f.total = total
		frag := binary.BigEndian.Uint16(pkt[6:8])
		f.df = frag&0x4000 != 0
		f.fragment = frag&0x3fff != 0
		if frag&0x1fff != 0 {
			return f, true // non-first fragment: no ports
		}
		f.parsePorts(pkt[ihl:total])
		return f, true
	case 6:
		if len(pkt) < ipv6HeaderLen {
			return f, false
		}
		total := ipv6HeaderLen + int(binary.BigEndian.Uint16(pkt[4:6]))
		if total > len(pkt) {
			return f, false
		}
		f.src = netip.AddrFrom16([16]byte(pkt[8:24]))
		f.dst = netip.AddrFrom16([16]byte(pkt[24:40]))
		f.total = total
		nh := pkt[6]
		off := ipv6HeaderLen
		nonFirst := false
		// skip the extension headers that precede the upper layer
		for i := 0; i < 8; i++ {
			switch nh {
			case 0, 43, 60: // hop-by-hop, routing, destination options
				if off+8 > total {
					return f, false
				}
				next := pkt[off]
				off += 8 + int(pkt[off+1])*8
				nh = next
				continue
			case 44: // fragment
				if off+8 > total {
					return f, false
				}
				f.fragment = true
				if binary.BigEndian.Uint16(pkt[off+2:off+4])&0xfff8 != 0 {
					nonFirst = true
				}
				nh = pkt[off]
				off += 8
				continue
			}
			break
		}
		if off > total {
			return f, false
		}
		f.proto = nh
		f.hdrLen = off
		if !nonFirst {
			f.parsePorts(pkt[off:total])
		}
		return f, true
	}
	return f, false
}

func (f *flow) parsePorts(l4 []byte) {
	switch f.proto {
	case protoTCP, protoUDP, protoSCTP, protoUDPLite, protoDCCP:
		if len(l4) >= 4 {
			f.sport = binary.BigEndian.Uint16(l4[0:2])
			f.dport = binary.BigEndian.Uint16(l4[2:4])
			f.ports = true
		}
	case protoICMP, protoICMPv6:
		if len(l4) >= 2 {
			f.sport = uint16(l4[0])<<8 | uint16(l4[1])
			f.dport = f.sport
			f.ports = true
		}
	}
}

// isICMPError reports whether an ICMP/ICMPv6 packet is an error message,
// which never gets an ICMP error back (RFC 1122 3.2.2, RFC 4443 2.4).
func (f *flow) isICMPError() bool {
	if !f.ports {
		return f.proto == protoICMP || f.proto == protoICMPv6
	}
	typ := f.sport >> 8
	switch f.proto {
	case protoICMP:
		return typ == 3 || typ == 4 || typ == 5 || typ == 11 || typ == 12
	case protoICMPv6:
		return typ < 128
	}
	return false
}

// checksumAdd adds b to a one's complement sum.
func checksumAdd(sum uint64, b []byte) uint64 {
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		sum += v >> 32
		sum += v & 0xffffffff
		b = b[8:]
	}
	if len(b) >= 4 {
		sum += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return sum
}

// checksumFold folds a sum into the 16-bit one's complement checksum.
func checksumFold(sum uint64) uint16 {
	for sum > 0xffff {
		sum = (sum >> 16) + (sum & 0xffff)
	}
	return ^uint16(sum)
}

// pseudoHeaderSum is the sum of the TCP/UDP/ICMPv6 pseudo header.
func pseudoHeaderSum(src, dst netip.Addr, proto uint8, length int) uint64 {
	var sum uint64
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = checksumAdd(sum, s[:])
		sum = checksumAdd(sum, d[:])
	} else {
		s, d := src.As16(), dst.As16()
		sum = checksumAdd(sum, s[:])
		sum = checksumAdd(sum, d[:])
	}
	return sum + uint64(proto) + uint64(length)
}

// fixL4Checksum recomputes the TCP or UDP checksum of an IP packet whose
// header was rewritten (transport mode behind a NAT: the peer computed it
// with its private address, RFC 3948 3.1.2). The ESP ICV already
// guarantees the payload's integrity.
func fixL4Checksum(pkt []byte, f *flow) {
	if f.fragment || f.hdrLen >= len(pkt) {
		return
	}
	l4 := pkt[f.hdrLen:]
	var at int
	switch f.proto {
	case protoTCP:
		if len(l4) < 20 {
			return
		}
		at = 16
	case protoUDP:
		if len(l4) < 8 {
			return
		}
		if f.src.Is4() && binary.BigEndian.Uint16(l4[6:8]) == 0 {
			return // no checksum
		}
		at = 6
	default:
		return
	}
	l4[at], l4[at+1] = 0, 0
	c := checksumFold(checksumAdd(pseudoHeaderSum(f.src, f.dst, f.proto, len(l4)), l4))
	if f.proto == protoUDP && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(l4[at:], c)
}

// putIPv4Header writes a 20-byte IPv4 header for a payload of n bytes.
func putIPv4Header(b []byte, src, dst netip.Addr, proto uint8, n int, tos uint8) {
	b[0] = 0x45
	b[1] = tos
	binary.BigEndian.PutUint16(b[2:], uint16(ipv4HeaderLen+n))
	b[4], b[5] = 0, 0
	b[6], b[7] = 0, 0
	b[8] = 64
	b[9] = proto
	b[10], b[11] = 0, 0
	s, d := src.As4(), dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	binary.BigEndian.PutUint16(b[10:], checksumFold(checksumAdd(0, b[:ipv4HeaderLen])))
}

// putIPv6Header writes a 40-byte IPv6 header for a payload of n bytes.
func putIPv6Header(b []byte, src, dst netip.Addr, proto uint8, n int, tclass uint8) {
	binary.BigEndian.PutUint32(b[0:], 6<<28|uint32(tclass)<<20)
	binary.BigEndian.PutUint16(b[4:], uint16(n))
	b[6] = proto
	b[7] = 64
	s, d := src.As16(), dst.As16()
	copy(b[8:24], s[:])
	copy(b[24:40], d[:])
}

// icmpTooBig builds into out the ICMP "fragmentation needed" (IPv4, type
// 3 code 4) or ICMPv6 "packet too big" (type 2) for the packet orig that
// exceeds mtu, addressed to orig's source and sent from orig's destination
// (the error comes out of the tunnel, as a router on the path would send
// it). It returns nil where no error may be sent.
func icmpTooBig(out, orig []byte, f *flow, mtu int) []byte {
	if f.isICMPError() || !f.src.IsValid() || f.src.IsUnspecified() || f.src.IsMulticast() || f.dst.IsMulticast() {
		return nil
	}
	if f.src.Is4() {
		if f.dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil
		}
		// RFC 1812 4.3.2.3: as much of the original as fits in 576 bytes
		quote := min(len(orig), 576-ipv4HeaderLen-8)
		n := ipv4HeaderLen + 8 + quote
		if len(out) < n {
			return nil
		}
		out = out[:n]
		putIPv4Header(out, f.dst, f.src, protoICMP, 8+quote, 0)
		icmp := out[ipv4HeaderLen:]
		icmp[0], icmp[1] = 3, 4
		icmp[2], icmp[3], icmp[4], icmp[5] = 0, 0, 0, 0
		binary.BigEndian.PutUint16(icmp[6:], uint16(mtu))
		copy(icmp[8:], orig[:quote])
		binary.BigEndian.PutUint16(icmp[2:], checksumFold(checksumAdd(0, icmp)))
		return out
	}
	// RFC 4443 3.2: as much as fits in the minimum MTU
	quote := min(len(orig), 1280-ipv6HeaderLen-8)
	n := ipv6HeaderLen + 8 + quote
	if len(out) < n || f.dst.IsLinkLocalUnicast() && !f.src.IsLinkLocalUnicast() {
		return nil
	}
	out = out[:n]
	putIPv6Header(out, f.dst, f.src, protoICMPv6, 8+quote, 0)
	icmp := out[ipv6HeaderLen:]
	icmp[0], icmp[1], icmp[2], icmp[3] = 2, 0, 0, 0
	binary.BigEndian.PutUint32(icmp[4:], uint32(mtu))
	copy(icmp[8:], orig[:quote])
	sum := pseudoHeaderSum(f.dst, f.src, protoICMPv6, len(icmp))
	binary.BigEndian.PutUint16(icmp[2:], checksumFold(checksumAdd(sum, icmp)))
	return out
}
