package userspace

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

var (
	addrA  = netip.MustParseAddr("192.0.2.1")
	addrB  = netip.MustParseAddr("192.0.2.2")
	addrA6 = netip.MustParseAddr("2001:db8::1")
	addrB6 = netip.MustParseAddr("2001:db8::2")
	hostA  = netip.MustParseAddr("10.1.0.5")
	hostB  = netip.MustParseAddr("10.2.0.7")
	gwA    = netip.MustParseAddr("10.1.0.1")
	gwB    = netip.MustParseAddr("10.2.0.1")
)

// pair builds two peers on one in-memory network.
func pair(t testing.TB, a, b netip.Addr, oa, ob peerOpts) (*memNet, *peer, *peer) {
	n := newMemNet()
	return n, newPeer(t, n, a, oa), newPeer(t, n, b, ob)
}

func net2net(reqID uint32) *child {
	return &child{reqID: reqID, spiAB: 0xc0000100 + reqID, spiBA: 0xc0000200 + reqID,
		localA: []kernel.TS{ts("10.1.0.0/16")}, localB: []kernel.TS{ts("10.2.0.0/16")}}
}

func TestTunnelIPv4(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{addrs: []netip.Addr{gwA}}, peerOpts{addrs: []netip.Addr{gwB}})
	c := net2net(1)
	c.install(t, a, b)

	ping := echo(hostA, hostB, 1, 1, 56)
	a.tun.Inject(ping)
	if got := b.tun.Next(t); !bytes.Equal(got, ping) {
		t.Fatalf("B received %x, want %x", got, ping)
	}
	pong := echo(hostB, hostA, 1, 1, 56)
	b.tun.Inject(pong)
	if got := a.tun.Next(t); !bytes.Equal(got, pong) {
		t.Fatalf("A received %x", got)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		p  *peer
		id kernel.SAID
	}{
		{a, kernel.SAID{Src: addrA, Dst: addrB, SPI: c.spiAB, Proto: kernel.ProtoESP}},
		{b, kernel.SAID{Src: addrA, Dst: addrB, SPI: c.spiAB, Proto: kernel.ProtoESP}},
		{a, kernel.SAID{Src: addrB, Dst: addrA, SPI: c.spiBA, Proto: kernel.ProtoESP}},
		{b, kernel.SAID{Src: addrB, Dst: addrA, SPI: c.spiBA, Proto: kernel.ProtoESP}},
	} {
		u, err := tc.p.e.QuerySA(ctx, tc.id)
		if err != nil || u.Packets != 1 || u.Bytes != uint64(len(ping)) || !u.LastUse.Equal(testStart) {
			t.Errorf("QuerySA %08x: %+v %v", tc.id.SPI, u, err)
		}
	}
	waitFor(t, "counters", func() bool {
		sa, sb := a.e.Stats(), b.e.Stats()
		return sa.ESPSent == 1 && sa.ESPReceived == 1 && sb.ESPSent == 1 && sb.ESPReceived == 1 && sa.TUNRead == 1 && sb.TUNWritten == 1
	})
	used, err := a.e.QueryPolicy(ctx, c.policies(a, b, true)[0])
	if err != nil || !used.Equal(testStart) {
		t.Errorf("QueryPolicy out: %v %v", used, err)
	}
	used, err = b.e.QueryPolicy(ctx, c.policies(a, b, false)[1])
	if err != nil || !used.Equal(testStart) {
		t.Errorf("QueryPolicy in: %v %v", used, err)
	}
	// many packets in both directions keep their order
	for i := range 300 {
		a.tun.Inject(echo(hostA, hostB, 2, uint16(i), i))
	}
	for i := range 300 {
		got := b.tun.Next(t)
		if binary.BigEndian.Uint16(got[26:]) != uint16(i) {
			t.Fatalf("packet %d out of order (seq %d)", i, binary.BigEndian.Uint16(got[26:]))
		}
	}
}

func TestTunnelFamilies(t *testing.T) {
	for _, tc := range []struct {
		name           string
		outerA, outerB netip.Addr
		localA, localB string
		src, dst       string
	}{
		{"6in4", addrA, addrB, "fec1::/16", "fec2::/16", "fec1::10", "fec2::20"},
		{"4in6", addrA6, addrB6, "10.1.0.0/16", "10.2.0.0/16", "10.1.0.5", "10.2.0.7"},
		{"6in6", addrA6, addrB6, "fec1::/16", "fec2::/16", "fec1::10", "fec2::20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, b := pair(t, tc.outerA, tc.outerB, peerOpts{}, peerOpts{})
			c := &child{reqID: 3, spiAB: 0xc0000301, spiBA: 0xc0000302, localA: []kernel.TS{ts(tc.localA)},
				localB: []kernel.TS{ts(tc.localB)}, esn: true,
				encrAB: kernel.Algorithm{ID: crypto.EncrChaCha20Poly1305, Key: bytes.Repeat([]byte{1}, 36)},
				encrBA: kernel.Algorithm{ID: crypto.EncrChaCha20Poly1305, Key: bytes.Repeat([]byte{2}, 36)}}
			c.install(t, a, b)
			src, dst := netip.MustParseAddr(tc.src), netip.MustParseAddr(tc.dst)
			for _, pkt := range [][]byte{echo(src, dst, 7, 1, 100), l4Packet(src, dst, protoUDP, 1000, 53, []byte("query"))} {
				a.tun.Inject(pkt)
				if got := b.tun.Next(t); !bytes.Equal(got, pkt) {
					t.Fatalf("received %x, want %x", got, pkt)
				}
			}
		})
	}
}

