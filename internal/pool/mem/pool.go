// Package mem implements the in-memory virtual IP pools of ipsec.conf
// (rightsourceip=CIDR, range, address or %config), with the lease rules of
// charon's mem_pool and the pool/DNS bookkeeping of its stroke plugin,
// and the `ipsec leases` view of them.
//
// Pools is an attr.Provider. A Pool keeps no per-address state: a lease is
// an offset into the pool, and only identities that hold or held a lease
// cost memory, so a /16 pool is as cheap as a /28 until it fills.
//
// This package must not import the IKE core (internal/ike/sa, task, ...)
// beyond the attr and message types it serves, nor any daemon package.
package mem

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/log"
)

// poolLimit is the largest number of host bits of a pool (mem_pool.c's
// POOL_LIMIT: offsets are 32-bit).
const poolLimit = 31

// op is one of the three passes charon's stroke provider makes over the
// pools of a connection.
type op uint8

const (
	opExisting op = iota // a lease the identity holds or held
	opNew                // an address never handed out
	opReassign           // an offline lease of another identity
)

// lease is an online lease: an offset and the peer address it serves, so
// that a second IKE_SA of the same identity from the same address and port
// shares it while one from elsewhere gets its own.
type lease struct {
	off  uint32
	peer netip.AddrPort
}

// entry holds the leases of one identity.
type entry struct {
	id      identity.ID
	seq     uint64 // creation order: charon lists and reassigns in it
	online  []lease
	offline []uint32
	queued  bool // in Pool.offq
	gone    bool // removed from Pool.entries
}

// offQueue orders the entries that (may) have offline leases by creation,
// so a full pool reassigns the offline lease of the oldest identity as
// charon does, without scanning every identity. Stale members (no offline
// lease left, or gone) are dropped when they reach the top.
type offQueue []*entry

func (q offQueue) Len() int           { return len(q) }
func (q offQueue) Less(i, j int) bool { return q[i].seq < q[j].seq }
func (q offQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *offQueue) Push(x any)        { *q = append(*q, x.(*entry)) }
func (q *offQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

// Pool is one address pool. Its addresses are base + offset - 1 for the
// offsets 1..size (2..size+1 when base is the network address, which is
// skipped); for IPv6 only the last 32 bits count, as in charon.
type Pool struct {
	name  string
	base  netip.Addr // invalid for an empty (%config) pool
	size  uint32
	netID bool // base is the network address: offset 1 is not used
	log   *log.Logger

	// mu guards everything below.
	mu      sync.Mutex
	unused  uint32 // offsets handed out so far, from the bottom
	entries map[string]*entry
	seq     uint64
	offq    offQueue
	online  uint32
	offline uint32
}

func newPool(name string, l *log.Logger) *Pool {
	return &Pool{name: name, log: l, entries: make(map[string]*entry)}
}

// NewEmpty returns the address-less pool stroke makes for
// rightsourceip=%config (named after the connection): it hands the peer
// the address it asked for, whatever that is.
func NewEmpty(name string, l *log.Logger) *Pool { return newPool(name, l) }

// New returns the pool of the subnet base/bits, as charon's
// mem_pool_create: if base is the network address it is skipped, else the
// pool starts at base; the broadcast address is left out of subnets of more
// than two addresses; pools of more than 2^31 addresses are cut to that
// size (logged).
func New(name string, base netip.Addr, bits int, l *log.Logger) *Pool {
	p := newPool(name, l)
	if !base.IsValid() {
		return p
	}
	base = base.WithZone("")
	addrBits := base.BitLen()
	bits = max(0, min(bits, addrBits))
	host := addrBits - bits
	if host > poolLimit {
		host = poolLimit
		l.Log(log.CFG, log.Ctrl, log.Context{Thread: 1}, "virtual IP pool too large, limiting to %s/%d",
			hostString(base), addrBits-host)
	}
	p.base = base
	p.size = 1 << host
	diff := hostPart(base, host)
	if p.size > 2 {
		if diff == 0 {
			p.netID = true
			p.size--
		} else {
			p.size -= diff
		}
		p.size-- // the broadcast address
	} else if diff != 0 {
		p.size-- // only the second address of a /31 (or /127)
	}
	return p
}

// NewRange returns the pool from..to (both included), as charon's
// mem_pool_create_range. IPv6 ranges may only differ in the last 32 bits.
func NewRange(name string, from, to netip.Addr, l *log.Logger) (*Pool, error) {
	from, to = from.WithZone(""), to.WithZone("")
	if !from.IsValid() || !to.IsValid() || from.Is4() != to.Is4() || from.Compare(to) > 0 {
		return nil, fmt.Errorf("invalid IP address range: %s-%s", hostString(from), hostString(to))
	}
	if from.Is6() {
		f, t := from.As16(), to.As16()
		if [12]byte(f[:12]) != [12]byte(t[:12]) {
			return nil, fmt.Errorf("IP address range too large: %s-%s", hostString(from), hostString(to))
		}
	}
	p := newPool(name, l)
	p.base = from
	diff := low32(to) - low32(from)
	if diff == math.MaxUint32 {
		// charon's size wraps to 0 here (an empty pool handing out what
		// the peer asks for); keep the addresses instead, less the last.
		diff--
	}
	p.size = diff + 1
	return p, nil
}

// Name returns the pool's name.
func (p *Pool) Name() string { return p.name }

// Base returns the first address (the network address if that is skipped);
// invalid for an empty pool.
func (p *Pool) Base() netip.Addr { return p.base }

// Size returns the number of addresses.
func (p *Pool) Size() uint32 { return p.size }

// Counts returns the numbers of online and offline leases.
func (p *Pool) Counts() (online, offline uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.online, p.offline
}

// low32 returns the last 32 bits of an address.
func low32(a netip.Addr) uint32 {
	if a.Is4() {
		b := a.As4()
		return binary.BigEndian.Uint32(b[:])
	}
	b := a.As16()
	return binary.BigEndian.Uint32(b[12:])
}

// hostPart returns the value of the host bits (at most 31) of a.
func hostPart(a netip.Addr, hostBits int) uint32 {
	if hostBits == 0 {
		return 0
	}
	return low32(a) & (1<<hostBits - 1)
}

// addr returns the address of offset off (1-based).
func (p *Pool) addr(off uint32) netip.Addr {
	v := low32(p.base) + off - 1
	if p.base.Is4() {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], v)
		return netip.AddrFrom4(b)
	}
	b := p.base.As16()
	binary.BigEndian.PutUint32(b[12:], v)
	return netip.AddrFrom16(b)
}

