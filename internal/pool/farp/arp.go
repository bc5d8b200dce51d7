package farp

import (
	"encoding/binary"
	"net"
	"net/netip"
	"time"

	"golang.org/x/net/bpf"

	"github.com/goswan/goswan/internal/log"
)

// arpLen is the length of an ARP packet for IPv4 over Ethernet (RFC 826).
const arpLen = 28

const (
	arpRequest = 1
	arpReply   = 2
)

// arpPacket is an ARP request for IPv4 over Ethernet.
type arpPacket struct {
	senderMAC net.HardwareAddr
	senderIP  netip.Addr
	targetIP  netip.Addr
}

// parseRequest accepts an ARP request for IPv4 over Ethernet, the packet
// as a SOCK_DGRAM packet socket delivers it (no link-layer header).
func parseRequest(b []byte) (arpPacket, bool) {
	if len(b) < arpLen ||
		binary.BigEndian.Uint16(b[0:2]) != 1 || // Ethernet
		binary.BigEndian.Uint16(b[2:4]) != 0x0800 || // IPv4
		b[4] != 6 || b[5] != 4 ||
		binary.BigEndian.Uint16(b[6:8]) != arpRequest {
		return arpPacket{}, false
	}
	return arpPacket{
		senderMAC: net.HardwareAddr(append([]byte(nil), b[8:14]...)),
		senderIP:  netip.AddrFrom4([4]byte(b[14:18])),
		targetIP:  netip.AddrFrom4([4]byte(b[24:28])),
	}, true
}

// buildReply answers req: the target address is at mac.
func buildReply(req arpPacket, mac net.HardwareAddr) []byte {
	b := make([]byte, arpLen)
	binary.BigEndian.PutUint16(b[0:2], 1)
	binary.BigEndian.PutUint16(b[2:4], 0x0800)
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:8], arpReply)
	copy(b[8:14], mac)
	t := req.targetIP.As4()
	copy(b[14:18], t[:])
	copy(b[18:24], req.senderMAC)
	s := req.senderIP.As4()
	copy(b[24:28], s[:])
	return b
}

// requestFilter passes ARP requests for IPv4 over Ethernet of full
// length, cut to the ARP packet (strongSwan's filter, which does not check
// the hardware type, plus that check).
func requestFilter() []bpf.Instruction {
	const drop = 13
	return []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: 0, Size: 2},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 1, SkipTrue: drop - 2},
		/* 2 */ bpf.LoadAbsolute{Off: 2, Size: 2},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0x0800, SkipTrue: drop - 4},
		/* 4 */ bpf.LoadAbsolute{Off: 4, Size: 1},
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 6, SkipTrue: drop - 6},
		/* 6 */ bpf.LoadAbsolute{Off: 5, Size: 1},
		/* 7 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 4, SkipTrue: drop - 8},
		/* 8 */ bpf.LoadAbsolute{Off: 6, Size: 2},
		/* 9 */ bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: arpRequest, SkipTrue: drop - 10},
		/* 10 */ bpf.LoadExtension{Num: bpf.ExtLen},
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpLessThan, Val: arpLen, SkipTrue: drop - 12},
		/* 12 */ bpf.RetConstant{Val: arpLen},
		/* 13 */ bpf.RetConstant{Val: 0},
	}
}

// serve answers requests until the socket is closed.
func (p *Proxy) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := p.sock.recv(buf)
		if err != nil {
			if p.sock.isClosed() {
				return
			}
			p.log.Log(log.NET, 1, log.Context{}, "receiving ARP request failed: %s", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if from.outgoing {
			continue // our own (or the kernel's) requests
		}
		req, ok := parseRequest(buf[:n])
		if !ok || !p.HasTunnel(req.senderIP, req.targetIP) {
			continue
		}
		mac, name, ok := p.sock.ifaceMAC(from.ifindex)
		if !ok {
			continue // not Ethernet
		}
		p.log.Log(log.NET, 2, log.Context{}, "replying to ARP request for %s from %s (%s) on %s",
			req.targetIP, req.senderIP, req.senderMAC, name)
		dst := from.addr
		if len(dst) != 6 {
			dst = req.senderMAC
		}
		if err := p.sock.send(buildReply(req, mac), from.ifindex, dst); err != nil {
			p.log.Log(log.NET, 1, log.Context{}, "sending ARP reply failed: %s", err)
		}
	}
}