// TestCipherSuitesEndToEnd runs traffic through every supported suite.
func TestCipherSuitesEndToEnd(t *testing.T) {
	key := func(n int, v byte) []byte { return bytes.Repeat([]byte{v}, n) }
	for _, tc := range []struct {
		name        string
		encr, integ func(byte) kernel.Algorithm
	}{
		{"aes128gcm8", func(v byte) kernel.Algorithm {
			return kernel.Algorithm{ID: crypto.EncrAESGCM8, KeyLen: 128, Key: key(20, v)}
		}, nil},
		{"aes256gcm12", func(v byte) kernel.Algorithm {
			return kernel.Algorithm{ID: crypto.EncrAESGCM12, KeyLen: 256, Key: key(36, v)}
		}, nil},
		{"aes256-sha512", func(v byte) kernel.Algorithm {
			return kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 256, Key: key(32, v)}
		}, func(v byte) kernel.Algorithm {
			return kernel.Algorithm{ID: crypto.AuthHMACSHA512256, Key: key(64, v)}
		}},
		{"aes128-xcbc", func(v byte) kernel.Algorithm {
			return kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: key(16, v)}
		}, func(v byte) kernel.Algorithm {
			return kernel.Algorithm{ID: crypto.AuthAESXCBC96, Key: key(16, v)}
		}},
		{"null-sha256", func(byte) kernel.Algorithm { return kernel.Algorithm{ID: crypto.EncrNull} },
			func(v byte) kernel.Algorithm {
				return kernel.Algorithm{ID: crypto.AuthHMACSHA256128, Key: key(32, v)}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, a, b := pair(t, addrA, addrB, peerOpts{}, peerOpts{})
			c := net2net(4)
			c.encrAB, c.encrBA = tc.encr(1), tc.encr(2)
			if tc.integ != nil {
				c.integ = tc.integ(3)
			}
			c.install(t, a, b)
			for i := range 5 {
				pkt := echo(hostA, hostB, 1, uint16(i), 1+i*333)
				a.tun.Inject(pkt)
				if got := b.tun.Next(t); !bytes.Equal(got, pkt) {
					t.Fatalf("received %x", got)
				}
			}
		})
	}
}