// offset returns the offset of a, if a is in the pool's range.
func (p *Pool) offset(a netip.Addr) (uint32, bool) {
	if !p.base.IsValid() || a.Is4() != p.base.Is4() {
		return 0, false
	}
	if a.Is6() {
		x, y := a.As16(), p.base.As16()
		if [12]byte(x[:12]) != [12]byte(y[:12]) {
			return 0, false
		}
	}
	h, b := low32(a), low32(p.base)
	if h < b || h-b > p.size {
		return 0, false
	}
	return h - b + 1, true
}

// logOn reports whether CFG messages of level 1 are wanted: checking it
// first spares boxing the arguments when nobody listens.
func (p *Pool) logOn() bool { return p.log.Enabled(log.CFG, log.Ctrl) }

// logf logs a CFG message at level 1.
func (p *Pool) logf(ctx log.Context, format string, args ...any) {
	p.log.Log(log.CFG, log.Ctrl, ctx, format, args...)
}

func idKey(id identity.ID) string {
	b := make([]byte, 0, 1+id.Len())
	b = append(b, byte(id.Type()))
	b = append(b, id.Data()...)
	return string(b)
}

// saContext is the log context of an IKE_SA.
func saContext(sa attr.SA) log.Context { return sa.LogContext() }

// entryFor returns id's entry, creating it; mu must be held.
func (p *Pool) entryFor(key string, id identity.ID) *entry {
	e := p.entries[key]
	if e == nil {
		p.seq++
		e = &entry{id: id, seq: p.seq}
		p.entries[key] = e
	}
	return e
}

// queue puts e in the offline queue; mu must be held.
func (p *Pool) queue(e *entry) {
	if !e.queued {
		e.queued = true
		heap.Push(&p.offq, e)
	}
}

// Acquire is one pass of charon's stroke provider over this pool.
func (p *Pool) acquire(sa attr.SA, requested netip.Addr, o op) (netip.Addr, bool) {
	if p.size == 0 {
		// the %config pool: whatever the peer asked for
		return requested, requested.IsValid()
	}
	if !requested.IsValid() || requested.Is4() != p.base.Is4() {
		return netip.Addr{}, false
	}
	ctx := saContext(sa)
	id := sa.PeerID
	key := idKey(id)
	p.mu.Lock()
	defer p.mu.Unlock()
	var off uint32
	switch o {
	case opExisting:
		off = p.existing(ctx, key, id, requested, sa.PeerAddr)
	case opNew:
		off = p.fresh(ctx, key, id, sa.PeerAddr)
	case opReassign:
		off = p.reassign(ctx, key, id, sa.PeerAddr)
		if off == 0 {
			if p.logOn() {
				p.logf(ctx, "pool '%s' is full, unable to assign address", p.name)
			}
		}
	}
	if off == 0 {
		return netip.Addr{}, false
	}
	return p.addr(off), true
}

