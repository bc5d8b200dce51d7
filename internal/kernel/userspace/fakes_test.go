package userspace

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

// memTUN is an in-memory TUN device: tests inject packets the host
// "sends" with Inject and collect what the engine writes with Next.
type memTUN struct {
	in     chan []byte
	out    chan []byte
	closed chan struct{}
	once   sync.Once
}

var _ tun.Device = (*memTUN)(nil)

func newMemTUN() *memTUN {
	return &memTUN{in: make(chan []byte, 1024), out: make(chan []byte, 4096), closed: make(chan struct{})}
}

func (t *memTUN) File() *os.File { return nil }

func (t *memTUN) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	var p []byte
	select {
	case p = <-t.in:
	case <-t.closed:
		return 0, os.ErrClosed
	}
	n := 0
	for {
		sizes[n] = copy(bufs[n][offset:], p)
		n++
		if n == len(bufs) {
			return n, nil
		}
		select {
		case p = <-t.in:
		default:
			return n, nil
		}
	}
}

func (t *memTUN) Write(bufs [][]byte, offset int) (int, error) {
	select {
	case <-t.closed:
		return 0, os.ErrClosed
	default:
	}
	for _, b := range bufs {
		select {
		case t.out <- append([]byte(nil), b[offset:]...):
		default:
		}
	}
	return len(bufs), nil
}

func (t *memTUN) MTU() (int, error)        { return DefaultMTU, nil }
func (t *memTUN) Name() (string, error)    { return "memtun", nil }
func (t *memTUN) Events() <-chan tun.Event { return nil }
func (t *memTUN) BatchSize() int           { return maxBatch }
func (t *memTUN) Close() error {
	t.once.Do(func() { close(t.closed) })
	return nil
}

func (t *memTUN) Inject(p []byte) { t.in <- append([]byte(nil), p...) }

// Next returns the next packet the engine wrote, failing the test after a
// second.
func (t *memTUN) Next(tb testing.TB) []byte {
	tb.Helper()
	select {
	case p := <-t.out:
		return p
	case <-time.After(5 * time.Second):
		tb.Fatal("no packet written to the TUN device")
	}
	return nil
}

// None checks that nothing is written for a while.
func (t *memTUN) None(tb testing.TB) {
	tb.Helper()
	select {
	case p := <-t.out:
		tb.Fatalf("unexpected packet %x", p)
	case <-time.After(50 * time.Millisecond):
	}
}

// memNet is an in-memory IP network for raw ESP: memConns registered by
// address deliver to each other.
type memNet struct {
	mu    sync.Mutex
	conns map[netip.Addr]*memConn
	// drop, if set, decides to lose a packet (src, dst, ESP bytes)
	tap func(src, dst netip.Addr, esp []byte) bool
}

type memMsg struct {
	src, dst netip.Addr
	data     []byte
}

type memConn struct {
	net    *memNet
	in     chan memMsg
	closed chan struct{}
	once   sync.Once
}

func newMemNet() *memNet { return &memNet{conns: map[netip.Addr]*memConn{}} }

// conn returns the conn that receives for the given addresses.
func (n *memNet) conn(addrs ...netip.Addr) *memConn {
	c := &memConn{net: n, in: make(chan memMsg, 4096), closed: make(chan struct{})}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range addrs {
		n.conns[a] = c
	}
	return c
}

func (c *memConn) readBatch(ps []pkt) (int, error) {
	var m memMsg
	select {
	case m = <-c.in:
	case <-c.closed:
		return 0, os.ErrClosed
	}
	n := 0
	for {
		p := &ps[n]
		p.off, p.n = headroom, copy(p.buf[headroom:], m.data)
		p.src, p.dst = netip.AddrPortFrom(m.src, 0), netip.AddrPortFrom(m.dst, 0)
		n++
		if n == len(ps) {
			return n, nil
		}
		select {
		case m = <-c.in:
		default:
			return n, nil
		}
	}
}

