package userspace

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

type benchSuite struct {
	name        string
	encr, integ kernel.Algorithm
}

var benchSuites = []benchSuite{
	{"aes128gcm16", kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: bytes.Repeat([]byte{1}, 20)}, kernel.Algorithm{}},
	{"aes256gcm16", kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 256, Key: bytes.Repeat([]byte{1}, 36)}, kernel.Algorithm{}},
	{"chacha20poly1305", kernel.Algorithm{ID: crypto.EncrChaCha20Poly1305, Key: bytes.Repeat([]byte{1}, 36)}, kernel.Algorithm{}},
	{"aes128cbc-sha256", kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: bytes.Repeat([]byte{1}, 16)},
		kernel.Algorithm{ID: crypto.AuthHMACSHA256128, Key: bytes.Repeat([]byte{2}, 32)}},
}

// BenchmarkSeal measures ESP encryption per core, in place, as the
// workers do it.
func BenchmarkSeal(b *testing.B) {
	for _, bs := range benchSuites {
		for _, size := range []int{64, 1400} {
			b.Run(fmt.Sprintf("%s/%d", bs.name, size), func(b *testing.B) {
				s, err := newSuite(bs.encr, bs.integ, false)
				if err != nil {
					b.Fatal(err)
				}
				buf := make([]byte, headroom+size+tailroom)
				sc := new(scratch)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for i := range b.N {
					s.seal(buf, headroom, size, 0xc0000001, uint64(i+1), 4, sc, nil)
				}
			})
		}
	}
}