func TestTransportMode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a, b   netip.Addr
		encap  bool
		innerA netip.Addr // the address A's packets come from (a NAT hides it)
	}{
		{"ipv4", addrA, addrB, false, addrA},
		{"ipv6", addrA6, addrB6, false, addrA6},
		{"ipv4-natt", addrA, addrB, true, netip.MustParseAddr("172.16.0.9")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A sits behind a NAT that maps innerA:4500 to tc.a:4500
			var bEngine atomic.Pointer[Engine]
			var aEngine atomic.Pointer[Engine]
			udpA := func(c *Config) {
				c.SendUDP = func(src, dst netip.AddrPort, pkt []byte) error {
					bEngine.Load().HandleUDPESP(netip.AddrPortFrom(tc.a, src.Port()), dst, pkt)
					return nil
				}
			}
			udpB := func(c *Config) {
				c.SendUDP = func(src, dst netip.AddrPort, pkt []byte) error {
					aEngine.Load().HandleUDPESP(src, netip.AddrPortFrom(tc.innerA, dst.Port()), pkt)
					return nil
				}
			}
			_, a, b := pair(t, tc.innerA, tc.b, peerOpts{cfg: udpA}, peerOpts{cfg: udpB})
			aEngine.Store(a.e)
			bEngine.Store(b.e)
			aPub := &peer{addr: tc.a}
			host := func(x netip.Addr) kernel.TS { return kernel.TS{Start: x, End: x, ToPort: 0xffff} }
			ca := &child{reqID: 5, spiAB: 0xc0000501, spiBA: 0xc0000502, mode: kernel.ModeTransport, encap: tc.encap,
				localA: []kernel.TS{host(tc.innerA)}, localB: []kernel.TS{host(tc.b)}}
			cb := *ca
			cb.localA = []kernel.TS{host(tc.a)} // B sees A's public address
			ctx := context.Background()
			ca.defaults()
			cb.defaults()
			for _, s := range ca.sas(a, b, true) {
				if err := a.e.AddSA(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range ca.policies(a, b, true) {
				if err := a.e.AddPolicy(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range cb.sas(aPub, b, false) {
				if err := b.e.AddSA(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range cb.policies(aPub, b, false) {
				if err := b.e.AddPolicy(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			pkt := l4Packet(tc.innerA, tc.b, protoTCP, 40000, 22, []byte("SSH-2.0-test"))
			a.tun.Inject(pkt)
			var got []byte
			select {
			case got = <-b.tun.out:
			case <-time.After(time.Second):
				t.Fatalf("nothing received: A %+v B %+v", a.e.Stats(), b.e.Stats())
			}
			f, ok := parseFlow(got)
			if !ok || f.src != tc.a || f.dst != tc.b || f.proto != protoTCP {
				t.Fatalf("received %x", got)
			}
			if !bytes.Equal(got[f.hdrLen:], pkt[f.hdrLen:]) && !tc.encap {
				t.Errorf("payload changed: %x", got)
			}
			if !l4ChecksumOK(got) {
				t.Errorf("bad TCP checksum in %x", got)
			}
			if tc.encap {
				if s := b.e.Stats(); s.UDPReceived != 1 || s.ESPReceived != 0 {
					t.Errorf("stats %+v", s)
				}
			} else {
				waitFor(t, "ESP sent", func() bool { return a.e.Stats().ESPSent == 1 })
			}
			// the reply from B to A's public address arrives at A's own
			reply := l4Packet(tc.b, tc.a, protoUDP, 53, 4000, []byte("x"))
			b.tun.Inject(reply)
			got = a.tun.Next(t)
			if f, ok := parseFlow(got); !ok || f.src != tc.b || f.dst != tc.innerA || !l4ChecksumOK(got) {
				t.Fatalf("A received %x", got)
			}
		})
	}
}

// TestUDPEncapAndMapping: ESP in UDP through the per-packet hooks
// (SendUDP, HandleUDPESP) and the batch hooks (SendUDPBatch,
// HandleUDPESPBatch), and the mapping change behind a NAT.
func TestUDPEncapAndMapping(t *testing.T) {
	t.Run("single", func(t *testing.T) { testUDPEncapAndMapping(t, false) })
	t.Run("batch", func(t *testing.T) { testUDPEncapAndMapping(t, true) })
}

func testUDPEncapAndMapping(t *testing.T, batch bool) {
	var bEngine, aEngine atomic.Pointer[Engine]
	var natPort atomic.Uint32
	natPort.Store(4500)
	// a NAT in front of A
	aToB := func(src, dst netip.AddrPort) (netip.AddrPort, netip.AddrPort) {
		return netip.AddrPortFrom(src.Addr(), uint16(natPort.Load())), dst
	}
	hooks := func(to *atomic.Pointer[Engine], nat func(src, dst netip.AddrPort) (netip.AddrPort, netip.AddrPort)) func(*Config) {
		return func(c *Config) {
			if !batch {
				c.SendUDP = func(src, dst netip.AddrPort, pkt []byte) error {
					src, dst = nat(src, dst)
					to.Load().HandleUDPESP(src, dst, pkt)
					return nil
				}
				return
			}
			c.SendUDPBatch = func(src, dst []netip.AddrPort, pkts [][]byte) (int, error) {
				// as a receiving socket would: its own slices, the
				// sender's may not be touched
				var s, d []netip.AddrPort
				for i := range pkts {
					a, b := nat(src[i], dst[i])
					s, d = append(s, a), append(d, b)
				}
				to.Load().HandleUDPESPBatch(s, d, pkts)
				return len(pkts), nil
			}
		}
	}
	aCfg := hooks(&bEngine, aToB)
	_, a, b := pair(t, addrA, addrB,
		peerOpts{cfg: func(c *Config) {
			c.NoRawESP = true
			aCfg(c)
		}, addrs: []netip.Addr{gwA}},
		peerOpts{cfg: hooks(&aEngine, func(src, dst netip.AddrPort) (netip.AddrPort, netip.AddrPort) { return src, dst }),
			addrs: []netip.Addr{gwB}})
	aEngine.Store(a.e)
	bEngine.Store(b.e)
	c := net2net(6)
	c.encap = true
	c.install(t, a, b)
	for i := range 3 {
		ping := echo(hostA, hostB, 1, uint16(i), 64)
		a.tun.Inject(ping)
		if got := b.tun.Next(t); !bytes.Equal(got, ping) {
			t.Fatal("ping lost")
		}
	}
	waitFor(t, "UDP sent", func() bool { s := a.e.Stats(); return s.UDPSent == 3 && s.ESPSent == 0 })
	noEvent(t, b.e)
	natPort.Store(31337)
	a.tun.Inject(echo(hostA, hostB, 1, 9, 64))
	b.tun.Next(t)
	ev := nextEvent(t, b.e)
	m, ok := ev.(kernel.Mapping)
	if !ok || m.ID.SPI != c.spiAB || m.New != netip.AddrPortFrom(addrA, 31337) {
		t.Fatalf("event %#v", ev)
	}
	a.tun.Inject(echo(hostA, hostB, 1, 10, 64))
	b.tun.Next(t)
	noEvent(t, b.e) // reported once
	// after UpdateSA, B answers to the new port
	if err := b.e.UpdateSA(context.Background(), kernel.SAID{Src: addrB, Dst: addrA, SPI: c.spiBA, Proto: kernel.ProtoESP},
		netip.AddrPortFrom(addrB, 4500), netip.AddrPortFrom(addrA, 31337), true); err != nil {
		t.Fatal(err)
	}
	b.tun.Inject(echo(hostB, hostA, 1, 1, 10))
	a.tun.Next(t)
}

func TestSPDPriorities(t *testing.T) {
	out := func(src, dst string, typ kernel.PolicyType, trap bool) *kernel.Policy {
		return &kernel.Policy{Src: ts(src), Dst: ts(dst), Dir: kernel.DirOut, Type: typ, Trap: trap, ReqID: 1}
	}
	// smaller is preferred
	order := []*kernel.Policy{
		out("10.1.0.5/32", "10.2.0.7/32", kernel.PolicyPass, false),
		out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyPass, false),
		out("10.1.0.5/32", "10.2.0.7/32", kernel.PolicyIPsec, false),
		out("10.1.0.0/16", "10.2.0.0/24", kernel.PolicyIPsec, false),
		out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, false),
		out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, true),
		out("0.0.0.0/0", "0.0.0.0/0", kernel.PolicyIPsec, false),
		out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyDrop, false),
	}
	for i := 1; i < len(order); i++ {
		if a, b := autoPriority(order[i-1]), autoPriority(order[i]); a >= b {
			t.Errorf("priority of %v === %v type %d (%d) not better than %v === %v type %d (%d)",
				order[i-1].Src, order[i-1].Dst, order[i-1].Type, a, order[i].Src, order[i].Dst, order[i].Type, b)
		}
	}
	// kernel-netlink's values for a /16 === /16 IPsec policy: 400000 -
	// 32*512 - 1, and ports and protocol make it more specific
	if p := autoPriority(out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, false)); p != 383615 {
		t.Errorf("priority %d", p)
	}
	pp := out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, false)
	pp.Dst.Proto, pp.Dst.FromPort, pp.Dst.ToPort = protoTCP, 80, 80
	if p := autoPriority(pp); p != 383615-256-16*4 {
		t.Errorf("priority with tcp/80: %d", p)
	}

	s := newSPD()
	for _, p := range order {
		s.add(p)
	}
	lookup := func(src, dst string, proto uint8, dport uint16) *policyEntry {
		f := flow{src: netip.MustParseAddr(src), dst: netip.MustParseAddr(dst), proto: proto, ports: proto != 0, dport: dport}
		k := keyOf(&f)
		return s.snap.Load().lookupOut(&k)
	}
	for _, tc := range []struct {
		src, dst string
		typ      kernel.PolicyType
		dst2     string
	}{
		{"10.1.0.5", "10.2.0.7", kernel.PolicyPass, "10.2.0.7"},
		{"10.1.0.6", "10.2.0.7", kernel.PolicyPass, "10.2.0.0"},
		{"10.9.0.1", "10.2.0.7", kernel.PolicyIPsec, "0.0.0.0"},
	} {
		e := lookup(tc.src, tc.dst, protoUDP, 53)
		if e == nil || e.pol.Type != tc.typ || e.pol.Dst.Start.String() != tc.dst2 {
			t.Errorf("%s -> %s: %+v", tc.src, tc.dst, e)
		}
	}
	// ports and protocols
	s = newSPD()
	web := out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, false)
	web.Dst.Proto, web.Dst.FromPort, web.Dst.ToPort, web.ReqID = protoTCP, 80, 80, 7
	s.add(web)
	s.add(out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyDrop, false))
	icmp := out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, false)
	icmp.Dst.Proto, icmp.Dst.FromPort, icmp.Dst.ToPort, icmp.ReqID = protoICMP, 8<<8, 8<<8|0xff, 8
	s.add(icmp)
	if e := lookup("10.1.0.1", "10.2.0.1", protoTCP, 80); e == nil || e.pol.ReqID != 7 {
		t.Errorf("tcp/80: %+v", e)
	}
	if e := lookup("10.1.0.1", "10.2.0.1", protoTCP, 81); e == nil || e.pol.Type != kernel.PolicyDrop {
		t.Errorf("tcp/81: %+v", e)
	}
	f := flow{src: netip.MustParseAddr("10.1.0.1"), dst: netip.MustParseAddr("10.2.0.1"), proto: protoICMP, ports: true, sport: 8 << 8, dport: 8 << 8}
	k := keyOf(&f)
	if e := s.snap.Load().lookupOut(&k); e == nil || e.pol.ReqID != 8 {
		t.Errorf("icmp echo: %+v", e)
	}
	f.sport, f.dport = 0, 0 // echo reply
	k = keyOf(&f)
	if e := s.snap.Load().lookupOut(&k); e == nil || e.pol.Type != kernel.PolicyDrop {
		t.Errorf("icmp echo reply: %+v", e)
	}
	// a fragment without ports does not match a port selector, but an
	// OPAQUE one
	k = flowKey{src: u128Of(netip.MustParseAddr("10.1.0.1")), dst: u128Of(netip.MustParseAddr("10.2.0.1")), proto: protoTCP}
	if e := s.snap.Load().lookupOut(&k); e == nil || e.pol.Type != kernel.PolicyDrop {
		t.Errorf("fragment: %+v", e)
	}
	opaque := out("10.1.0.0/16", "10.2.0.0/16", kernel.PolicyIPsec, false)
	opaque.Dst.Proto, opaque.Dst.FromPort, opaque.Dst.ToPort, opaque.ReqID = protoTCP, 0xffff, 0, 9
	s.add(opaque)
	if e := s.snap.Load().lookupOut(&k); e == nil || e.pol.ReqID != 9 {
		t.Errorf("fragment with OPAQUE selector: %+v", e)
	}
	if e := lookup("10.1.0.1", "10.2.0.1", protoTCP, 81); e == nil || e.pol.Type != kernel.PolicyDrop {
		t.Errorf("tcp/81 with OPAQUE selector: %+v", e)
	}
}

