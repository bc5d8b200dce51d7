// Package fake is an in-memory kernel backend for tests: it implements
// kernel.IPsec and kernel.Net, records every call, hands out predictable
// SPIs, keeps the SAs and policies it was given, and lets a test inject
// events. Usage counters can be set to simulate traffic.
package fake

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/internal/kernel"
)

// Kernel is a fake kernel.IPsec and kernel.Net.
type Kernel struct {
	mu      sync.Mutex // guards everything below
	nextSPI uint32
	calls   []string
	sas     map[kernel.SAID]*kernel.SA
	usage   map[kernel.SAID]kernel.Usage
	// policies are reference counted per selector, as kernel backends
	// must do: a rekeyed CHILD_SA installs the same selectors before the
	// old one removes its own. The last one added is in force.
	policies map[string][]*kernel.Policy
	addrs    []netip.Addr
	vips     map[netip.Prefix]*fakeVIP
	routes   map[kernel.Route]bool
	// Fail makes the named method ("AddSA", ...) return this error.
	fail map[string]error

	events    chan kernel.Event
	netEvents chan kernel.Event
	// randomSPIs: draw SPIs at random (as a real kernel) instead of counting
	randomSPIs bool
}

// NewRandom returns a fake kernel that allocates random SPIs in
// 0xc0000000-0xcfffffff as Linux does for charon, for daemons that run
// without a datapath (SPIs must not repeat across hosts and restarts).
func NewRandom(addrs ...netip.Addr) *Kernel {
	k := New(0, addrs...)
	k.randomSPIs = true
	return k
}

// New returns a fake kernel whose host has the given addresses. SPIs start
// at spiBase (0 for 0xc0000001).
func New(spiBase uint32, addrs ...netip.Addr) *Kernel {
	if spiBase == 0 {
		spiBase = 0xc0000001
	}
	return &Kernel{
		nextSPI:   spiBase,
		sas:       map[kernel.SAID]*kernel.SA{},
		usage:     map[kernel.SAID]kernel.Usage{},
		policies:  map[string][]*kernel.Policy{},
		addrs:     addrs,
		vips:      map[netip.Prefix]*fakeVIP{},
		routes:    map[kernel.Route]bool{},
		fail:      map[string]error{},
		events:    make(chan kernel.Event, 64),
		netEvents: make(chan kernel.Event, 64),
	}
}

var (
	_ kernel.IPsec = (*Kernel)(nil)
	_ kernel.Net   = (*Kernel)(nil)
)

func (k *Kernel) record(method string, format string, args ...any) error {
	k.calls = append(k.calls, method+" "+fmt.Sprintf(format, args...))
	return k.fail[method]
}

// FailWith makes method return err (nil to stop failing).
func (k *Kernel) FailWith(method string, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err == nil {
		delete(k.fail, method)
	} else {
		k.fail[method] = err
	}
}

// Calls returns the recorded calls, one line each.
func (k *Kernel) Calls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.calls...)
}

// SAs returns the installed SAs ordered by SPI.
func (k *Kernel) SAs() []kernel.SA {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]kernel.SA, 0, len(k.sas))
	for _, sa := range k.sas {
		out = append(out, *sa)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SPI < out[j].SPI })
	return out
}

// Policies returns the installed policies, sorted by their description.
func (k *Kernel) Policies() []kernel.Policy {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := make([]string, 0, len(k.policies))
	for key := range k.policies {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	out := make([]kernel.Policy, 0, len(keys))
	for _, key := range keys {
		stack := k.policies[key]
		out = append(out, *stack[len(stack)-1])
	}
	return out
}

// SetUsage sets the counters QuerySA reports for an SA.
func (k *Kernel) SetUsage(id kernel.SAID, u kernel.Usage) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.usage[id] = u
}

// Inject delivers an IPsec event (acquire, expire, mapping).
func (k *Kernel) Inject(e kernel.Event) { k.events <- e }

// InjectNet delivers a network event.
func (k *Kernel) InjectNet(e kernel.Event) { k.netEvents <- e }

