package socket

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// freePorts returns two UDP ports free on loopback.
func freePorts(t *testing.T) (uint16, uint16) {
	t.Helper()
	var ports []uint16
	for len(ports) < 2 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, uint16(c.LocalAddr().(*net.UDPAddr).Port))
		c.Close()
	}
	return ports[0], ports[1]
}

func TestLoopbackIKEAndNATT(t *testing.T) {
	p, nat := freePorts(t)
	esp := make(chan []byte, 1)
	s, err := Open(Config{Port: p, NATTPort: nat, IPv4: true, RecvESP: func(_, _ netip.AddrPort, d []byte) { esp <- d }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan Datagram, 4)
	go s.Serve(func(d Datagram) { got <- d })
	lo := netip.MustParseAddr("127.0.0.1")
	msg := []byte("an IKE message, not parsed here")
	for _, port := range []uint16{p, nat} {
		a := netip.AddrPortFrom(lo, port)
		if err := s.Send(Datagram{Src: a, Dst: a, Data: msg}); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			if !bytes.Equal(d.Data, msg) || d.Dst != a || d.Src.Addr() != lo || d.Src.Port() != port {
				t.Fatalf("port %d: got %+v", port, d)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("port %d: nothing received", port)
		}
	}
	// keepalives are swallowed, ESP-in-UDP goes to RecvESP
	a := netip.AddrPortFrom(lo, nat)
	s.Send(Datagram{Src: a, Dst: a, Keepalive: true})
	if err := s.SendESP(a, a, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0xaa}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-esp:
		if !bytes.Equal(d, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0xaa}) {
			t.Fatalf("ESP %x", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ESP not delivered")
	}
	select {
	case d := <-got:
		t.Fatalf("keepalive or ESP delivered as IKE: %+v", d)
	case <-time.After(100 * time.Millisecond):
	}
}

// espBatches collects what RecvESPBatch delivers (copies: the slices are
// the socket's).
type espBatches struct {
	mu      sync.Mutex
	pkts    [][]byte
	src     []netip.AddrPort
	dst     []netip.AddrPort
	batches int
}

func (e *espBatches) recv(src, dst []netip.AddrPort, pkts [][]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.batches++
	for i, p := range pkts {
		e.pkts = append(e.pkts, append([]byte(nil), p...))
		e.src = append(e.src, src[i])
		e.dst = append(e.dst, dst[i])
	}
}

func (e *espBatches) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pkts)
}

func espPacket(i int) []byte {
	p := make([]byte, 8+i%1500)
	binary.BigEndian.PutUint32(p, 0xc0000000+uint32(i)) // SPI, never 0
	binary.BigEndian.PutUint32(p[4:], uint32(i))
	for j := 8; j < len(p); j++ {
		p[j] = byte(i + j)
	}
	return p
}