func TestSPDRefcount(t *testing.T) {
	s := newSPD()
	p1 := &kernel.Policy{Src: ts("10.1.0.0/16"), Dst: ts("10.2.0.0/16"), Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 1, SPI: 0xa}
	p2 := *p1
	p2.SPI = 0xb
	trap := *p1
	trap.Trap, trap.SPI = true, 0
	if n := s.add(&trap); n != 1 {
		t.Fatal(n)
	}
	if n := s.add(p1); n != 2 || s.get(p1).pol.SPI != 0xa || s.get(p1).pol.Trap {
		t.Fatalf("after p1: %d, %+v", n, s.get(p1).pol)
	}
	if n := s.add(&p2); n != 3 || s.get(p1).pol.SPI != 0xb {
		t.Fatalf("after p2 (rekey): %d %+v", n, s.get(p1).pol)
	}
	if n := s.del(p1); n != 2 || s.get(p1).pol.SPI != 0xb {
		t.Fatalf("after deleting p1: %d %+v", n, s.get(p1).pol)
	}
	if n := s.del(&p2); n != 1 || !s.get(p1).pol.Trap {
		t.Fatalf("after deleting p2: %d %+v", n, s.get(p1).pol)
	}
	if len(s.snap.Load().out) != 1 {
		t.Fatal("trap not in force")
	}
	if n := s.del(&trap); n != 0 || s.get(p1) != nil || len(s.snap.Load().out) != 0 {
		t.Fatalf("after deleting the trap: %d", n)
	}
	if n := s.del(&trap); n != -1 {
		t.Fatalf("deleting twice: %d", n)
	}
	// an explicit priority wins over the computed one
	low := *p1
	low.Priority = 1
	s.add(p1)
	s.add(&low)
	s.add(&p2)
	if s.get(p1).pol.Priority != 1 {
		t.Fatalf("manual priority not in force: %+v", s.get(p1).pol)
	}
}

// TestRekeyWithoutGap installs a second CHILD_SA with the same reqid and
// selectors, as a rekeying does, and removes the first: traffic flows
// all the time and the route is installed once.
func TestRekeyWithoutGap(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{addrs: []netip.Addr{gwA}}, peerOpts{addrs: []netip.Addr{gwB}})
	old := net2net(1)
	old.install(t, a, b)
	send := func(i int) {
		t.Helper()
		ping := echo(hostA, hostB, 3, uint16(i), 20)
		a.tun.Inject(ping)
		if got := b.tun.Next(t); !bytes.Equal(got, ping) {
			t.Fatalf("ping %d lost", i)
		}
	}
	send(0)
	nu := net2net(1)
	nu.spiAB, nu.spiBA = 0xc0000999, 0xc0000998
	nu.install(t, a, b)
	send(1)
	old.remove(t, a, b)
	send(2)
	u, err := a.e.QuerySA(context.Background(), kernel.SAID{Src: addrA, Dst: addrB, SPI: nu.spiAB, Proto: kernel.ProtoESP})
	if err != nil || u.Packets != 2 {
		t.Errorf("new SA usage %+v %v", u, err)
	}
	if _, err := a.e.QuerySA(context.Background(), kernel.SAID{Src: addrA, Dst: addrB, SPI: old.spiAB, Proto: kernel.ProtoESP}); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("old SA still there: %v", err)
	}
	if got := a.router.calls; len(got) != 1 || got[0] != "add 10.2.0.0/16 src 10.1.0.1 dev memtun table 220" {
		t.Errorf("route calls %q", got)
	}
	nu.remove(t, a, b)
	if got := a.router.list(); len(got) != 0 {
		t.Errorf("routes left: %q", got)
	}
}