// BenchmarkOpen measures ESP verification and decryption per core.
func BenchmarkOpen(b *testing.B) {
	for _, bs := range benchSuites {
		for _, size := range []int{64, 1400} {
			b.Run(fmt.Sprintf("%s/%d", bs.name, size), func(b *testing.B) {
				s, err := newSuite(bs.encr, bs.integ, false)
				if err != nil {
					b.Fatal(err)
				}
				pkt := sealInto(b, s, make([]byte, size), 0xc0000001, 7, 4, nil)
				work := make([]byte, len(pkt))
				sc := new(scratch)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for range b.N {
					copy(work, pkt)
					if _, _, _, err := s.open(work, 7, sc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// genTUN produces copies of one packet as fast as the engine reads, as
// many as granted; it allocates nothing.
type genTUN struct {
	pkt       []byte
	remaining atomic.Int64
	wake      chan struct{}
	closed    chan struct{}
}

func (t *genTUN) grant(n int) {
	t.remaining.Add(int64(n))
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *genTUN) File() *os.File { return nil }
func (t *genTUN) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	for {
		r := t.remaining.Load()
		if r <= 0 {
			select {
			case <-t.wake:
				continue
			case <-t.closed:
				return 0, os.ErrClosed
			}
		}
		n := int(min(r, int64(len(bufs))))
		if !t.remaining.CompareAndSwap(r, r-int64(n)) {
			continue
		}
		for i := range n {
			sizes[i] = copy(bufs[i][offset:], t.pkt)
		}
		return n, nil
	}
}
func (t *genTUN) Write(bufs [][]byte, offset int) (int, error) { return len(bufs), nil }
func (t *genTUN) MTU() (int, error)                            { return 1400, nil }
func (t *genTUN) Name() (string, error)                        { return "gen", nil }
func (t *genTUN) Events() <-chan tun.Event                     { return nil }
func (t *genTUN) BatchSize() int                               { return maxBatch }
func (t *genTUN) Close() error                                 { close(t.closed); return nil }

// sinkTUN counts what the engine writes.
type sinkTUN struct {
	genTUN
	got    atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (t *sinkTUN) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	<-t.closed
	return 0, os.ErrClosed
}

func (t *sinkTUN) Write(bufs [][]byte, offset int) (int, error) {
	if n := t.got.Add(int64(len(bufs))); n >= t.target.Load() && n-int64(len(bufs)) < t.target.Load() {
		t.done <- struct{}{}
	}
	return len(bufs), nil
}

// wire carries ESP packets between two engines in preallocated buffers.
type wire struct {
	free   chan *memMsg
	full   chan *memMsg
	closed chan struct{}
}

func newWire() *wire {
	w := &wire{free: make(chan *memMsg, 4096), full: make(chan *memMsg, 4096), closed: make(chan struct{})}
	for range cap(w.free) {
		w.free <- &memMsg{data: make([]byte, 0, 2048)}
	}
	return w
}

func (w *wire) writeBatch(ps []*pkt) (int, error) {
	for _, p := range ps {
		m := <-w.free
		m.src, m.dst, m.data = p.src.Addr(), p.dst.Addr(), append(m.data[:0], p.data()...)
		w.full <- m
	}
	return len(ps), nil
}

func (w *wire) readBatch(ps []pkt) (int, error) {
	var m *memMsg
	select {
	case m = <-w.full:
	case <-w.closed:
		return 0, os.ErrClosed
	}
	n := 0
	for {
		p := &ps[n]
		p.off, p.n = headroom, copy(p.buf[headroom:], m.data)
		p.src, p.dst = netip.AddrPortFrom(m.src, 0), netip.AddrPortFrom(m.dst, 0)
		w.free <- m
		n++
		if n == len(ps) {
			return n, nil
		}
		select {
		case m = <-w.full:
		default:
			return n, nil
		}
	}
}

// wireTx is the sending end: it receives nothing.
type wireTx struct{ *wire }

func (w wireTx) readBatch(ps []pkt) (int, error) {
	<-w.closed
	return 0, os.ErrClosed
}

// wireRx is the receiving end.
type wireRx struct{ *wire }

func (w wireRx) writeBatch(ps []*pkt) (int, error) { return len(ps), nil }

func (w *wire) close() error {
	select {
	case <-w.closed:
	default:
		close(w.closed)
	}
	return nil
}

// udpWire carries ESP-in-UDP from one engine's SendUDPBatch to another's
// HandleUDPESPBatch in preallocated buffers, in batches as a socket read
// with recvmmsg would hand them over.
type udpWire struct {
	free, full chan *udpMsg
	closed     chan struct{}
	done       chan struct{}
}

type udpMsg struct {
	src, dst netip.AddrPort
	data     []byte
}

func newUDPWire() *udpWire {
	w := &udpWire{free: make(chan *udpMsg, 4096), full: make(chan *udpMsg, 4096),
		closed: make(chan struct{}), done: make(chan struct{})}
	for range cap(w.free) {
		w.free <- &udpMsg{data: make([]byte, 0, 2048)}
	}
	return w
}

func (w *udpWire) send(src, dst []netip.AddrPort, pkts [][]byte) (int, error) {
	for i, p := range pkts {
		var m *udpMsg
		select {
		case m = <-w.free:
		case <-w.closed:
			return i, os.ErrClosed
		}
		m.src, m.dst, m.data = src[i], dst[i], append(m.data[:0], p...)
		w.full <- m
	}
	return len(pkts), nil
}

func (w *udpWire) serve(e *Engine) {
	defer close(w.done)
	const batch = 64
	src, dst, pkts := make([]netip.AddrPort, 0, batch), make([]netip.AddrPort, 0, batch), make([][]byte, 0, batch)
	msgs := make([]*udpMsg, 0, batch)
	for {
		select {
		case m := <-w.full:
			msgs = append(msgs, m)
		case <-w.closed:
			return
		}
	more:
		for len(msgs) < batch {
			select {
			case m := <-w.full:
				msgs = append(msgs, m)
			default:
				break more
			}
		}
		for _, m := range msgs {
			src, dst, pkts = append(src, m.src), append(dst, m.dst), append(pkts, m.data)
		}
		e.HandleUDPESPBatch(src, dst, pkts)
		for _, m := range msgs {
			w.free <- m
		}
		src, dst, pkts, msgs = src[:0], dst[:0], pkts[:0], msgs[:0]
	}
}

func (w *udpWire) close() {
	close(w.closed)
	<-w.done
}

// rigWorkers, if set, is the number of crypto workers of newEngineRig's
// engines unless testInline (else New chooses).
var rigWorkers int

// engineRig is two engines over allocation-free fakes: A reads a
// generated packet from its TUN device, encrypts and "sends" it, B
// receives, decrypts, checks and writes it to a counting TUN device.
type engineRig struct {
	src    *genTUN
	sink   *sinkTUN
	ea, eb *Engine
}

func newEngineRig(tb testing.TB, bs benchSuite, size int, encap bool) *engineRig {
	tb.Helper()
	r := &engineRig{
		src: &genTUN{pkt: l4Packet(hostA, hostB, protoUDP, 1, 2, make([]byte, size-28)),
			wake: make(chan struct{}, 1), closed: make(chan struct{})},
		sink: &sinkTUN{genTUN: genTUN{closed: make(chan struct{})}, done: make(chan struct{}, 1)},
	}
	w := newWire()
	local := func(kernel.TS) (netip.Addr, bool) { return gwA, true }
	ca := Config{TUN: r.src, rawConns: [2]packetConn{wireTx{w}, nil}, NoRoutes: true, LocalAddr: local, Router: newFakeRouter()}
	cb := Config{TUN: r.sink, rawConns: [2]packetConn{wireRx{w}, nil}, NoRoutes: true, LocalAddr: local, Router: newFakeRouter()}
	if testInline {
		ca.Inline, cb.Inline = true, true
	} else if rigWorkers > 0 {
		ca.Workers, cb.Workers = rigWorkers, rigWorkers
	}
	var uw *udpWire
	if encap {
		uw = newUDPWire()
		ca.SendUDPBatch = uw.send
		cb.SendUDPBatch = func(_, _ []netip.AddrPort, pkts [][]byte) (int, error) { return len(pkts), nil }
	}
	var err error
	if r.ea, err = New(ca); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.ea.Close() })
	if r.eb, err = New(cb); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.eb.Close() })
	if encap {
		go uw.serve(r.eb)
		tb.Cleanup(uw.close) // before the engines close
	}
	c := net2net(1)
	c.encap = encap
	c.encrAB, c.encrBA, c.integ, c.window = bs.encr, bs.encr, bs.integ, 1024
	c.install(tb, &peer{e: r.ea, addr: addrA}, &peer{e: r.eb, addr: addrB})
	return r
}

// run sends n packets and waits until B wrote them all.
func (r *engineRig) run(tb testing.TB, n int) {
	r.sink.got.Store(0)
	r.sink.target.Store(int64(n))
	r.src.grant(n)
	select {
	case <-r.sink.done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("stuck: A %+v B %+v", r.ea.Stats(), r.eb.Stats())
	}
	if s := r.eb.Stats(); s.DropReplay+s.DropIntegrity+s.DropSelector != 0 {
		tb.Fatalf("drops: %+v", s)
	}
}

// TestEngineAllocs checks that the datapath allocates nothing per packet
// once its buffers exist.
func TestEngineAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures allocations of 100000 packets (not with -race or -short)")
	}
	for _, encap := range []bool{false, true} {
		for _, inline := range []bool{false, true} {
			testInline, rigWorkers = inline, 2
			for _, bs := range benchSuites {
				r := newEngineRig(t, bs, 1400, encap)
				r.run(t, 20000) // warm up: buffers, pools, flow cache
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				const n = 100000
				r.run(t, n)
				runtime.ReadMemStats(&after)
				// a few allocations of the runtime and test harness
				// (timers, goroutine stacks) may fall into the window;
				// none per packet
				if allocs := after.Mallocs - before.Mallocs; allocs > 100 {
					t.Errorf("%s (encap %v, inline %v): %d allocations for %d packets", bs.name, encap, inline, allocs, n)
				}
				if s := r.eb.Stats(); encap && (s.UDPReceived < n || s.ESPReceived != 0) || !encap && s.UDPReceived != 0 {
					t.Errorf("%s (encap %v): B %+v", bs.name, encap, s)
				}
			}
		}
	}
	testInline, rigWorkers = false, 0
}

// BenchmarkEngine pushes packets through two engines over allocation-free
// fakes: TUN read, SPD lookup, encryption, "sending", SAD lookup,
// decryption, replay check, inbound policy check and TUN write. Both
// engines share the machine; allocs/op is per packet.
func BenchmarkEngine(b *testing.B) {
	for _, bs := range benchSuites {
		for _, size := range []int{64, 1400} {
			b.Run(fmt.Sprintf("%s/%d", bs.name, size), func(b *testing.B) {
				r := newEngineRig(b, bs, size, false)
				r.run(b, 10000)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				b.ResetTimer()
				r.run(b, b.N)
			})
		}
	}
}
