package userspace

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/linuxnet"
	"github.com/goswan/goswan/internal/socket"
)

// The tests here run two engines in two network namespaces joined by a
// veth pair, with real TUN devices and sockets. They need root (and
// /dev/net/tun) and never touch the root namespace.

const testMark = 0x42

var (
	vethA   = netip.MustParseAddr("192.168.77.1")
	vethB   = netip.MustParseAddr("192.168.77.2")
	vethA6  = netip.MustParseAddr("fd00:77::1")
	vethB6  = netip.MustParseAddr("fd00:77::2")
	tunnelA = netip.MustParseAddr("10.1.0.1")
	tunnelB = netip.MustParseAddr("10.2.0.1")
)

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("no /dev/net/tun")
	}
}

// inNetns runs f on an OS thread switched into ns. If the thread cannot
// be switched back, it stays locked and dies with its goroutine.
func inNetns(t testing.TB, ns netns.NsHandle, f func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, err)
			return // the thread stays locked and is discarded
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// newNetns creates an anonymous network namespace with lo up.
func newNetns(t testing.TB) netns.NsHandle {
	t.Helper()
	var ns netns.NsHandle
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err = netns.New() // unshares this thread
		if err != nil {
			errc <- err
			return
		}
		if err := netns.Set(orig); err != nil {
			errc <- err
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	// no duplicate address detection: IPv6 works at once
	inNetns(t, ns, func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/default/accept_dad", []byte("0"), 0)
	})
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// nsPair is two namespaces joined by a veth pair.
type nsPair struct {
	a, b netns.NsHandle
}

func newNSPair(t testing.TB) *nsPair {
	needRoot(t)
	p := &nsPair{a: newNetns(t), b: newNetns(t)}
	ha, err := netlink.NewHandleAt(p.a)
	if err != nil {
		t.Fatal(err)
	}
	defer ha.Close()
	hb, err := netlink.NewHandleAt(p.b)
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "veth0", MTU: 1500}, PeerName: "veth1",
		PeerNamespace: netlink.NsFd(int(p.b))}
	if err := ha.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		h           *netlink.Handle
		name        string
		addr, addr6 netip.Addr
	}{{ha, "veth0", vethA, vethA6}, {hb, "veth1", vethB, vethB6}} {
		l, err := x.h.LinkByName(x.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		if err := x.h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: x.addr.AsSlice(), Mask: net.CIDRMask(24, 32)}}); err != nil {
			t.Fatal(err)
		}
		if err := x.h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: x.addr6.AsSlice(), Mask: net.CIDRMask(64, 128)},
			Flags: unix.IFA_F_NODAD}); err != nil {
			t.Fatal(err)
		}
	}
	// wait for the carrier (linkwatch activates the queues up to a second
	// later; packets sent before are dropped)
	for _, x := range []struct {
		h    *netlink.Handle
		name string
	}{{ha, "veth0"}, {hb, "veth1"}} {
		waitFor(t, x.name+" up", func() bool {
			l, err := x.h.LinkByName(x.name)
			return err == nil && l.Attrs().OperState == netlink.OperUp
		})
	}
	return p
}

// nsEngine creates an engine in ns with the tunnel address on its TUN
// device (as a virtual IP would be).
func nsEngine(t testing.TB, ns netns.NsHandle, tunnelAddr netip.Addr, cfg Config) *Engine {
	t.Helper()
	var e *Engine
	cfg.FwMark, cfg.InstallRule = testMark, true
	inNetns(t, ns, func() error {
		var err error
		e, err = New(cfg)
		return err
	})
	t.Cleanup(func() { e.Close() })
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName(e.Name())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: tunnelAddr.AsSlice(), Mask: net.CIDRMask(32, 32)}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// installPair programs matching SAs and policies for 10.1.0.0/24 (A) ===
// 10.2.0.0/24 (B) into both engines.
func installPair(t testing.TB, ea, eb *Engine, encap bool, encr kernel.Algorithm) {
	t.Helper()
	installPairAt(t, ea, eb, vethA, vethB, encap, encr)
}