func TestTrapAcquire(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{addrs: []netip.Addr{gwA}}, peerOpts{})
	trap := net2net(9)
	trap.trap = true
	trap.install(t, a, b)
	if got := a.router.list(); !slices.Equal(got, []string{"10.2.0.0/16 src 10.1.0.1 dev memtun table 220"}) {
		t.Errorf("routes %q", got)
	}
	for i := range 5 {
		a.tun.Inject(l4Packet(hostA, hostB, protoTCP, 5555, 80, []byte{byte(i)}))
	}
	ev := nextEvent(t, a.e)
	acq, ok := ev.(kernel.Acquire)
	want := kernel.Acquire{ReqID: 9,
		Src: kernel.TS{Proto: protoTCP, Start: hostA, End: hostA, FromPort: 5555, ToPort: 5555},
		Dst: kernel.TS{Proto: protoTCP, Start: hostB, End: hostB, FromPort: 80, ToPort: 80}}
	if !ok || acq != want {
		t.Fatalf("event %#v, want %#v", ev, want)
	}
	waitFor(t, "drops", func() bool { return a.e.Stats().DropNoSA == 5 })
	noEvent(t, a.e)
	a.clock.Advance(DefaultAcquireInterval)
	a.tun.Inject(echo(hostA, hostB, 1, 1, 1))
	if ev := nextEvent(t, a.e); ev.(kernel.Acquire).ReqID != 9 {
		t.Fatal(ev)
	}
	// the CHILD_SA comes up: its SAs and policies take over from the trap
	c := net2net(9)
	c.install(t, a, b)
	ping := echo(hostA, hostB, 1, 2, 10)
	a.tun.Inject(ping)
	if got := b.tun.Next(t); !bytes.Equal(got, ping) {
		t.Fatal("ping through the CHILD_SA lost")
	}
	// it goes down: the trap acquires again at once (adding the SA reset
	// the rate limit)
	c.remove(t, a, b)
	a.tun.Inject(ping)
	if ev := nextEvent(t, a.e); ev.(kernel.Acquire).ReqID != 9 {
		t.Fatal(ev)
	}
	if a.e.Stats().Acquires != 3 {
		t.Errorf("acquires %d", a.e.Stats().Acquires)
	}
}

func TestLifetimePacketsBytes(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{}, peerOpts{})
	c := net2net(2)
	c.life = kernel.Lifetime{SoftPackets: 3, HardPackets: 5, SoftBytes: 10 * 84, HardBytes: 20 * 84}
	c.install(t, a, b)
	outA := kernel.SAID{Src: addrA, Dst: addrB, SPI: c.spiAB, Proto: kernel.ProtoESP}
	for i := range 3 {
		a.tun.Inject(echo(hostA, hostB, 1, uint16(i), 56))
		b.tun.Next(t)
	}
	// A's outbound and B's inbound SA both reach the soft packet limit
	for _, p := range []*peer{a, b} {
		ev := nextEvent(t, p.e)
		if x, ok := ev.(kernel.Expire); !ok || x.Hard || x.ReqID != 2 || x.ID.SPI != c.spiAB {
			t.Fatalf("event %#v", ev)
		}
	}
	for i := 3; i < 5; i++ {
		a.tun.Inject(echo(hostA, hostB, 1, uint16(i), 56))
		b.tun.Next(t)
	}
	noEvent(t, a.e) // soft once
	a.tun.Inject(echo(hostA, hostB, 1, 6, 56))
	ev := nextEvent(t, a.e)
	if x, ok := ev.(kernel.Expire); !ok || !x.Hard || x.ID != outA {
		t.Fatalf("event %#v", ev)
	}
	b.tun.None(t)
	if _, err := a.e.QuerySA(context.Background(), outA); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("expired SA still there: %v", err)
	}
	a.tun.Inject(echo(hostA, hostB, 1, 7, 56))
	waitFor(t, "drop without SA", func() bool { return a.e.Stats().DropNoSA == 1 })
	if err := a.e.DelSA(context.Background(), outA); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("DelSA after hard expire: %v", err)
	}

	// bytes, on the inbound side
	c2 := net2net(3)
	c2.life = kernel.Lifetime{SoftBytes: 200, HardBytes: 300}
	c2.localA, c2.localB = []kernel.TS{ts("10.3.0.0/16")}, []kernel.TS{ts("10.4.0.0/16")}
	c2.install(t, a, b)
	h3, h4 := netip.MustParseAddr("10.3.0.1"), netip.MustParseAddr("10.4.0.1")
	b.tun.Inject(echo(h4, h3, 1, 1, 100-28)) // 100 bytes
	a.tun.Next(t)
	b.tun.Inject(echo(h4, h3, 1, 2, 100-28))
	a.tun.Next(t)
	for _, p := range []*peer{b, a} {
		if x, ok := nextEvent(t, p.e).(kernel.Expire); !ok || x.Hard || x.ID.SPI != c2.spiBA {
			t.Fatalf("soft bytes: %#v", x)
		}
	}
	b.tun.Inject(echo(h4, h3, 1, 3, 100-28))
	a.tun.Next(t)
	b.tun.Inject(echo(h4, h3, 1, 4, 100-28))
	if x, ok := nextEvent(t, b.e).(kernel.Expire); !ok || !x.Hard || x.ID.SPI != c2.spiBA {
		t.Fatalf("hard bytes: %#v", x)
	}
	a.tun.None(t)
}

func TestLifetimeTime(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{}, peerOpts{})
	c := net2net(2)
	c.life = kernel.Lifetime{SoftTime: 50 * time.Minute, HardTime: time.Hour}
	c.install(t, a, b)
	a.clock.Advance(49 * time.Minute)
	noEvent(t, a.e)
	a.clock.Advance(time.Minute)
	got := map[uint32]bool{}
	for range 2 {
		x := nextEvent(t, a.e).(kernel.Expire)
		if x.Hard {
			t.Fatalf("hard too early: %#v", x)
		}
		got[x.ID.SPI] = true
	}
	if !got[c.spiAB] || !got[c.spiBA] {
		t.Fatalf("soft expires for %v", got)
	}
	a.clock.Advance(10 * time.Minute)
	for range 2 {
		if x := nextEvent(t, a.e).(kernel.Expire); !x.Hard {
			t.Fatalf("want hard: %#v", x)
		}
	}
	if _, err := a.e.QuerySA(context.Background(), kernel.SAID{Src: addrB, Dst: addrA, SPI: c.spiBA, Proto: kernel.ProtoESP}); err == nil {
		t.Error("SA survived its hard lifetime")
	}
	// deleting an SA stops its timers
	c2 := net2net(5)
	c2.life = kernel.Lifetime{SoftTime: time.Minute}
	c2.localA = []kernel.TS{ts("10.9.0.0/16")}
	c2.install(t, a, b)
	c2.remove(t, a, b)
	a.clock.Advance(time.Hour)
	noEvent(t, a.e)
}

