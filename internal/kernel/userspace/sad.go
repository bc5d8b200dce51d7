package userspace

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/kernel"
)

// endpoints are an SA's outer addresses; UpdateSA replaces them.
type endpoints struct {
	src, dst netip.AddrPort // ports only with encap
	encap    bool
}

// seqSoftMargin: an outbound SA raises a soft expire (rekey) this many
// packets before its sequence number would overflow, and a hard one when
// it does (RFC 4303 section 3.3.3: the sequence number must not cycle).
const seqSoftMargin = 1 << 24

// sa is one installed SA. Fields above the usage counters are immutable
// once the SA is in the SAD.
type sa struct {
	id       kernel.SAID // as added; ep holds the current endpoints
	reqID    uint32
	mode     kernel.Mode
	inbound  bool
	esn      bool
	suite    *suite
	life     kernel.Lifetime
	local    []tsMatcher // inbound: the destination selectors
	remote   []tsMatcher // inbound: the source selectors
	added    time.Time
	seqLimit uint64

	ep atomic.Pointer[endpoints]
	// mtu is the largest inner packet that fits the outer MTU.
	mtu atomic.Int32

	// outbound: the last sequence number used
	seq atomic.Uint64

	// inbound: the replay window, used by the ordered receive stage
	replayMu sync.Mutex
	replay   replayWindow
	top      atomic.Uint64 // replay.top, for ESN inference in the workers

	bytes, packets atomic.Uint64
	lastUse        atomic.Int64 // unix nanoseconds, 0 never
	softDone       atomic.Bool
	hardDone       atomic.Bool

	// mapping: the last NAT mapping reported (encap inbound)
	mapMu      sync.Mutex
	lastMapped netip.AddrPort

	timersMu sync.Mutex
	timers   []clock.Timer
}

func newSA(k *kernel.SA, now time.Time) (*sa, error) {
	if k.Proto != kernel.ProtoESP {
		return nil, fmt.Errorf("IPsec SA: protocol %d not supported", k.Proto)
	}
	if k.Mode != kernel.ModeTunnel && k.Mode != kernel.ModeTransport {
		return nil, fmt.Errorf("IPsec SA: unsupported mode %v", k.Mode)
	}
	if !k.Src.IsValid() || !k.Dst.IsValid() || k.Src.Is4() != k.Dst.Is4() {
		return nil, fmt.Errorf("IPsec SA: invalid endpoints %v, %v", k.Src, k.Dst)
	}
	su, err := newSuite(k.Encr, k.Integ, k.ESN)
	if err != nil {
		return nil, fmt.Errorf("IPsec SA: %w", err)
	}
	s := &sa{id: k.SAID, reqID: k.ReqID, mode: k.Mode, inbound: k.Inbound, esn: k.ESN, suite: su,
		life: k.Lifetime, added: now, seqLimit: 1<<32 - 1}
	if k.ESN {
		s.seqLimit = 1<<64 - 1
	}
	for _, t := range k.Local {
		s.local = append(s.local, newTSMatcher(t))
	}
	for _, t := range k.Remote {
		s.remote = append(s.remote, newTSMatcher(t))
	}
	ep := &endpoints{src: netip.AddrPortFrom(k.Src, 0), dst: netip.AddrPortFrom(k.Dst, 0), encap: k.Encap}
	if k.Encap {
		ep.src, ep.dst = netip.AddrPortFrom(k.Src, k.SrcPort), netip.AddrPortFrom(k.Dst, k.DstPort)
	}
	s.ep.Store(ep)
	if k.Inbound {
		s.replay = newReplayWindow(k.ReplayWindow)
	}
	return s, nil
}

// setMTU computes the largest inner packet for an outer MTU.
func (s *sa) setMTU(outer int) {
	ep := s.ep.Load()
	o := ipv4HeaderLen
	if ep.dst.Addr().Is6() {
		o = ipv6HeaderLen
	}
	if ep.encap {
		o += 8
	}
	o += s.suite.headerLen() + s.suite.icvLen
	// the payload plus pad length and next header is padded to the
	// alignment
	p := outer - o
	p -= p % s.suite.align
	m := p - 2
	if s.mode == kernel.ModeTransport {
		// the inner IP header is replaced by the outer one
		if ep.dst.Addr().Is6() {
			m += ipv6HeaderLen
		} else {
			m += ipv4HeaderLen
		}
	}
	s.mtu.Store(int32(max(m, 68)))
}

// account adds a packet to the usage counters and checks the byte and
// packet lifetimes. It returns false if the packet must be dropped
// because the SA reached a hard limit.
func (s *sa) account(e *Engine, n int, now int64) bool {
	b := s.bytes.Add(uint64(n))
	p := s.packets.Add(1)
	s.lastUse.Store(now)
	l := &s.life
	if l.HardBytes != 0 && b > l.HardBytes || l.HardPackets != 0 && p > l.HardPackets {
		e.expire(s, true)
		return false
	}
	if l.SoftBytes != 0 && b >= l.SoftBytes || l.SoftPackets != 0 && p >= l.SoftPackets {
		e.expire(s, false)
	}
	return true
}