// existing returns the identity's offline lease, or an online lease it
// holds for the same peer address and port (charon's get_existing).
func (p *Pool) existing(ctx log.Context, key string, id identity.ID, requested netip.Addr, peer netip.AddrPort) uint32 {
	e := p.entries[key]
	if e == nil {
		return 0
	}
	if len(e.offline) > 0 {
		off := e.offline[0]
		e.offline = slices.Delete(e.offline, 0, 1)
		e.online = append(e.online, lease{off, peer})
		p.offline--
		p.online++
		if p.logOn() {
			p.logf(ctx, "reassigning offline lease to '%s'", id)
		}
		return off
	}
	if !peer.IsValid() {
		return 0
	}
	want, inPool := p.offset(requested)
	for _, l := range e.online {
		if l.peer == peer && (requested.IsUnspecified() || (inPool && l.off == want)) {
			e.online = append(e.online, l)
			p.online++
			if p.logOn() {
				p.logf(ctx, "reassigning online lease to '%s'", id)
			}
			return l.off
		}
	}
	return 0
}

// fresh hands out the next never-used address (charon's get_new).
func (p *Pool) fresh(ctx log.Context, key string, id identity.ID, peer netip.AddrPort) uint32 {
	if p.unused >= p.size {
		return 0
	}
	e := p.entryFor(key, id)
	p.unused++
	off := p.unused
	if p.netID {
		off++
	}
	e.online = append(e.online, lease{off, peer})
	p.online++
	if p.logOn() {
		p.logf(ctx, "assigning new lease to '%s'", id)
	}
	return off
}

// reassign takes the offline lease of the identity that got its first
// lease earliest (charon's get_reassigned).
func (p *Pool) reassign(ctx log.Context, key string, id identity.ID, peer netip.AddrPort) uint32 {
	for p.offq.Len() > 0 {
		e := p.offq[0]
		if e.gone || len(e.offline) == 0 {
			heap.Pop(&p.offq)
			e.queued = false
			continue
		}
		off := e.offline[0]
		e.offline = slices.Delete(e.offline, 0, 1)
		p.offline--
		if p.logOn() {
			p.logf(ctx, "reassigning existing offline lease by '%s' to '%s'", e.id, id)
		}
		if len(e.offline) == 0 {
			heap.Pop(&p.offq)
			e.queued = false
			if len(e.online) == 0 {
				e.gone = true
				delete(p.entries, idKey(e.id))
			}
		}
		n := p.entryFor(key, id)
		n.online = append(n.online, lease{off, peer})
		p.online++
		return off
	}
	return 0
}

// release gives back one online lease of addr held by id; the lease goes
// offline when no other IKE_SA shares it (charon's release_address).
func (p *Pool) release(sa attr.SA, addr netip.Addr) bool {
	if p.size == 0 {
		return false
	}
	off, ok := p.offset(addr)
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entries[idKey(sa.PeerID)]
	if e == nil {
		return false
	}
	i := slices.IndexFunc(e.online, func(l lease) bool { return l.off == off })
	if i < 0 {
		return false
	}
	e.online = slices.Delete(e.online, i, i+1)
	p.online--
	if slices.ContainsFunc(e.online[i:], func(l lease) bool { return l.off == off }) {
		return true
	}
	e.offline = append(e.offline, off)
	p.offline++
	p.queue(e)
	if p.logOn() {
		p.logf(saContext(sa), "lease %s by '%s' went offline", hostString(addr), sa.PeerID)
	}
	return true
}

// Lease is one lease of a pool, as `ipsec leases` lists it.
type Lease struct {
	Addr     netip.Addr
	Identity identity.ID
	Online   bool
}

// Leases returns the leases in charon's order: identities by their first
// lease, each with its online leases (one per IKE_SA) before its offline
// ones.
func (p *Pool) Leases() []Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	es := make([]*entry, 0, len(p.entries))
	for _, e := range p.entries {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
	out := make([]Lease, 0, p.online+p.offline)
	for _, e := range es {
		for _, l := range e.online {
			out = append(out, Lease{p.addr(l.off), e.id, true})
		}
		for _, off := range e.offline {
			out = append(out, Lease{p.addr(off), e.id, false})
		}
	}
	return out
}

// hostString prints an address as charon's %H.
func hostString(a netip.Addr) string { return identity.FormatHost(a) }