// TestSequenceNumbers: the outbound sequence number is near its end: a
// soft expire asks for a rekey, the end is a hard expire; with ESN the
// sequence crosses 2^32 and the receiver follows.
func TestSequenceNumbers(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{}, peerOpts{})
	c := net2net(1)
	c.install(t, a, b)
	outA := kernel.SAID{Src: addrA, Dst: addrB, SPI: c.spiAB, Proto: kernel.ProtoESP}
	a.e.sad.mu.RLock()
	s := a.e.sad.all[outA]
	a.e.sad.mu.RUnlock()
	s.seq.Store(1<<32 - 1 - seqSoftMargin - 1)
	a.tun.Inject(echo(hostA, hostB, 1, 1, 1))
	b.tun.Next(t)
	noEvent(t, a.e)
	a.tun.Inject(echo(hostA, hostB, 1, 2, 1))
	b.tun.Next(t)
	if x := nextEvent(t, a.e).(kernel.Expire); x.Hard || x.ID != outA {
		t.Fatalf("%#v", x)
	}
	s.seq.Store(1<<32 - 2)
	a.tun.Inject(echo(hostA, hostB, 1, 3, 1)) // 0xffffffff: the last one
	b.tun.Next(t)
	a.tun.Inject(echo(hostA, hostB, 1, 4, 1))
	if x := nextEvent(t, a.e).(kernel.Expire); !x.Hard || x.ID != outA {
		t.Fatalf("%#v", x)
	}
	b.tun.None(t)

	c2 := net2net(2)
	c2.esn = true
	c2.localA, c2.localB = []kernel.TS{ts("10.3.0.0/16")}, []kernel.TS{ts("10.4.0.0/16")}
	c2.install(t, a, b)
	a.e.sad.mu.RLock()
	s2 := a.e.sad.all[kernel.SAID{Src: addrA, Dst: addrB, SPI: c2.spiAB, Proto: kernel.ProtoESP}]
	a.e.sad.mu.RUnlock()
	s2.seq.Store(1<<32 - 3)
	h3, h4 := netip.MustParseAddr("10.3.0.1"), netip.MustParseAddr("10.4.0.1")
	for i := range 6 {
		pkt := echo(h3, h4, 1, uint16(i), 10)
		a.tun.Inject(pkt)
		if got := b.tun.Next(t); !bytes.Equal(got, pkt) {
			t.Fatalf("ESN packet %d lost", i)
		}
	}
	if s2.seq.Load() != 1<<32+3 {
		t.Errorf("sequence %x", s2.seq.Load())
	}
}

func TestReplayAndIntegrityDrops(t *testing.T) {
	n, a, b := pair(t, addrA, addrB, peerOpts{}, peerOpts{})
	var captured [][]byte
	var mu sync.Mutex
	n.tap = func(src, dst netip.Addr, esp []byte) bool {
		mu.Lock()
		defer mu.Unlock()
		captured = append(captured, esp)
		return false
	}
	c := net2net(1)
	c.install(t, a, b)
	ping := echo(hostA, hostB, 1, 1, 30)
	a.tun.Inject(ping)
	b.tun.Next(t)
	mu.Lock()
	orig := captured[0]
	mu.Unlock()
	bconn := n.conns[addrB]
	bconn.in <- memMsg{src: addrA, dst: addrB, data: orig} // replay
	waitFor(t, "replay drop", func() bool { return b.e.Stats().DropReplay == 1 })
	bad := append([]byte(nil), orig...)
	bad[20] ^= 1
	binary.BigEndian.PutUint32(bad[4:], 2) // new sequence number, but the ICV fails
	bconn.in <- memMsg{src: addrA, dst: addrB, data: bad}
	waitFor(t, "integrity drop", func() bool { return b.e.Stats().DropIntegrity == 1 })
	unknown := append([]byte(nil), orig...)
	binary.BigEndian.PutUint32(unknown, 0xdeadbeef)
	bconn.in <- memMsg{src: addrA, dst: addrB, data: unknown}
	waitFor(t, "unknown SPI drop", func() bool { return b.e.Stats().DropUnknownSPI == 1 })
	bconn.in <- memMsg{src: addrA, dst: addrB, data: orig[:6]}
	waitFor(t, "short packet drop", func() bool { return b.e.Stats().DropInvalid == 1 })
	b.tun.None(t)
	// the window still accepts new packets
	a.tun.Inject(ping)
	b.tun.Next(t)
}

// TestInboundSelectors: a decrypted packet must match an inbound policy
// of its SA (or the SA's selectors without policies).
func TestInboundSelectors(t *testing.T) {
	ctx := context.Background()
	_, a, b := pair(t, addrA, addrB, peerOpts{}, peerOpts{})
	c := net2net(1)
	c.install(t, a, b)
	// A also sends 10.3.0.0/16 through the same SA; B's policies do not
	// allow it
	sneak := &kernel.Policy{Src: ts("10.3.0.0/16"), Dst: ts("10.2.0.0/16"), Dir: kernel.DirOut, Type: kernel.PolicyIPsec,
		ReqID: 1, Mode: kernel.ModeTunnel, Proto: kernel.ProtoESP, SrcAddr: addrA, DstAddr: addrB, SPI: c.spiAB}
	if err := a.e.AddPolicy(ctx, sneak); err != nil {
		t.Fatal(err)
	}
	a.tun.Inject(echo(netip.MustParseAddr("10.3.0.1"), hostB, 1, 1, 1))
	waitFor(t, "selector drop", func() bool { return b.e.Stats().DropSelector == 1 })
	b.tun.None(t)
	ok := echo(hostA, hostB, 1, 2, 1)
	a.tun.Inject(ok)
	b.tun.Next(t)

	// without policies on B, the SA's own selectors are enforced
	c2 := net2net(2)
	c2.localA, c2.localB = []kernel.TS{ts("10.5.0.0/16")}, []kernel.TS{ts("10.6.0.0/16")}
	c2.noPolicies = true
	c2.install(t, a, b)
	for _, p := range c2.policies(a, b, true) {
		a.e.AddPolicy(ctx, p)
	}
	sneak2 := *sneak
	sneak2.Src, sneak2.Dst, sneak2.ReqID, sneak2.SPI = ts("10.7.0.0/16"), ts("10.6.0.0/16"), 2, c2.spiAB
	a.e.AddPolicy(ctx, &sneak2)
	good := echo(netip.MustParseAddr("10.5.0.1"), netip.MustParseAddr("10.6.0.1"), 1, 1, 1)
	a.tun.Inject(good)
	if got := b.tun.Next(t); !bytes.Equal(got, good) {
		t.Fatal("allowed packet lost")
	}
	a.tun.Inject(echo(netip.MustParseAddr("10.7.0.1"), netip.MustParseAddr("10.6.0.1"), 1, 1, 1))
	waitFor(t, "SA selector drop", func() bool { return b.e.Stats().DropSelector == 2 })
}

