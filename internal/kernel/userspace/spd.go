package userspace

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/goswan/goswan/internal/kernel"
)

// u128 is an IP address as a 128-bit number (IPv4 as ::ffff:a.b.c.d),
// for cheap range comparisons.
type u128 struct{ hi, lo uint64 }

func u128Of(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

// tsMatcher is a traffic selector prepared for matching.
type tsMatcher struct {
	valid            bool
	v6               bool
	start, end       u128
	fromPort, toPort uint16
}

func newTSMatcher(t kernel.TS) tsMatcher {
	if !t.Start.IsValid() || !t.End.IsValid() || t.Start.Is4() != t.End.Is4() {
		return tsMatcher{}
	}
	return tsMatcher{valid: true, v6: t.Start.Is6(), start: u128Of(t.Start), end: u128Of(t.End),
		fromPort: t.FromPort, toPort: t.ToPort}
}

func (m *tsMatcher) matchAddr(a u128, v6 bool) bool {
	return m.valid && m.v6 == v6 && !a.less(m.start) && !m.end.less(a)
}

// matchPort: a selector with all ports matches anything, one with a port
// range only packets with ports in it (not fragments without ports), an
// OPAQUE one (start > end, RFC 4301 4.4.1.1) only packets without ports.
func (m *tsMatcher) matchPort(p uint16, has bool) bool {
	switch {
	case m.fromPort == 0 && m.toPort == 0xffff:
		return true
	case m.fromPort > m.toPort:
		return !has
	}
	return has && p >= m.fromPort && p <= m.toPort
}

// flowKey is a parsed packet in the form the SPD matches.
type flowKey struct {
	src, dst     u128
	v6           bool
	proto        uint8
	ports        bool
	sport, dport uint16
}

func keyOf(f *flow) flowKey {
	return flowKey{src: u128Of(f.src), dst: u128Of(f.dst), v6: f.src.Is6(), proto: f.proto,
		ports: f.ports, sport: f.sport, dport: f.dport}
}

// priority classes, strongSwan's policy_priority_t
type prioClass uint8

const (
	prioPass prioClass = iota
	prioDefault
	prioRouted
	prioFallback
)

func classOf(p *kernel.Policy) prioClass {
	switch {
	case p.Type == kernel.PolicyPass:
		return prioPass
	case p.Type == kernel.PolicyDrop:
		return prioFallback
	case p.Trap:
		return prioRouted
	}
	return prioDefault
}

// prefixBits is the length of the smallest prefix covering the selector's
// range (strongSwan's to_subnet).
func prefixBits(t kernel.TS) uint32 {
	if !t.Start.IsValid() || !t.End.IsValid() {
		return 0
	}
	s, e := u128Of(t.Start), u128Of(t.End)
	var n int
	if x := s.hi ^ e.hi; x != 0 {
		n = bits.LeadingZeros64(x)
	} else {
		n = 64 + bits.LeadingZeros64(s.lo^e.lo)
	}
	if t.Start.Is4() {
		n -= 96
	}
	return uint32(max(n, 0))
}

// portBits is the number of leading bits the port range fixes.
func portBits(t kernel.TS) uint32 {
	return uint32(16 - bits.Len16(t.FromPort^t.ToPort))
}

// autoPriority computes a policy's priority as strongSwan's kernel
// backend does (smaller is preferred): the class, then more specific
// selectors (prefix lengths, protocol, ports, interface) first.
func autoPriority(p *kernel.Policy) uint32 {
	const base = 200000
	prio := uint32(base)
	class := classOf(p)
	switch class {
	case prioFallback:
		prio += 2 * base
	case prioRouted, prioDefault:
		prio += base
	}
	prio -= (prefixBits(p.Src) + prefixBits(p.Dst)) * 512
	if max(p.Src.Proto, p.Dst.Proto) != 0 {
		prio -= 256
	}
	prio -= (portBits(p.Src) + portBits(p.Dst)) * 4
	if p.Interface != "" {
		prio -= 2
	}
	if class != prioRouted {
		prio--
	}
	return prio
}

// selKey identifies a policy's selector: policies with the same key are
// reference counted, the one with the best priority is in force.
type selKey struct {
	dir      kernel.Direction
	src, dst kernel.TS
	mark     kernel.Mark
	ifID     uint32
	iface    string
}

func selKeyOf(p *kernel.Policy) selKey {
	return selKey{dir: p.Dir, src: p.Src, dst: p.Dst, mark: p.Mark, ifID: p.IfID, iface: p.Interface}
}

// policyEntry is one installed policy.
type policyEntry struct {
	pol      kernel.Policy
	key      selKey
	src, dst tsMatcher
	proto    uint8
	prio     uint32 // effective priority
	auto     uint32
	order    uint64 // insertion order
	lastUse  atomic.Int64
}

func newPolicyEntry(p *kernel.Policy, order uint64) *policyEntry {
	e := &policyEntry{pol: *p, key: selKeyOf(p), src: newTSMatcher(p.Src), dst: newTSMatcher(p.Dst),
		proto: max(p.Src.Proto, p.Dst.Proto), auto: autoPriority(p), order: order}
	e.prio = p.Priority
	if e.prio == 0 {
		e.prio = e.auto
	}
	return e
}

// matches reports whether a packet falls under the policy's selectors.
func (e *policyEntry) matches(k *flowKey) bool {
	return (e.proto == 0 || e.proto == k.proto) &&
		e.src.matchAddr(k.src, k.v6) && e.dst.matchAddr(k.dst, k.v6) &&
		e.src.matchPort(k.sport, k.ports) && e.dst.matchPort(k.dport, k.ports)
}

// spdSnap is an immutable view of the policies in force, swapped
// atomically on every change so that packet processing takes no lock.
type spdSnap struct {
	gen       uint64
	out       []*policyEntry // outbound, by priority
	inByReqID map[uint32][]*policyEntry
}

// lookupOut returns the outbound policy in force for a packet.
func (s *spdSnap) lookupOut(k *flowKey) *policyEntry {
	for _, e := range s.out {
		if e.matches(k) {
			return e
		}
	}
	return nil
}

// spd holds the policies.
type spd struct {
	mu     sync.Mutex                // guards stacks, order
	stacks map[selKey][]*policyEntry // per selector, the first in force
	order  uint64
	snap   atomic.Pointer[spdSnap]
}

func newSPD() *spd {
	s := &spd{stacks: map[selKey][]*policyEntry{}}
	s.snap.Store(&spdSnap{inByReqID: map[uint32][]*policyEntry{}})
	return s
}

// add installs a policy; it reports the number of entries its selector
// now has.
func (s *spd) add(p *kernel.Policy) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.order++
	e := newPolicyEntry(p, s.order)
	stack := s.stacks[e.key]
	i := 0
	for ; i < len(stack); i++ {
		c := stack[i]
		if c.prio > e.prio ||
			c.prio == e.prio && c.auto > e.auto ||
			c.prio == e.prio && c.auto == e.auto && (c.pol.ReqID == 0 || e.pol.ReqID != 0) {
			break
		}
	}
	stack = append(stack, nil)
	copy(stack[i+1:], stack[i:])
	stack[i] = e
	s.stacks[e.key] = stack
	s.rebuild()
	return len(stack)
}