func installPairAt(t testing.TB, ea, eb *Engine, a, b netip.Addr, encap bool, encr kernel.Algorithm) {
	t.Helper()
	c := &child{reqID: 1, spiAB: 0xc1000001, spiBA: 0xc1000002, encap: encap,
		localA: []kernel.TS{ts("10.1.0.0/24")}, localB: []kernel.TS{ts("10.2.0.0/24")}, window: 128}
	if encr.ID != 0 {
		c.encrAB, c.encrBA = encr, encr
		c.encrBA.Key = append([]byte{0xff}, encr.Key[1:]...)
	}
	c.install(t, &peer{e: ea, addr: a}, &peer{e: eb, addr: b})
}

// udpSocket stands in for the daemon's NAT-T socket: port 4500, marked,
// ESP handed to the engine.
type udpSocket struct {
	c  *net.UDPConn
	wg sync.WaitGroup
}

func newUDPSocket(t testing.TB, ns netns.NsHandle, addr netip.Addr) *udpSocket {
	t.Helper()
	s := &udpSocket{}
	inNetns(t, ns, func() error {
		lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, testMark)
			})
			return serr
		}}
		c, err := lc.ListenPacket(context.Background(), "udp4", netip.AddrPortFrom(addr, 4500).String())
		if err != nil {
			return err
		}
		s.c = c.(*net.UDPConn)
		s.c.SetReadBuffer(8 << 20)
		s.c.SetWriteBuffer(8 << 20)
		return nil
	})
	t.Cleanup(func() { s.c.Close(); s.wg.Wait() })
	return s
}

func (s *udpSocket) serve(e *Engine) {
	local := netip.AddrPortFrom(netip.MustParseAddr(s.c.LocalAddr().(*net.UDPAddr).IP.String()), 4500)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, src, err := s.c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if n >= 4 && binary.BigEndian.Uint32(buf) != 0 {
				e.HandleUDPESP(src, local, buf[:n])
			}
		}
	}()
}

func (s *udpSocket) send(_, dst netip.AddrPort, pkt []byte) error {
	_, err := s.c.WriteToUDPAddrPort(pkt, dst)
	return err
}

// nattSocket is the daemon's NAT-T socket (internal/socket) on port
// 4500 of a namespace, wired to an engine with the batch hooks
// (recvmmsg/sendmmsg), as internal/daemon does it.
type nattSocket struct {
	s   *socket.Socket
	eng atomic.Pointer[Engine]
	wg  sync.WaitGroup
}

func newNATTSocket(t testing.TB, ns netns.NsHandle) *nattSocket {
	t.Helper()
	n := &nattSocket{}
	inNetns(t, ns, func() error {
		var err error
		n.s, err = socket.Open(socket.Config{NATTPort: 4500, IPv4: true, IPv6: true, Mark: testMark,
			RecvESPBatch: func(src, dst []netip.AddrPort, pkts [][]byte) {
				if e := n.eng.Load(); e != nil {
					e.HandleUDPESPBatch(src, dst, pkts)
				}
			}})
		return err
	})
	t.Cleanup(func() { n.s.Close(); n.wg.Wait() })
	return n
}

// config returns the engine configuration's hooks.
func (n *nattSocket) config(c Config) Config {
	c.NoRawESP = true
	c.SendUDPBatch = n.s.SendESPBatch
	return c
}

func (n *nattSocket) serve(e *Engine) {
	n.eng.Store(e)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.s.Serve(func(socket.Datagram) {})
	}()
}

// ping sends ICMP echo requests from src to dst inside ns and waits for
// the replies.
func ping(t testing.TB, ns netns.NsHandle, src, dst netip.Addr, count int) {
	t.Helper()
	var fd int
	inNetns(t, ns, func() error {
		var err error
		fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrInet4{Addr: src.As4()})
	})
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	for seq := range count {
		req := echo(src, dst, 0x4242, uint16(seq), 56)[ipv4HeaderLen:]
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrInet4{Addr: dst.As4()}); err != nil {
			t.Fatalf("sending echo request: %v", err)
		}
		buf := make([]byte, 1500)
		for {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				t.Fatalf("no echo reply from %v (seq %d): %v", dst, seq, err)
			}
			f, ok := parseFlow(buf[:n])
			if ok && f.src == dst && buf[f.hdrLen] == 0 &&
				binary.BigEndian.Uint16(buf[f.hdrLen+4:]) == 0x4242 && binary.BigEndian.Uint16(buf[f.hdrLen+6:]) == uint16(seq) {
				break
			}
		}
	}
}