func TestTooBig(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{cfg: func(c *Config) { c.OuterMTU = 600 }}, peerOpts{})
	c := net2net(1)
	c.localA = append(c.localA, ts("fec1::/16"))
	c.localB = append(c.localB, ts("fec2::/16"))
	c.install(t, a, b)
	a.e.sad.mu.RLock()
	mtu := int(a.e.sad.all[kernel.SAID{Src: addrA, Dst: addrB, SPI: c.spiAB, Proto: kernel.ProtoESP}].mtu.Load())
	a.e.sad.mu.RUnlock()
	// 600 - 20 (IP) - 8 (ESP) - 8 (IV) - 16 (ICV) = 548, aligned to 4,
	// minus pad length and next header
	if mtu != 546 {
		t.Errorf("SA MTU %d", mtu)
	}
	fits := l4Packet(hostA, hostB, protoUDP, 1, 2, make([]byte, mtu-28))
	a.tun.Inject(fits)
	if got := b.tun.Next(t); !bytes.Equal(got, fits) {
		t.Fatal("packet of the MTU lost")
	}
	big := l4Packet(hostA, hostB, protoTCP, 1, 2, make([]byte, mtu-40+1))
	a.tun.Inject(big)
	icmp := a.tun.Next(t)
	f, ok := parseFlow(icmp)
	if !ok || f.proto != protoICMP || f.src != hostB || f.dst != hostA || icmp[20] != 3 || icmp[21] != 4 ||
		int(binary.BigEndian.Uint16(icmp[26:])) != mtu || !bytes.Equal(icmp[28:], big[:len(icmp)-28]) || !l4ChecksumOK(icmp) {
		t.Fatalf("ICMP %x", icmp)
	}
	// without DF the packet goes (the outer packet will be fragmented)
	nodf := append([]byte(nil), big...)
	nodf[6] = 0
	binary.BigEndian.PutUint16(nodf[10:], 0)
	binary.BigEndian.PutUint16(nodf[10:], checksumFold(checksumAdd(0, nodf[:20])))
	a.tun.Inject(nodf)
	if got := b.tun.Next(t); !bytes.Equal(got, nodf) {
		t.Fatal("packet without DF lost")
	}
	// IPv6: packet too big
	s6, d6 := netip.MustParseAddr("fec1::1"), netip.MustParseAddr("fec2::1")
	big6 := l4Packet(s6, d6, protoUDP, 1, 2, make([]byte, 700))
	a.tun.Inject(big6)
	icmp6 := a.tun.Next(t)
	f, ok = parseFlow(icmp6)
	if !ok || f.proto != protoICMPv6 || f.src != d6 || f.dst != s6 || icmp6[40] != 2 ||
		int(binary.BigEndian.Uint32(icmp6[44:])) != mtu || !l4ChecksumOK(icmp6) {
		t.Fatalf("ICMPv6 %x", icmp6)
	}
	// no error about an error
	a.tun.Inject(ipv4Packet(hostA, hostB, protoICMP, append([]byte{3, 1, 0, 0, 0, 0, 0, 0}, make([]byte, 700)...), true))
	a.tun.None(t)
	waitFor(t, "ICMP counters", func() bool { s := a.e.Stats(); return s.DropTooBig == 3 && s.ICMPSent == 2 })
}

func TestShunts(t *testing.T) {
	var bypassed atomic.Int32
	_, a, b := pair(t, addrA, addrB, peerOpts{cfg: func(c *Config) {
		c.Bypass = func(pkt []byte) error {
			bypassed.Add(1)
			return nil
		}
	}, addrs: []netip.Addr{gwA}}, peerOpts{})
	c := net2net(1)
	c.install(t, a, b)
	ctx := context.Background()
	pass := &kernel.Policy{Src: ts("10.1.0.0/16"), Dst: ts("10.2.5.0/24"), Dir: kernel.DirOut, Type: kernel.PolicyPass}
	drop := &kernel.Policy{Src: ts("0.0.0.0/0"), Dst: ts("0.0.0.0/0"), Dir: kernel.DirOut, Type: kernel.PolicyDrop}
	for _, p := range []*kernel.Policy{pass, drop} {
		if err := a.e.AddPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"10.2.0.0/16 src 10.1.0.1 dev memtun table 220", "10.2.5.0/24 src invalid IP dev throw table 0"}
	if got := a.router.list(); !slices.Equal(got, want) {
		t.Errorf("routes with shunts: %q", got)
	}
	a.tun.Inject(echo(hostA, netip.MustParseAddr("10.2.5.9"), 1, 1, 1))
	waitFor(t, "bypass", func() bool { return bypassed.Load() == 1 && a.e.Stats().Bypassed == 1 })
	a.tun.Inject(echo(hostA, netip.MustParseAddr("10.9.0.1"), 1, 1, 1))
	waitFor(t, "drop", func() bool { return a.e.Stats().DropPolicy == 1 })
	ping := echo(hostA, hostB, 1, 1, 1)
	a.tun.Inject(ping)
	b.tun.Next(t)
	if err := a.e.DelPolicy(ctx, drop); err != nil {
		t.Fatal(err)
	}
	if err := a.e.DelPolicy(ctx, pass); err != nil {
		t.Fatal(err)
	}
	if got := a.router.list(); !slices.Equal(got, want[:1]) {
		t.Errorf("routes after removing the shunts: %q", got)
	}
	a.tun.Inject(echo(hostA, netip.MustParseAddr("10.9.0.1"), 1, 1, 1))
	waitFor(t, "no policy", func() bool { return a.e.Stats().DropNoPolicy == 1 })
}