// del removes the entry of p from its selector: the one of the same SA
// (SPI, reqid, trap) if there is one, else one of the same reqid. It
// returns the entries left, or -1 if there was none to remove.
func (s *spd) del(p *kernel.Policy) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := selKeyOf(p)
	stack := s.stacks[key]
	idx := -1
	for pass := 0; pass < 2 && idx < 0; pass++ {
		for i, e := range stack {
			q := &e.pol
			if q.ReqID == p.ReqID && q.Trap == p.Trap && q.Type == p.Type && (pass == 1 || q.SPI == p.SPI) {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		for i, e := range stack {
			if e.pol.ReqID == p.ReqID {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		return -1
	}
	stack = append(stack[:idx], stack[idx+1:]...)
	if len(stack) == 0 {
		delete(s.stacks, key)
	} else {
		s.stacks[key] = stack
	}
	s.rebuild()
	return len(stack)
}

// get returns the entry in force for p's selector.
func (s *spd) get(p *kernel.Policy) *policyEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if stack := s.stacks[selKeyOf(p)]; len(stack) > 0 {
		return stack[0]
	}
	return nil
}

// rebuild publishes a new snapshot; s.mu held.
func (s *spd) rebuild() {
	old := s.snap.Load()
	n := &spdSnap{gen: old.gen + 1, inByReqID: map[uint32][]*policyEntry{}}
	for _, stack := range s.stacks {
		e := stack[0]
		switch e.pol.Dir {
		case kernel.DirOut:
			n.out = append(n.out, e)
		case kernel.DirIn:
			if e.pol.Type == kernel.PolicyIPsec {
				// every SA of a selector may deliver into it
				for _, c := range stack {
					if c.pol.Type == kernel.PolicyIPsec {
						n.inByReqID[c.pol.ReqID] = append(n.inByReqID[c.pol.ReqID], c)
					}
				}
			}
		}
	}
	sort.Slice(n.out, func(i, j int) bool {
		a, b := n.out[i], n.out[j]
		if a.prio != b.prio {
			return a.prio < b.prio
		}
		return a.order < b.order
	})
	s.snap.Store(n)
}