func (k *Kernel) GetSPI(_ context.Context, src, dst netip.Addr, proto uint8, reqID uint32) (uint32, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	spi := k.nextSPI
	k.nextSPI++
	if k.randomSPIs {
		for {
			var b [4]byte
			rand.Read(b[:])
			spi = 0xc0000000 | binary.BigEndian.Uint32(b[:])&0x0fffffff
			if !k.spiInUse(spi) {
				break
			}
		}
	}
	return spi, k.record("GetSPI", "%v->%v proto %d reqid %d = %08x", src, dst, proto, reqID, spi)
}

// spiInUse reports whether an installed SA has this SPI; k.mu held.
func (k *Kernel) spiInUse(spi uint32) bool {
	for id := range k.sas {
		if id.SPI == spi {
			return true
		}
	}
	return false
}

func (k *Kernel) AddSA(_ context.Context, sa *kernel.SA) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("AddSA", "%s", describeSA(sa)); err != nil {
		return err
	}
	if _, dup := k.sas[sa.SAID]; dup {
		return fmt.Errorf("SA %08x exists", sa.SPI)
	}
	c := *sa
	k.sas[sa.SAID] = &c
	return nil
}

func describeSA(sa *kernel.SA) string {
	dir := "out"
	if sa.Inbound {
		dir = "in"
	}
	s := fmt.Sprintf("%s %v->%v spi %08x reqid %d %v encr %d/%d integ %d", dir, sa.Src, sa.Dst, sa.SPI,
		sa.ReqID, sa.Mode, sa.Encr.ID, sa.Encr.KeyLen, sa.Integ.ID)
	if sa.Encap {
		s += fmt.Sprintf(" encap %d->%d", sa.SrcPort, sa.DstPort)
	}
	return s
}

func (k *Kernel) UpdateSA(_ context.Context, id kernel.SAID, src, dst netip.AddrPort, encap bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("UpdateSA", "spi %08x -> %v %v encap %v", id.SPI, src, dst, encap); err != nil {
		return err
	}
	sa, ok := k.sas[id]
	if !ok {
		return kernel.ErrNotFound
	}
	delete(k.sas, id)
	sa.Src, sa.Dst, sa.Encap = src.Addr(), dst.Addr(), encap
	sa.SrcPort, sa.DstPort = src.Port(), dst.Port()
	k.sas[sa.SAID] = sa
	return nil
}

func (k *Kernel) QuerySA(_ context.Context, id kernel.SAID) (kernel.Usage, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.sas[id]; !ok {
		return kernel.Usage{}, kernel.ErrNotFound
	}
	return k.usage[id], nil
}

func (k *Kernel) DelSA(_ context.Context, id kernel.SAID) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("DelSA", "%v->%v spi %08x", id.Src, id.Dst, id.SPI); err != nil {
		return err
	}
	if _, ok := k.sas[id]; !ok {
		return kernel.ErrNotFound
	}
	delete(k.sas, id)
	delete(k.usage, id)
	return nil
}

func policyKey(p *kernel.Policy) string {
	return fmt.Sprintf("%v %s === %s mark %x/%x", p.Dir, tsString(p.Src), tsString(p.Dst), p.Mark.Value, p.Mark.Mask)
}

func tsString(t kernel.TS) string {
	r := t.Start.String()
	if pfx, ok := t.Prefix(); ok {
		r = pfx.String()
	} else if t.End != t.Start {
		r += "-" + t.End.String()
	}
	if t.Proto != 0 || t.FromPort != 0 || t.ToPort != 0xffff {
		r += fmt.Sprintf("[%d/%d-%d]", t.Proto, t.FromPort, t.ToPort)
	}
	return r
}

func (k *Kernel) AddPolicy(_ context.Context, p *kernel.Policy) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := policyKey(p)
	if err := k.record("AddPolicy", "%s prio %d type %d reqid %d", key, p.Priority, p.Type, p.ReqID); err != nil {
		return err
	}
	c := *p
	k.policies[key] = append(k.policies[key], &c)
	return nil
}