// nextSeq allocates an outbound sequence number; ok is false once the
// sequence space is exhausted.
func (s *sa) nextSeq(e *Engine) (uint64, bool) {
	seq := s.seq.Add(1)
	if seq == 0 || seq > s.seqLimit {
		s.seq.Store(s.seqLimit) // stay saturated
		e.expire(s, true)
		return 0, false
	}
	if s.seqLimit-seq < seqSoftMargin {
		e.expire(s, false)
	}
	return seq, true
}

func (s *sa) currentID() kernel.SAID {
	ep := s.ep.Load()
	id := s.id
	id.Src, id.Dst = ep.src.Addr(), ep.dst.Addr()
	return id
}

// allowInner checks a decrypted packet against the SA's selectors.
func (s *sa) allowInner(k *flowKey) bool {
	okSrc, okDst := false, false
	for i := range s.remote {
		if m := &s.remote[i]; m.matchAddr(k.src, k.v6) && m.matchPort(k.sport, k.ports) {
			okSrc = true
			break
		}
	}
	for i := range s.local {
		if m := &s.local[i]; m.matchAddr(k.dst, k.v6) && m.matchPort(k.dport, k.ports) {
			okDst = true
			break
		}
	}
	return okSrc && okDst
}

func (s *sa) stopTimers() {
	s.timersMu.Lock()
	defer s.timersMu.Unlock()
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = nil
}

// sad holds the SAs.
type sad struct {
	mu       sync.RWMutex // guards everything below
	all      map[kernel.SAID]*sa
	inbound  map[uint32][]*sa // by SPI
	outReqID map[uint32][]*sa // outbound by reqid, oldest first
	outSPI   map[uint32]*sa   // outbound by SPI (policies without reqid)
	reserved map[uint32]time.Time
	gen      atomic.Uint64 // bumped on every change (flow caches)
}

func newSAD() *sad {
	return &sad{all: map[kernel.SAID]*sa{}, inbound: map[uint32][]*sa{},
		outReqID: map[uint32][]*sa{}, outSPI: map[uint32]*sa{}, reserved: map[uint32]time.Time{}}
}

// insert adds s; mu held.
func (d *sad) insert(s *sa) {
	id := s.currentID()
	d.all[id] = s
	if s.inbound {
		d.inbound[id.SPI] = append(d.inbound[id.SPI], s)
		delete(d.reserved, id.SPI)
	} else {
		if s.reqID != 0 {
			d.outReqID[s.reqID] = append(d.outReqID[s.reqID], s)
		}
		d.outSPI[id.SPI] = s
	}
	d.gen.Add(1)
}

// remove takes s out; mu held.
func (d *sad) remove(s *sa) {
	id := s.currentID()
	if d.all[id] == s {
		delete(d.all, id)
	}
	if s.inbound {
		d.inbound[id.SPI] = without(d.inbound[id.SPI], s)
		if len(d.inbound[id.SPI]) == 0 {
			delete(d.inbound, id.SPI)
		}
	} else {
		if s.reqID != 0 {
			d.outReqID[s.reqID] = without(d.outReqID[s.reqID], s)
			if len(d.outReqID[s.reqID]) == 0 {
				delete(d.outReqID, s.reqID)
			}
		}
		if d.outSPI[id.SPI] == s {
			delete(d.outSPI, id.SPI)
		}
	}
	d.gen.Add(1)
}

func without(l []*sa, s *sa) []*sa {
	out := l[:0]
	for _, x := range l {
		if x != s {
			out = append(out, x)
		}
	}
	clear(l[len(out):])
	return out
}

// lookupIn finds the inbound SA of a received packet.
func (d *sad) lookupIn(spi uint32, dst netip.Addr) *sa {
	d.mu.RLock()
	l := d.inbound[spi]
	var s *sa
	switch len(l) {
	case 0:
	case 1:
		s = l[0]
	default:
		for _, x := range l {
			if x.ep.Load().dst.Addr() == dst {
				s = x
				break
			}
		}
		if s == nil {
			s = l[len(l)-1]
		}
	}
	d.mu.RUnlock()
	return s
}

// lookupOut finds the SA an outbound policy uses: the newest outbound SA
// of its reqid (as XFRM resolves templates), or the SA of its SPI for
// policies without reqid.
func (d *sad) lookupOut(p *kernel.Policy) *sa {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if p.ReqID != 0 {
		if l := d.outReqID[p.ReqID]; len(l) > 0 {
			return l[len(l)-1]
		}
		return nil
	}
	return d.outSPI[p.SPI]
}