func TestRoutes(t *testing.T) {
	_, a, b := pair(t, addrA, addrB, peerOpts{addrs: []netip.Addr{gwA, netip.MustParseAddr("10.3.0.1")}, strict: true}, peerOpts{})
	ctx := context.Background()
	out := func(src, dst string, dstAddr netip.Addr) *kernel.Policy {
		return &kernel.Policy{Src: ts(src), Dst: ts(dst), Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 1,
			SrcAddr: addrA, DstAddr: dstAddr}
	}
	p1 := out("10.1.0.0/16", "10.2.0.0/16", addrB)
	p2 := out("10.3.0.1/32", "0.0.0.0/0", addrB)     // roadwarrior with a virtual IP
	p3 := out("192.0.2.1/32", "192.0.2.2/32", addrB) // host-to-host: the peer itself
	range4 := kernel.TS{Start: netip.MustParseAddr("10.5.0.1"), End: netip.MustParseAddr("10.5.0.6"), ToPort: 0xffff}
	p4 := &kernel.Policy{Src: ts("10.1.0.0/16"), Dst: range4, Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 2}
	for _, p := range []*kernel.Policy{p1, p1, p2, p3, p4} {
		if err := a.e.AddPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"0.0.0.0/0 src 10.3.0.1 dev memtun table 220",
		"10.2.0.0/16 src 10.1.0.1 dev memtun table 220",
		"10.5.0.0/29 src 10.1.0.1 dev memtun table 220",
		"192.0.2.2/32 src 192.0.2.1 dev memtun table 220",
	}
	if got := a.router.list(); !slices.Equal(got, want) {
		t.Errorf("routes\n%q\nwant\n%q", got, want)
	}
	// no local address in the selector
	if err := a.e.AddPolicy(ctx, out("10.8.0.0/16", "10.2.0.0/16", addrB)); err == nil ||
		!strings.Contains(err.Error(), "error installing route") {
		t.Errorf("policy without local address: %v", err)
	}
	if a.e.spd.get(out("10.8.0.0/16", "10.2.0.0/16", addrB)) != nil {
		t.Error("failed policy left in the SPD")
	}
	// inbound and forward policies get no routes
	in := *p1
	in.Dir = kernel.DirIn
	a.e.AddPolicy(ctx, &in)
	a.e.DelPolicy(ctx, p1)
	if got := a.router.list(); !slices.Equal(got, want) {
		t.Errorf("route removed while referenced: %q", got)
	}
	a.e.DelPolicy(ctx, p1)
	if got := a.router.list(); slices.Contains(got, want[1]) {
		t.Errorf("route kept: %q", got)
	}
	a.e.Close()
	if got := a.router.list(); len(got) != 0 {
		t.Errorf("routes after Close: %q", got)
	}
	_ = b
	// without a fwmark, routes covering the peer are refused
	_, c, _ := pair(t, addrA, addrB, peerOpts{cfg: func(c *Config) { c.FwMark = 0 }}, peerOpts{})
	if err := c.e.AddPolicy(ctx, p3); err == nil || !strings.Contains(err.Error(), "conflicts with IKE traffic") {
		t.Errorf("peer route without mark: %v", err)
	}
}

func TestGetSPIAndErrors(t *testing.T) {
	_, a, _ := pair(t, addrA, addrB, peerOpts{}, peerOpts{cfg: func(c *Config) {}})
	ctx := context.Background()
	seen := map[uint32]bool{}
	for range 200 {
		spi, err := a.e.GetSPI(ctx, addrB, addrA, kernel.ProtoESP, 1)
		if err != nil || spi < DefaultSPIMin || spi > DefaultSPIMax || seen[spi] {
			t.Fatalf("GetSPI %08x %v", spi, err)
		}
		seen[spi] = true
	}
	if _, err := a.e.GetSPI(ctx, addrB, addrA, kernel.ProtoAH, 1); err == nil {
		t.Error("AH SPI allocated")
	}
	base := kernel.SA{SAID: kernel.SAID{Src: addrA, Dst: addrB, SPI: 1, Proto: kernel.ProtoESP}, Mode: kernel.ModeTunnel, Encr: gcmKeyAB}
	for name, mod := range map[string]func(*kernel.SA){
		"AH":     func(s *kernel.SA) { s.Proto = kernel.ProtoAH },
		"BEET":   func(s *kernel.SA) { s.Mode = kernel.ModeBEET },
		"encap":  func(s *kernel.SA) { s.Encap = true }, // no SendUDP
		"v6 out": func(s *kernel.SA) { s.Src, s.Dst = addrA6, addrB6 },
		"mixed":  func(s *kernel.SA) { s.Dst = addrB6 },
		"3DES":   func(s *kernel.SA) { s.Encr = kernel.Algorithm{ID: crypto.Encr3DES, Key: make([]byte, 24)} },
	} {
		sa := base
		mod(&sa)
		if err := a.e.AddSA(ctx, &sa); err == nil {
			t.Errorf("%s: SA accepted", name)
		}
	}
	if err := a.e.AddSA(ctx, &base); err != nil {
		t.Fatal(err)
	}
	if err := a.e.AddSA(ctx, &base); err == nil {
		t.Error("duplicate SA accepted")
	}
	if err := a.e.UpdateSA(ctx, kernel.SAID{SPI: 99}, netip.AddrPort{}, netip.AddrPort{}, false); !errors.Is(err, kernel.ErrNotFound) {
		t.Error(err)
	}
	if _, err := a.e.QueryPolicy(ctx, &kernel.Policy{Dir: kernel.DirOut, Src: ts("1.0.0.0/8"), Dst: ts("2.0.0.0/8")}); !errors.Is(err, kernel.ErrNotFound) {
		t.Error(err)
	}
	if err := a.e.DelPolicy(ctx, &kernel.Policy{Dir: kernel.DirOut, Src: ts("1.0.0.0/8"), Dst: ts("2.0.0.0/8")}); !errors.Is(err, kernel.ErrNotFound) {
		t.Error(err)
	}
	a.e.Close()
	a.e.Close()
	if _, ok := <-a.e.Events(); ok {
		t.Error("events open after Close")
	}
	a.e.HandleUDPESP(netip.AddrPortFrom(addrB, 4500), netip.AddrPortFrom(addrA, 4500), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})
}
