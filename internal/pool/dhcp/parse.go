package dhcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"
	"golang.org/x/net/bpf"
)

// Offsets into the BOOTP message (RFC 2131 section 2).
const (
	bootpOp     = 0
	bootpHType  = 1
	bootpHLen   = 2
	bootpCookie = 236
	udpHdrLen   = 8
)

// parseReply takes an IPv4 packet as the packet socket delivers it and
// returns the DHCP reply it carries (a BOOTREPLY from port 67 to port 68
// or 67 for an Ethernet chaddr, with a message type) and its IP source.
// It checks what the socket filter checks again, and more: the filter is
// an optimization, not a guarantee.
func parseReply(pkt []byte) (*dhcpv4.DHCPv4, netip.Addr, error) {
	if len(pkt) < 20 {
		return nil, netip.Addr{}, fmt.Errorf("IPv4 header truncated (%d bytes)", len(pkt))
	}
	if pkt[0]>>4 != 4 {
		return nil, netip.Addr{}, fmt.Errorf("IP version %d", pkt[0]>>4)
	}
	ihl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:4]))
	if ihl < 20 || total < ihl || total > len(pkt) {
		return nil, netip.Addr{}, fmt.Errorf("invalid IPv4 lengths (header %d, total %d, got %d)", ihl, total, len(pkt))
	}
	if pkt[9] != 17 {
		return nil, netip.Addr{}, fmt.Errorf("IP protocol %d", pkt[9])
	}
	if binary.BigEndian.Uint16(pkt[6:8])&0x3fff != 0 {
		return nil, netip.Addr{}, errors.New("IPv4 fragment")
	}
	src := netip.AddrFrom4([4]byte(pkt[12:16]))
	udp := pkt[ihl:total]
	if len(udp) < udpHdrLen {
		return nil, src, errors.New("UDP header truncated")
	}
	sport, dport := binary.BigEndian.Uint16(udp[0:2]), binary.BigEndian.Uint16(udp[2:4])
	if sport != serverPort || (dport != clientPort && dport != serverPort) {
		return nil, src, fmt.Errorf("UDP ports %d -> %d", sport, dport)
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:6]))
	if ulen < udpHdrLen || ulen > len(udp) {
		return nil, src, fmt.Errorf("invalid UDP length %d", ulen)
	}
	payload := udp[udpHdrLen:ulen]
	if len(payload) < bootpCookie+4 {
		return nil, src, fmt.Errorf("DHCP message truncated (%d bytes)", len(payload))
	}
	m, err := dhcpv4.FromBytes(payload)
	if err != nil {
		return nil, src, fmt.Errorf("malformed DHCP message from %s: %w", src, err)
	}
	if m.OpCode != dhcpv4.OpcodeBootReply || m.HWType != iana.HWTypeEthernet || len(m.ClientHWAddr) != 6 {
		return nil, src, fmt.Errorf("not a BOOTREPLY for an Ethernet address from %s", src)
	}
	if m.MessageType() == dhcpv4.MessageTypeNone {
		return nil, src, fmt.Errorf("DHCP message from %s without message type", src)
	}
	return m, src, nil
}

// replyFilter is the packet socket's filter (offsets from the IP header):
// unfragmented UDP from port 67 to port 68 or 67 carrying a BOOTREPLY for a
// 6-octet Ethernet address with the DHCP magic cookie. It is strongSwan's
// filter, except that it honours IP options (the header length) and drops
// fragments.
func replyFilter() []bpf.Instruction {
	const drop = 17 // index of the final "ret #0"
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 9, Size: 1},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 17, SkipTrue: drop - 2},
		/* 2 */ bpf.LoadAbsolute{Off: 6, Size: 2},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x3fff, SkipTrue: drop - 4},
		/* 4 */ bpf.LoadMemShift{Off: 0},
		/* 5 */ bpf.LoadIndirect{Off: 0, Size: 2},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: serverPort, SkipTrue: drop - 7},
		/* 7 */ bpf.LoadIndirect{Off: 2, Size: 2},
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: clientPort, SkipTrue: 1},
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: serverPort, SkipTrue: drop - 10},
		/* 10 */ bpf.LoadIndirect{Off: udpHdrLen + bootpOp, Size: 1},
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(dhcpv4.OpcodeBootReply), SkipTrue: drop - 12},
		/* 12 */ bpf.LoadIndirect{Off: udpHdrLen + bootpHType, Size: 2},
		/* 13 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(iana.HWTypeEthernet)<<8 | 6, SkipTrue: drop - 14},
		/* 14 */ bpf.LoadIndirect{Off: udpHdrLen + bootpCookie, Size: 4},
		/* 15 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x63825363, SkipTrue: drop - 16},
		/* 16 */ bpf.RetConstant{Val: 0x40000},
		/* 17 */ bpf.RetConstant{Val: 0},
	}
	return prog
}

// hashStatic is libstrongswan's chunk_hash_static: SipHash-2-4 keyed with
// the octets 00 01 ... 0f, truncated to its low 32 bits.
func hashStatic(b []byte) uint32 {
	const k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
	v0 := k0 ^ uint64(0x736f6d6570736575)
	v1 := k1 ^ uint64(0x646f72616e646f6d)
	v2 := k0 ^ uint64(0x6c7967656e657261)
	v3 := k1 ^ uint64(0x7465646279746573)
	round := func() {
		v0 += v1
		v1 = v1<<13 | v1>>51
		v1 ^= v0
		v0 = v0<<32 | v0>>32
		v2 += v3
		v3 = v3<<16 | v3>>48
		v3 ^= v2
		v0 += v3
		v3 = v3<<21 | v3>>43
		v3 ^= v0
		v2 += v1
		v1 = v1<<17 | v1>>47
		v1 ^= v2
		v2 = v2<<32 | v2>>32
	}
	compress := func(m uint64) {
		v3 ^= m
		round()
		round()
		v0 ^= m
	}
	n := len(b)
	for len(b) >= 8 {
		compress(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	last := uint64(n) << 56
	for i := len(b) - 1; i >= 0; i-- {
		last |= uint64(b[i]) << (8 * i)
	}
	compress(last)
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return uint32(v0 ^ v1 ^ v2 ^ v3)
}