// TestBatchESPMixedWithIKE sends bursts of ESP-in-UDP (with SendESPBatch,
// from another socket, and from the NAT-T socket itself) interleaved with
// IKE messages and keepalives on the NAT-T port, over IPv4 and IPv6
// loopback: ESP arrives in batches at RecvESPBatch with its source and
// destination, IKE at Serve's callback without its marker, keepalives
// nowhere.
func TestBatchESPMixedWithIKE(t *testing.T) {
	for _, fam := range []struct {
		name string
		lo   netip.Addr
		v6   bool
	}{{"IPv4", netip.MustParseAddr("127.0.0.1"), false}, {"IPv6", netip.IPv6Loopback(), true}} {
		t.Run(fam.name, func(t *testing.T) {
			p, nat := freePorts(t)
			var esp espBatches
			s, err := Open(Config{Port: p, NATTPort: nat, IPv4: !fam.v6, IPv6: fam.v6, RecvESPBatch: esp.recv})
			if err != nil {
				if fam.v6 {
					t.Skipf("no IPv6: %v", err)
				}
				t.Fatal(err)
			}
			defer s.Close()
			got := make(chan Datagram, 64)
			go s.Serve(func(d Datagram) { got <- d })
			network := "udp4"
			if fam.v6 {
				network = "udp6"
			}
			peer, err := net.ListenUDP(network, &net.UDPAddr{IP: fam.lo.AsSlice()})
			if err != nil {
				t.Skipf("no %s loopback: %v", fam.name, err)
			}
			defer peer.Close()
			peerAddr := peer.LocalAddr().(*net.UDPAddr).AddrPort()
			me := netip.AddrPortFrom(fam.lo, nat)
			const rounds, burst = 20, 40
			var want [][]byte
			var ike int
			for r := range rounds {
				// a burst from the peer, with an IKE message (marker)
				// and a keepalive in the middle
				for i := range burst {
					pkt := espPacket(r*burst + i)
					want = append(want, pkt)
					if _, err := peer.WriteToUDPAddrPort(pkt, me); err != nil {
						t.Fatal(err)
					}
					if i == burst/2 {
						peer.WriteToUDPAddrPort(append([]byte{0, 0, 0, 0}, fmt.Sprintf("IKE %d", r)...), me)
						peer.WriteToUDPAddrPort([]byte{0xff}, me)
						ike++
					}
				}
				// then a burst of ours to ourselves, batched
				var src, dst []netip.AddrPort
				var pkts [][]byte
				for i := range burst {
					pkt := espPacket(100000 + r*burst + i)
					want = append(want, pkt)
					pkts = append(pkts, pkt)
					src, dst = append(src, me), append(dst, me)
				}
				if n, err := s.SendESPBatch(src, dst, pkts); n != burst || err != nil {
					t.Fatalf("SendESPBatch: %d, %v", n, err)
				}
				if err := s.Send(Datagram{Src: me, Dst: me, Keepalive: true}); err != nil {
					t.Fatal(err)
				}
				// wait now and then, so that the socket buffers hold
				waitUntil(t, func() bool { return esp.count() == len(want) })
			}
			for i := range ike {
				select {
				case d := <-got:
					if string(d.Data) != fmt.Sprintf("IKE %d", i) || d.Src != peerAddr || d.Dst != me {
						t.Fatalf("IKE message %d: %+v", i, d)
					}
				case <-time.After(2 * time.Second):
					t.Fatalf("IKE message %d not delivered", i)
				}
			}
			select {
			case d := <-got:
				t.Fatalf("delivered as IKE: %+v", d)
			case <-time.After(50 * time.Millisecond):
			}
			esp.mu.Lock()
			defer esp.mu.Unlock()
			// per sender the order holds
			fromPeer, fromMe := 0, 0
			for i, pkt := range esp.pkts {
				if esp.dst[i] != me {
					t.Fatalf("packet %d: destination %v", i, esp.dst[i])
				}
				var w []byte
				switch esp.src[i] {
				case peerAddr:
					w = want[(fromPeer/burst)*2*burst+fromPeer%burst]
					fromPeer++
				case me:
					w = want[(fromMe/burst)*2*burst+burst+fromMe%burst]
					fromMe++
				default:
					t.Fatalf("packet %d from %v", i, esp.src[i])
				}
				if !bytes.Equal(pkt, w) {
					t.Fatalf("packet %d from %v: got %x..., want %x...", i, esp.src[i], pkt[:8], w[:8])
				}
			}
			if esp.batches >= len(esp.pkts) {
				t.Errorf("%d packets in %d batches: not batched", len(esp.pkts), esp.batches)
			}
			t.Logf("%d ESP packets in %d batches", len(esp.pkts), esp.batches)
		})
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestSendESPBatchSource checks the source address chosen with PKTINFO,
// batches larger than one sendmmsg, and mixed address families.
func TestSendESPBatchSource(t *testing.T) {
	_, nat := freePorts(t)
	s, err := Open(Config{NATTPort: nat, IPv4: true, IPv6: true})
	if err != nil {
		t.Skipf("no IPv4 and IPv6: %v", err)
	}
	defer s.Close()
	r4, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer r4.Close()
	r6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer r6.Close()
	// 127.0.0.2 is ours on lo without being configured
	src4 := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), nat)
	src6 := netip.AddrPortFrom(netip.IPv6Loopback(), nat)
	d4, d6 := r4.LocalAddr().(*net.UDPAddr).AddrPort(), r6.LocalAddr().(*net.UDPAddr).AddrPort()
	var src, dst []netip.AddrPort
	var pkts [][]byte
	const n = 300
	for i := range n {
		pkts = append(pkts, espPacket(i))
		if i%3 == 0 {
			src, dst = append(src, src6), append(dst, d6)
		} else {
			// v4-mapped destinations go out of the IPv4 socket
			src, dst = append(src, src4), append(dst, netip.AddrPortFrom(netip.AddrFrom16(d4.Addr().As16()), d4.Port()))
		}
	}
	if sent, err := s.SendESPBatch(src, dst, pkts); sent != n || err != nil {
		t.Fatalf("sent %d of %d: %v", sent, n, err)
	}
	buf := make([]byte, 2048)
	for i := range n {
		c, wantSrc := r4, src4
		if i%3 == 0 {
			c, wantSrc = r6, src6
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		m, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if from := unmap(from); from != wantSrc || !bytes.Equal(buf[:m], pkts[i]) {
			t.Fatalf("packet %d from %v: %x..., want from %v", i, from, buf[:8], wantSrc)
		}
	}
	if sent, err := s.SendESPBatch(src[:0], dst[:0], nil); sent != 0 || err != nil {
		t.Fatalf("empty batch: %d, %v", sent, err)
	}
}

// TestSendESPBatchAllocs: sending ESP-in-UDP allocates nothing.
func TestSendESPBatchAllocs(t *testing.T) {
	_, nat := freePorts(t)
	s, err := Open(Config{NATTPort: nat, IPv4: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	me := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), nat)
	to := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	src, dst, pkts := make([]netip.AddrPort, 32), make([]netip.AddrPort, 32), make([][]byte, 32)
	for i := range pkts {
		src[i], dst[i], pkts[i] = me, to, espPacket(i)
	}
	allocs := testing.AllocsPerRun(100, func() {
		s.SendESPBatch(src, dst, pkts)
		s.SendESP(me, to, pkts[0])
	})
	if allocs > 0 && !raceEnabled {
		t.Errorf("%.1f allocations per batch", allocs)
	}
}

// TestMarkAndConcurrentSends: the sockets carry the fwmark, and
// SendESPBatch may be called from several goroutines at once.
func TestMarkAndConcurrentSends(t *testing.T) {
	_, nat := freePorts(t)
	s, err := Open(Config{NATTPort: nat, IPv4: true, Mark: 0x42,
		RecvESPBatch: func(_, _ []netip.AddrPort, _ [][]byte) {}})
	if err != nil {
		t.Skipf("no SO_MARK without CAP_NET_ADMIN: %v", err)
	}
	defer s.Close()
	s.Control(func(fd int, _ bool, _ uint16) error {
		if m, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK); err != nil || m != 0x42 {
			t.Errorf("SO_MARK %#x, %v", m, err)
		}
		return nil
	})
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	sink.SetReadBuffer(4 << 20)
	me := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), nat)
	to := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	var wg sync.WaitGroup
	const senders, batches, size = 4, 20, 16
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, dst, pkts := make([]netip.AddrPort, size), make([]netip.AddrPort, size), make([][]byte, size)
			for i := range pkts {
				src[i], dst[i], pkts[i] = me, to, espPacket(g*size+i)
			}
			for range batches {
				if n, err := s.SendESPBatch(src, dst, pkts); n != size || err != nil {
					t.Errorf("sent %d of %d: %v", n, size, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	buf := make([]byte, 2048)
	for i := range senders * batches * size {
		sink.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := sink.ReadFromUDPAddrPort(buf); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
	}
}

// TestReadBatchAllocs: reading a batch with recvmmsg and taking its
// datagrams apart allocates nothing.
func TestReadBatchAllocs(t *testing.T) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_PKTINFO, 1) })
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	to := c.LocalAddr().(*net.UDPAddr).AddrPort()
	r := newReader(connKey{port: to.Port()}, rc, espBatch)
	pkt := espPacket(1400)
	const burst = 8
	var bad error
	read := func() {
		for range burst {
			peer.WriteToUDPAddrPort(pkt, to)
		}
		for got := 0; got < burst; {
			n, err := r.read()
			if err != nil {
				bad = err
				return
			}
			for i := range n {
				src, dst, data, _, ok := r.msg(i)
				if !ok || dst != to || src.Port() == 0 || !bytes.Equal(data, pkt) {
					bad = fmt.Errorf("datagram from %v to %v, %d bytes", src, dst, len(data))
				}
			}
			got += n
		}
	}
	read() // the method value for RawConn.Read
	allocs := testing.AllocsPerRun(50, read)
	if bad != nil {
		t.Fatal(bad)
	}
	if allocs > 0 && !raceEnabled {
		t.Errorf("%.1f allocations per batch of %d datagrams", allocs, burst)
	}
}