func (c *memConn) writeBatch(ps []*pkt) (int, error) {
	for _, p := range ps {
		data := append([]byte(nil), p.data()...)
		c.net.mu.Lock()
		dst, tap := c.net.conns[p.dst.Addr()], c.net.tap
		c.net.mu.Unlock()
		if tap != nil && tap(p.src.Addr(), p.dst.Addr(), data) {
			continue
		}
		if dst == nil {
			return 0, fmt.Errorf("no route to %v", p.dst.Addr())
		}
		select {
		case dst.in <- memMsg{src: p.src.Addr(), dst: p.dst.Addr(), data: data}:
		default:
		}
	}
	return len(ps), nil
}

func (c *memConn) close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// fakeRouter records routes.
type fakeRouter struct {
	mu     sync.Mutex
	routes map[kernel.Route]int
	calls  []string
}

func newFakeRouter() *fakeRouter { return &fakeRouter{routes: map[kernel.Route]int{}} }

func (r *fakeRouter) AddRoute(_ context.Context, rt kernel.Route) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes[rt]++
	r.calls = append(r.calls, fmt.Sprintf("add %v src %v dev %s table %d", rt.Dst, rt.Src, rt.Iface, rt.Table))
	return nil
}

func (r *fakeRouter) DelRoute(_ context.Context, rt kernel.Route) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.routes[rt]--; r.routes[rt] <= 0 {
		delete(r.routes, rt)
	}
	r.calls = append(r.calls, fmt.Sprintf("del %v src %v dev %s table %d", rt.Dst, rt.Src, rt.Iface, rt.Table))
	return nil
}

func (r *fakeRouter) AddThrowRoute(_ context.Context, dst netip.Prefix) error {
	return r.AddRoute(context.Background(), kernel.Route{Dst: dst, Iface: "throw"})
}

func (r *fakeRouter) DelThrowRoute(_ context.Context, dst netip.Prefix) error {
	return r.DelRoute(context.Background(), kernel.Route{Dst: dst, Iface: "throw"})
}

func (r *fakeRouter) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for rt := range r.routes {
		out = append(out, fmt.Sprintf("%v src %v dev %s table %d", rt.Dst, rt.Src, rt.Iface, rt.Table))
	}
	sort.Strings(out)
	return out
}

// peer is one side of a test tunnel: an engine over fakes.
type peer struct {
	e      *Engine
	tun    *memTUN
	router *fakeRouter
	clock  *clock.Fake
	addr   netip.Addr // outer address
}

type peerOpts struct {
	cfg   func(*Config)
	addrs []netip.Addr // local addresses for routes
	// strict: no address but addrs (else any selector has one, its first)
	strict bool
}

// testInline makes newPeer's engines use the inline datapath.
var testInline bool

var testStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newPeer(t testing.TB, n *memNet, addr netip.Addr, o peerOpts) *peer {
	t.Helper()
	p := &peer{tun: newMemTUN(), router: newFakeRouter(), clock: clock.NewFake(testStart), addr: addr}
	c := n.conn(addr)
	locals := append([]netip.Addr{addr}, o.addrs...)
	cfg := Config{TUN: p.tun, Router: p.router, Clock: p.clock, FwMark: 0x42, Workers: 2,
		LocalAddr: func(ts kernel.TS) (netip.Addr, bool) {
			for _, a := range locals {
				if tsContains(ts, a) {
					return a, true
				}
			}
			return ts.Start, !o.strict
		}}
	if addr.Is4() {
		cfg.rawConns[0] = c
	} else {
		cfg.rawConns[1] = c
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	if testInline {
		cfg.Workers, cfg.Inline = 0, true
	}
	e, err := New(cfg)
	if err == nil && e.inline != testInline {
		t.Fatalf("inline datapath: %v, want %v", e.inline, testInline)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.e = e
	t.Cleanup(func() { e.Close() })
	return p
}

func ts(s string) kernel.TS {
	p := netip.MustParsePrefix(s)
	return kernel.TS{Start: p.Masked().Addr(), End: lastOf(p), ToPort: 0xffff}
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

var (
	gcmKeyAB = kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: []byte("0123456789abcdefSALT")}
	gcmKeyBA = kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: []byte("fedcba9876543210salt")}
)

// child describes one CHILD_SA between two peers for tests.
type child struct {
	reqID          uint32
	spiAB, spiBA   uint32
	mode           kernel.Mode
	localA, localB []kernel.TS // A's and B's selectors
	encap          bool
	portA, portB   uint16
	encrAB, encrBA kernel.Algorithm
	integ          kernel.Algorithm // with the key for both directions
	esn            bool
	window         uint32
	life           kernel.Lifetime
	trap           bool // install only trap policies (no SAs)
	noPolicies     bool
}

func (c *child) defaults() {
	if c.mode == 0 {
		c.mode = kernel.ModeTunnel
	}
	if c.encrAB.ID == 0 {
		c.encrAB, c.encrBA = gcmKeyAB, gcmKeyBA
	}
	if c.window == 0 {
		c.window = 32
	}
	if c.portA == 0 {
		c.portA, c.portB = 4500, 4500
	}
}

// sas returns the SAs of one side (A if a) for the child.
func (c *child) sas(a, b *peer, onA bool) []*kernel.SA {
	mk := func(src, dst *peer, sport, dport uint16, spi uint32, encr kernel.Algorithm, in bool, local, remote []kernel.TS) *kernel.SA {
		return &kernel.SA{SAID: kernel.SAID{Src: src.addr, Dst: dst.addr, SPI: spi, Proto: kernel.ProtoESP},
			ReqID: c.reqID, Mode: c.mode, Inbound: in, Encap: c.encap, SrcPort: sport, DstPort: dport,
			Encr: encr, Integ: c.integ, ESN: c.esn, ReplayWindow: c.window, Lifetime: c.life,
			Local: local, Remote: remote}
	}
	if onA {
		return []*kernel.SA{
			mk(b, a, c.portB, c.portA, c.spiBA, c.encrBA, true, c.localA, c.localB),
			mk(a, b, c.portA, c.portB, c.spiAB, c.encrAB, false, c.localA, c.localB),
		}
	}
	return []*kernel.SA{
		mk(a, b, c.portA, c.portB, c.spiAB, c.encrAB, true, c.localB, c.localA),
		mk(b, a, c.portB, c.portA, c.spiBA, c.encrBA, false, c.localB, c.localA),
	}
}

// policies returns the policies of one side.
func (c *child) policies(a, b *peer, onA bool) []*kernel.Policy {
	local, remote, me, other, spiOut, spiIn := c.localA, c.localB, a, b, c.spiAB, c.spiBA
	if !onA {
		local, remote, me, other, spiOut, spiIn = c.localB, c.localA, b, a, c.spiBA, c.spiAB
	}
	var out []*kernel.Policy
	for _, l := range local {
		for _, r := range remote {
			if l.Start.Is4() != r.Start.Is4() {
				continue
			}
			out = append(out,
				&kernel.Policy{Src: l, Dst: r, Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: c.reqID, Mode: c.mode,
					Proto: kernel.ProtoESP, SrcAddr: me.addr, DstAddr: other.addr, SPI: spiOut, Trap: c.trap},
				&kernel.Policy{Src: r, Dst: l, Dir: kernel.DirIn, Type: kernel.PolicyIPsec, ReqID: c.reqID, Mode: c.mode,
					Proto: kernel.ProtoESP, SrcAddr: other.addr, DstAddr: me.addr, SPI: spiIn, Trap: c.trap})
		}
	}
	return out
}

// install puts the child's SAs and policies into both engines.
func (c *child) install(t testing.TB, a, b *peer) {
	t.Helper()
	c.defaults()
	ctx := context.Background()
	for _, side := range []bool{true, false} {
		p := a
		if !side {
			p = b
		}
		if !c.trap {
			for _, s := range c.sas(a, b, side) {
				if err := p.e.AddSA(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
		}
		if c.noPolicies {
			continue
		}
		for _, pol := range c.policies(a, b, side) {
			if err := p.e.AddPolicy(ctx, pol); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// remove deletes the child's SAs and policies from both engines.
func (c *child) remove(t testing.TB, a, b *peer) {
	t.Helper()
	ctx := context.Background()
	for _, side := range []bool{true, false} {
		p := a
		if !side {
			p = b
		}
		if !c.noPolicies {
			for _, pol := range c.policies(a, b, side) {
				if err := p.e.DelPolicy(ctx, pol); err != nil {
					t.Fatal(err)
				}
			}
		}
		if !c.trap {
			for _, s := range c.sas(a, b, side) {
				p.e.DelSA(ctx, s.SAID)
			}
		}
	}
}

// Packet builders.

func ipv4Packet(src, dst netip.Addr, proto uint8, payload []byte, df bool) []byte {
	b := make([]byte, ipv4HeaderLen+len(payload))
	putIPv4Header(b, src, dst, proto, len(payload), 0)
	b[4], b[5] = 0x12, 0x34
	if df {
		b[6] = 0x40
	}
	b[10], b[11] = 0, 0
	binary.BigEndian.PutUint16(b[10:], checksumFold(checksumAdd(0, b[:ipv4HeaderLen])))
	copy(b[ipv4HeaderLen:], payload)
	return b
}

func ipv6Packet(src, dst netip.Addr, proto uint8, payload []byte) []byte {
	b := make([]byte, ipv6HeaderLen+len(payload))
	putIPv6Header(b, src, dst, proto, len(payload), 0)
	copy(b[ipv6HeaderLen:], payload)
	return b
}

// echo builds an ICMP(v6) echo request with a valid checksum.
func echo(src, dst netip.Addr, id, seq uint16, size int) []byte {
	payload := make([]byte, 8+size)
	for i := range size {
		payload[8+i] = byte(i)
	}
	binary.BigEndian.PutUint16(payload[4:], id)
	binary.BigEndian.PutUint16(payload[6:], seq)
	if src.Is4() {
		payload[0] = 8
		binary.BigEndian.PutUint16(payload[2:], checksumFold(checksumAdd(0, payload)))
		return ipv4Packet(src, dst, protoICMP, payload, false)
	}
	payload[0] = 128
	binary.BigEndian.PutUint16(payload[2:], checksumFold(checksumAdd(pseudoHeaderSum(src, dst, protoICMPv6, len(payload)), payload)))
	return ipv6Packet(src, dst, protoICMPv6, payload)
}

// l4Packet builds a TCP or UDP packet with a valid checksum.
func l4Packet(src, dst netip.Addr, proto uint8, sport, dport uint16, data []byte) []byte {
	hl := 8
	if proto == protoTCP {
		hl = 20
	}
	l4 := make([]byte, hl+len(data))
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	if proto == protoTCP {
		l4[12] = 5 << 4
		l4[13] = 0x18
	} else {
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
	}
	copy(l4[hl:], data)
	at := 6
	if proto == protoTCP {
		at = 16
	}
	binary.BigEndian.PutUint16(l4[at:], checksumFold(checksumAdd(pseudoHeaderSum(src, dst, proto, len(l4)), l4)))
	if src.Is4() {
		return ipv4Packet(src, dst, proto, l4, true)
	}
	return ipv6Packet(src, dst, proto, l4)
}

// l4ChecksumOK verifies the TCP/UDP/ICMPv6 checksum of a packet.
func l4ChecksumOK(pkt []byte) bool {
	f, ok := parseFlow(pkt)
	if !ok {
		return false
	}
	l4 := pkt[f.hdrLen:f.total]
	if f.proto == protoICMP {
		return checksumFold(checksumAdd(0, l4)) == 0
	}
	return checksumFold(checksumAdd(pseudoHeaderSum(f.src, f.dst, f.proto, len(l4)), l4)) == 0
}

// nextEvent returns the next event or fails.
func nextEvent(tb testing.TB, e *Engine) kernel.Event {
	tb.Helper()
	select {
	case ev := <-e.Events():
		return ev
	case <-time.After(5 * time.Second):
		tb.Fatal("no event")
	}
	return nil
}

func noEvent(tb testing.TB, e *Engine) {
	tb.Helper()
	select {
	case ev := <-e.Events():
		tb.Fatalf("unexpected event %#v", ev)
	case <-time.After(50 * time.Millisecond):
	}
}

// waitFor polls cond until it holds or five seconds pass.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