func TestNetnsPingRawESP(t *testing.T) {
	p := newNSPair(t)
	ea := nsEngine(t, p.a, tunnelA, Config{})
	eb := nsEngine(t, p.b, tunnelB, Config{})
	installPair(t, ea, eb, false, kernel.Algorithm{})
	checkRoutes(t, p.a, "10.2.0.0/24", tunnelA)
	ping(t, p.a, tunnelA, tunnelB, 3)
	// counters are bumped after the syscalls return, maybe after the
	// reply arrived
	for _, e := range []*Engine{ea, eb} {
		waitFor(t, "ESP counters", func() bool {
			s := e.Stats()
			return s.ESPSent >= 3 && s.ESPReceived >= 3 && s.UDPSent == 0
		})
	}
	u, err := ea.QuerySA(context.Background(), kernel.SAID{Src: vethA, Dst: vethB, SPI: 0xc1000001, Proto: kernel.ProtoESP})
	if err != nil || u.Packets < 3 {
		t.Errorf("outbound SA of A: %+v %v", u, err)
	}
	// Close removes the device, the routes and the rule
	ea.Close()
	h, _ := netlink.NewHandleAt(p.a)
	defer h.Close()
	if _, err := h.LinkByName("ipsec0"); err == nil {
		t.Error("ipsec0 still exists")
	}
	rules, _ := h.RuleList(unix.AF_INET)
	for _, r := range rules {
		if r.Table == DefaultRoutingTable {
			t.Errorf("rule left: %v", r)
		}
	}
}

// waitUDPOnly waits until each engine sent and received at least n
// packets as ESP in UDP and none as raw ESP.
func waitUDPOnly(t *testing.T, n uint64, engines ...*Engine) {
	t.Helper()
	for _, e := range engines {
		waitFor(t, "UDP counters", func() bool {
			s := e.Stats()
			return s.UDPSent >= n && s.UDPReceived >= n && s.ESPSent == 0
		})
	}
}

func TestNetnsPingUDPEncap(t *testing.T) {
	p := newNSPair(t)
	ua := newUDPSocket(t, p.a, vethA)
	ub := newUDPSocket(t, p.b, vethB)
	ea := nsEngine(t, p.a, tunnelA, Config{NoRawESP: true, SendUDP: ua.send})
	eb := nsEngine(t, p.b, tunnelB, Config{NoRawESP: true, SendUDP: ub.send})
	ua.serve(ea)
	ub.serve(eb)
	installPair(t, ea, eb, true, kernel.Algorithm{})
	ping(t, p.a, tunnelA, tunnelB, 3)
	waitUDPOnly(t, 3, ea, eb)
}

// TestNetnsUDPEncapBatch: ESP in UDP through internal/socket's NAT-T
// sockets with the batch hooks (recvmmsg, sendmmsg with IP_PKTINFO), a
// ping and then TCP (bursts of GSO segments, so batches form).
func TestNetnsUDPEncapBatch(t *testing.T) {
	p := newNSPair(t)
	sa := newNATTSocket(t, p.a)
	sb := newNATTSocket(t, p.b)
	ea := nsEngine(t, p.a, tunnelA, sa.config(Config{}))
	eb := nsEngine(t, p.b, tunnelB, sb.config(Config{}))
	sa.serve(ea)
	sb.serve(eb)
	installPair(t, ea, eb, true, kernel.Algorithm{})
	ping(t, p.a, tunnelA, tunnelB, 3)
	waitUDPOnly(t, 3, ea, eb)
	n := runTCP(t, p, 300*time.Millisecond)
	if n < 64<<10 {
		t.Errorf("only %d bytes through the tunnel", n)
	}
	if s := eb.Stats(); s.SendErrors+s.DropInvalid+s.DropIntegrity+s.DropUnknownSPI != 0 {
		t.Errorf("B: %+v", s)
	}
	t.Logf("%.2f Gbit/s; A %+v; B %+v", float64(n)*8/0.3/1e9, ea.Stats(), eb.Stats())
}