func (k *Kernel) QueryPolicy(_ context.Context, p *kernel.Policy) (time.Time, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.policies[policyKey(p)]; !ok {
		return time.Time{}, kernel.ErrNotFound
	}
	return time.Time{}, nil
}

func (k *Kernel) DelPolicy(_ context.Context, p *kernel.Policy) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	key := policyKey(p)
	if err := k.record("DelPolicy", "%s", key); err != nil {
		return err
	}
	stack := k.policies[key]
	if len(stack) == 0 {
		return kernel.ErrNotFound
	}
	// remove the entry of this SA (by SPI and reqid), else the oldest
	idx := 0
	for i, q := range stack {
		if q.SPI == p.SPI && q.ReqID == p.ReqID && q.Trap == p.Trap {
			idx = i
			break
		}
	}
	stack = append(stack[:idx], stack[idx+1:]...)
	if len(stack) == 0 {
		delete(k.policies, key)
	} else {
		k.policies[key] = stack
	}
	return nil
}

// Events of the IPsec side.
func (k *Kernel) Events() <-chan kernel.Event { return k.events }

// NetEvents of the network side (kernel.Net's Events).
func (k *Kernel) NetEvents() <-chan kernel.Event { return k.netEvents }

// Net returns a view of k whose Events are the network events.
func (k *Kernel) Net() kernel.Net { return netView{k} }

type netView struct{ *Kernel }

func (n netView) Events() <-chan kernel.Event { return n.netEvents }

func (k *Kernel) Close() error { return nil }

func (k *Kernel) SourceAddr(_ context.Context, dst netip.Addr) (netip.Addr, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range k.addrs {
		if a.Is4() == dst.Is4() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no route to %v", dst)
}

func (k *Kernel) Addresses(context.Context) ([]netip.Addr, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]netip.Addr(nil), k.addrs...), nil
}

// SetAddresses replaces the host's addresses (raise an AddressChange with
// InjectNet to tell the daemon).
func (k *Kernel) SetAddresses(addrs ...netip.Addr) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.addrs = addrs
}

func (k *Kernel) AddVirtualIP(_ context.Context, ip netip.Prefix, iface string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("AddVirtualIP", "%v on %q", ip, iface); err != nil {
		return err
	}
	if v := k.vips[ip]; v != nil {
		// as the real backends: a virtual IP installed twice (a
		// reauthentication) is counted, not added again
		v.refs++
		return nil
	}
	k.vips[ip] = &fakeVIP{iface: iface, refs: 1}
	return nil
}

// fakeVIP is an installed virtual IP and its reference count.
type fakeVIP struct {
	iface string
	refs  int
}

// VirtualIPs returns the installed virtual IPs, sorted.
func (k *Kernel) VirtualIPs() []netip.Prefix {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]netip.Prefix, 0, len(k.vips))
	for p := range k.vips {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	return out
}

func (k *Kernel) DelVirtualIP(_ context.Context, ip netip.Prefix) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("DelVirtualIP", "%v", ip); err != nil {
		return err
	}
	if v := k.vips[ip]; v != nil {
		if v.refs--; v.refs > 0 {
			return nil
		}
	}
	delete(k.vips, ip)
	return nil
}

func (k *Kernel) AddRoute(_ context.Context, r kernel.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("AddRoute", "%s", describeRoute(r)); err != nil {
		return err
	}
	k.routes[r] = true
	return nil
}

func (k *Kernel) DelRoute(_ context.Context, r kernel.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.record("DelRoute", "%s", describeRoute(r)); err != nil {
		return err
	}
	delete(k.routes, r)
	return nil
}

func describeRoute(r kernel.Route) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", r.Dst)
	if r.Gateway.IsValid() {
		fmt.Fprintf(&b, " via %v", r.Gateway)
	}
	if r.Src.IsValid() {
		fmt.Fprintf(&b, " src %v", r.Src)
	}
	if r.Iface != "" {
		fmt.Fprintf(&b, " dev %s", r.Iface)
	}
	fmt.Fprintf(&b, " table %d", r.Table)
	return b.String()
}
