// Package farp answers ARP requests on the gateway's LAN interfaces for the
// addresses behind its CHILD_SAs, as strongSwan's farp plugin does, so LAN
// hosts reach roadwarriors whose virtual IPs come from the LAN's own subnet
// (a DHCP or memory pool carved from it) without routes: a request from an
// address inside a CHILD_SA's local traffic selectors for an address inside
// its remote ones is answered with the MAC of the interface it arrived on,
// while the CHILD_SA is up.
//
// Proxy listens to the IKE core's bus (ChildUpDown, ChildRekey); it must
// not be imported by the core.
package farp

import (
	"net/netip"
	"sync"

	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Proxy is the ARP proxy: a bus listener that tracks the tunnels and a
// packet socket that answers for them.
type Proxy struct {
	log *log.Logger

	mu      sync.RWMutex // guards entries
	entries []*entry

	sock *arpSocket // nil in tests of the bookkeeping
	wg   sync.WaitGroup
}

var (
	_ sa.ChildUpDownListener = (*Proxy)(nil)
	_ sa.ChildRekeyListener  = (*Proxy)(nil)
)

// entry is an installed CHILD_SA with IPv4 selectors to answer for.
type entry struct {
	child  *sa.ChildSA
	local  []kernel.TS
	remote []kernel.TS
}

// New opens the ARP socket (on every interface of the calling thread's
// network namespace; it needs CAP_NET_RAW) and starts answering. The
// daemon subscribes the Proxy to the bus and closes it at shutdown.
func New(l *log.Logger) (*Proxy, error) {
	s, err := openARPSocket(l)
	if err != nil {
		return nil, err
	}
	p := &Proxy{log: l, sock: s}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.serve()
	}()
	return p, nil
}

// Close stops answering.
func (p *Proxy) Close() error {
	if p.sock == nil {
		return nil
	}
	err := p.sock.close()
	p.wg.Wait()
	return err
}

// newEntry takes the selectors of c that farp answers for: IPv4 ones, and
// of the remote ones not 0.0.0.0/0, which would answer for the whole LAN.
// It returns nil if either side has none.
func newEntry(c *sa.ChildSA) *entry {
	e := &entry{child: c}
	for _, ts := range c.Remote {
		if !ts.Start.Is4() || !ts.End.Is4() {
			continue
		}
		if ts.Start == netip.IPv4Unspecified() && ts.End == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			continue
		}
		e.remote = append(e.remote, ts)
	}
	for _, ts := range c.Local {
		if ts.Start.Is4() && ts.End.Is4() {
			e.local = append(e.local, ts)
		}
	}
	if len(e.local) == 0 || len(e.remote) == 0 {
		return nil
	}
	return e
}

// ChildUpDown starts or stops answering for a CHILD_SA's selectors.
func (p *Proxy) ChildUpDown(_ *sa.IKESA, c *sa.ChildSA, up bool) {
	if c == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(c)
	if up {
		if e := newEntry(c); e != nil {
			p.entries = append(p.entries, e)
		}
	}
}

// ChildRekey moves the entry of a rekeyed CHILD_SA to its replacement
// (charon signals no up/down for rekeyings; strongSwan's farp gets by
// because it keys its entries by reqid, we follow the objects).
func (p *Proxy) ChildRekey(_ *sa.IKESA, old, n *sa.ChildSA) {
	if old == nil || n == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.remove(old) {
		return // nothing to answer for before, nor after
	}
	if e := newEntry(n); e != nil {
		p.entries = append(p.entries, e)
	}
}

// remove drops c's entry and reports whether it had one. Must hold p.mu.
func (p *Proxy) remove(c *sa.ChildSA) bool {
	for i, e := range p.entries {
		if e.child == c {
			p.entries = append(p.entries[:i:i], p.entries[i+1:]...)
			return true
		}
	}
	return false
}

// HasTunnel reports whether an ARP request from local for remote is to be
// answered: some CHILD_SA covers remote on its remote side and local on
// its local side (strongSwan's farp_listener has_tunnel).
func (p *Proxy) HasTunnel(local, remote netip.Addr) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, e := range p.entries {
		if includes(e.remote, remote) && includes(e.local, local) {
			return true
		}
	}
	return false
}

func includes(list []kernel.TS, a netip.Addr) bool {
	for _, ts := range list {
		if ts.Start.Compare(a) <= 0 && a.Compare(ts.End) <= 0 {
			return true
		}
	}
	return false
}