// TestNetnsPingIPv6Outer: IPv4 inside raw ESP over IPv6 (the raw IPv6
// socket, IPV6_PKTINFO both ways).
func TestNetnsPingIPv6Outer(t *testing.T) {
	p := newNSPair(t)
	ea := nsEngine(t, p.a, tunnelA, Config{})
	eb := nsEngine(t, p.b, tunnelB, Config{})
	installPairAt(t, ea, eb, vethA6, vethB6, false, kernel.Algorithm{})
	ping(t, p.a, tunnelA, tunnelB, 2)
	waitFor(t, "ESP counters", func() bool { s := ea.Stats(); return s.ESPSent >= 2 && s.ESPReceived >= 2 })
}

// TestNetnsLinuxnet wires the engine as the daemon does: linuxnet installs
// the routing rule, the virtual IPs and the engine's routes; pass policies
// get throw routes. A's virtual IP is on its veth (charon's default
// install_virtual_ip_on), B's on the TUN device (kernel-libipsec's).
func TestNetnsLinuxnet(t *testing.T) {
	p := newNSPair(t)
	var engines [2]*Engine
	for i, x := range []struct {
		ns    netns.NsHandle
		vip   netip.Addr
		vipOn string
	}{{p.a, tunnelA, "veth0"}, {p.b, tunnelB, ""}} {
		ln, err := linuxnet.New(linuxnet.Options{Table: 220, FWMark: "!0x42", Namespace: x.ns})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		if err := ln.EnsureRoutingRule(); err != nil {
			t.Fatal(err)
		}
		var e *Engine
		inNetns(t, x.ns, func() error {
			var err error
			e, err = New(Config{FwMark: testMark, Router: ln})
			return err
		})
		t.Cleanup(func() { e.Close() })
		on := x.vipOn
		if on == "" {
			on = e.Name()
		}
		if err := ln.AddVirtualIP(context.Background(), netip.PrefixFrom(x.vip, 32), on); err != nil {
			t.Fatal(err)
		}
		engines[i] = e
	}
	installPair(t, engines[0], engines[1], false, kernel.Algorithm{})
	checkRoutes(t, p.a, "10.2.0.0/24", tunnelA)
	ping(t, p.a, tunnelA, tunnelB, 2)
	pass := &kernel.Policy{Src: ts("10.1.0.0/24"), Dst: ts("10.2.0.128/25"), Dir: kernel.DirOut, Type: kernel.PolicyPass}
	if err := engines[0].AddPolicy(context.Background(), pass); err != nil {
		t.Fatal(err)
	}
	h, _ := netlink.NewHandleAt(p.a)
	defer h.Close()
	routes, _ := h.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: 220}, netlink.RT_FILTER_TABLE)
	throw := false
	for _, r := range routes {
		throw = throw || r.Type == unix.RTN_THROW && r.Dst.String() == "10.2.0.128/25"
	}
	if !throw {
		t.Errorf("no throw route for the pass policy: %v", routes)
	}
}

func checkRoutes(t testing.TB, ns netns.NsHandle, dst string, src netip.Addr) {
	t.Helper()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	routes, err := h.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: DefaultRoutingTable}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if r.Dst != nil && r.Dst.String() == dst && net.IP.Equal(r.Src, src.AsSlice()) && r.Protocol == unix.RTPROT_STATIC {
			return
		}
	}
	t.Errorf("no route %s src %v in table 220: %v", dst, src, routes)
}