// TestGSORoundTrip: runs of equal-sized datagrams go out as UDP GSO
// messages (one per run of up to 64, the last of a run may be shorter)
// and come back, coalesced by UDP GRO or not, as the datagrams they were.
func TestGSORoundTrip(t *testing.T) {
	_, nat := freePorts(t)
	var esp espBatches
	s, err := Open(Config{NATTPort: nat, IPv4: true, RecvESPBatch: esp.recv})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go s.Serve(func(Datagram) {})
	me := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), nat)
	other := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), nat+1) // nobody listens
	var src, dst []netip.AddrPort
	var pkts [][]byte
	add := func(to netip.AddrPort, size int) {
		p := espPacket(len(pkts))
		p = append(p, make([]byte, 1500)...)[:size]
		src, dst, pkts = append(src, me), append(dst, to), append(pkts, p)
	}
	for range 100 { // 64 + 36
		add(me, 1000)
	}
	add(me, 500) // the end of the second run
	add(me, 1000)
	add(me, 1200) // longer: a message of its own
	add(other, 1200)
	add(me, 1200)
	b := new(sendBatch)
	for i := range pkts {
		s.queueESP(b, src[i], dst[i], pkts[i])
	}
	m := &b.fam[0]
	m.build(0, true)
	if wantSegs := []int{64, 37, 1, 1, 1, 1}; m.n != len(wantSegs) || !slices.Equal(m.segs[:m.n], wantSegs) {
		t.Errorf("messages: %d with %v, want %v", m.n, m.segs[:m.n], wantSegs)
	}
	b.reset()
	want := make([][]byte, 0, len(pkts))
	for i := range pkts {
		if dst[i] == me {
			want = append(want, pkts[i])
		}
	}
	if n, err := s.SendESPBatch(src, dst, pkts); n != len(pkts) || err != nil {
		t.Fatalf("sent %d of %d: %v", n, len(pkts), err)
	}
	waitUntil(t, func() bool { return esp.count() >= len(want) })
	esp.mu.Lock()
	defer esp.mu.Unlock()
	if len(esp.pkts) != len(want) {
		t.Fatalf("%d datagrams, want %d", len(esp.pkts), len(want))
	}
	for i := range want {
		if !bytes.Equal(esp.pkts[i], want[i]) || esp.src[i] != me || esp.dst[i] != me {
			t.Fatalf("datagram %d: %d bytes %x... from %v to %v, want %d bytes %x...", i,
				len(esp.pkts[i]), esp.pkts[i][:8], esp.src[i], esp.dst[i], len(want[i]), want[i][:8])
		}
	}
	t.Logf("%d datagrams in %d batches", len(esp.pkts), esp.batches)
}