// runTCP sends TCP data from A's tunnel address to B's for d and returns
// the bytes received.
func runTCP(tb testing.TB, p *nsPair, d time.Duration) int64 {
	var ln net.Listener
	inNetns(tb, p.b, func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(tunnelB, 5201).String())
		return err
	})
	defer ln.Close()
	var received int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 256<<10)
		for {
			n, err := c.Read(buf)
			received += int64(n)
			if err != nil {
				return
			}
		}
	}()
	var c net.Conn
	inNetns(tb, p.a, func() error {
		var err error
		d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(tunnelA, 0)), Timeout: 5 * time.Second}
		c, err = d.Dial("tcp4", netip.AddrPortFrom(tunnelB, 5201).String())
		return err
	})
	buf := make([]byte, 256<<10)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := c.Write(buf); err != nil {
			tb.Fatal(err)
		}
	}
	c.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		tb.Fatal("receiver did not finish")
	}
	return received
}

// TestNetnsTCP moves a few megabytes through the tunnel (GSO/GRO paths).
func TestNetnsTCP(t *testing.T) {
	p := newNSPair(t)
	ea := nsEngine(t, p.a, tunnelA, Config{})
	eb := nsEngine(t, p.b, tunnelB, Config{})
	installPair(t, ea, eb, false, kernel.Algorithm{})
	n := runTCP(t, p, 300*time.Millisecond)
	if n < 64<<10 {
		t.Errorf("only %d bytes through the tunnel", n)
	}
	t.Logf("%.2f Gbit/s; A %+v; B %+v", float64(n)*8/0.3/1e9, ea.Stats(), eb.Stats())
}

// BenchmarkNetnsTCP reports the throughput of one TCP connection through
// a tunnel between two namespaces (both engines, the sender and the
// receiver share the machine's cores).
func BenchmarkNetnsTCP(b *testing.B) {
	for _, tc := range []struct {
		name  string
		encap bool
		encr  kernel.Algorithm
	}{
		{"aes128gcm16", false, gcmKeyAB},
		{"aes256gcm16", false, kernel.Algorithm{ID: gcmKeyAB.ID, KeyLen: 256, Key: []byte("0123456789abcdef0123456789abcdefSALT")}},
		{"chacha20poly1305", false, kernel.Algorithm{ID: 28, Key: []byte("0123456789abcdef0123456789abcdefSALT")}},
		{"aes128gcm16-udpencap", true, gcmKeyAB},
		{"aes128gcm16-udpencap-perpacket", true, gcmKeyAB},
	} {
		b.Run(tc.name, func(b *testing.B) {
			p := newNSPair(b)
			var ea, eb *Engine
			if tc.encap && !strings.HasSuffix(tc.name, "-perpacket") {
				// the daemon's NAT-T sockets, batched
				sa := newNATTSocket(b, p.a)
				sb := newNATTSocket(b, p.b)
				ea = nsEngine(b, p.a, tunnelA, sa.config(Config{}))
				eb = nsEngine(b, p.b, tunnelB, sb.config(Config{}))
				sa.serve(ea)
				sb.serve(eb)
			} else if tc.encap {
				// a plain UDP socket, one packet per call
				ua := newUDPSocket(b, p.a, vethA)
				ub := newUDPSocket(b, p.b, vethB)
				ea = nsEngine(b, p.a, tunnelA, Config{NoRawESP: true, SendUDP: ua.send})
				eb = nsEngine(b, p.b, tunnelB, Config{NoRawESP: true, SendUDP: ub.send})
				ua.serve(ea)
				ub.serve(eb)
			} else {
				ea = nsEngine(b, p.a, tunnelA, Config{})
				eb = nsEngine(b, p.b, tunnelB, Config{})
			}
			installPair(b, ea, eb, tc.encap, tc.encr)
			d := 2 * time.Second
			if testing.Short() {
				d = 300 * time.Millisecond
			}
			b.ResetTimer()
			var total int64
			for range b.N {
				total += runTCP(b, p, d)
			}
			b.StopTimer()
			gbps := float64(total) * 8 / (d.Seconds() * float64(b.N)) / 1e9
			b.ReportMetric(gbps, "Gbit/s")
			b.ReportMetric(0, "ns/op")
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "%s: A %+v\nB %+v\n", tc.name, ea.Stats(), eb.Stats())
			}
		})
	}
}
