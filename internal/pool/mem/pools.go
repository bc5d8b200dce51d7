package mem

import (
	"net/netip"
	"strings"
	"sync"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// cfgCtx is the context of configuration messages (charon logs them from
// the stroke worker that loads the connection).
var cfgCtx = log.Context{Thread: 1}

// connDNS are the DNS servers of a connection's rightdns=.
type connDNS struct {
	conn    string
	servers []netip.Addr
}

// Pools is the set of in-memory pools and per-connection DNS servers
// (charon's stroke_attribute). It is an attr.Provider; its methods are
// safe for concurrent use.
type Pools struct {
	log *log.Logger

	// mu guards pools and dns (the lists, not the pools' leases).
	mu    sync.RWMutex
	pools []*Pool
	dns   []connDNS
}

var _ attr.Provider = (*Pools)(nil)

// NewPools returns an empty set; l may be nil.
func NewPools(l *log.Logger) *Pools { return &Pools{log: l} }

// find returns the first pool named name; mu must be held.
func (ps *Pools) find(name string) *Pool {
	for _, p := range ps.pools {
		if p.name == name {
			return p
		}
	}
	return nil
}

// Get returns the pool named name, or nil.
func (ps *Pools) Get(name string) *Pool {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.find(name)
}

// Add installs p and returns the pool now in use. As in charon, a pool
// with the same first address and size as one already installed is not
// added: the existing one (and its leases) is kept and "reusing virtual IP
// address pool NAME" logged. A pool whose name is taken is not added
// either (charon would add a second one that is never found). Pools
// without addresses (%config) are added silently.
func (ps *Pools) Add(p *Pool) *Pool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p.base.IsValid() {
		for _, q := range ps.pools {
			if q.base.IsValid() && q.base == p.base && q.size == p.size {
				ps.log.Log(log.CFG, log.Ctrl, cfgCtx, "reusing virtual IP address pool %s", q.name)
				return q
			}
		}
	}
	if q := ps.find(p.name); q != nil {
		return q
	}
	if p.base.IsValid() {
		ps.log.Log(log.CFG, log.Ctrl, cfgCtx, "adding virtual IP address pool %s", p.name)
	}
	ps.pools = append(ps.pools, p)
	return p
}

// Parse builds the pool of one rightsourceip= entry that is an address
// range ("10.3.0.1-10.3.0.20"), a subnet ("10.3.0.0/28") or an address
// (a pool of one), named after the entry as stroke names it.
func Parse(spec string, l *log.Logger) (*Pool, bool) {
	if from, to, ok := strings.Cut(spec, "-"); ok {
		f, ok1 := config.ParseHost(strings.TrimRight(from, " "))
		t, ok2 := config.ParseHost(strings.TrimLeft(to, " "))
		if ok1 && ok2 && f.Is4() == t.Is4() {
			p, err := NewRange(spec, f, t, l)
			if err != nil {
				l.Log(log.CFG, log.Ctrl, cfgCtx, "%s", err.Error())
				return nil, false
			}
			return p, true
		}
	}
	addr, bits, ok := strings.Cut(spec, "/")
	a, valid := config.ParseHost(addr)
	if !valid {
		return nil, false
	}
	n := a.BitLen()
	if ok {
		n = config.Atoi(bits)
	}
	return New(spec, a, n, l), true
}

// AddConn installs what a connection's remote end asks for, as stroke
// does when it loads the connection: a pool for each rightsourceip= range,
// subnet or address (named after the entry), an empty pool named after
// the connection for %config, %config4 and %config6; %NAME entries name
// external pools (SQL, DHCP, RADIUS, ...). It returns the pool names the
// connection's peer config lists, in order.
//
// dns are the rightdns= servers, served to the connection's IKE_SAs; they
// replace the ones it had (a %config entry is no address and is skipped
// as charon does).
func (ps *Pools) AddConn(conn string, sips []config.SourceIP, dns []config.DNSServer) []string {
	var names []string
	for _, sip := range sips {
		switch {
		case sip.Kind == config.SourceIPConfig || sip.Kind == config.SourceIPConfig4 || sip.Kind == config.SourceIPConfig6:
			ps.Add(NewEmpty(conn, ps.log))
			names = append(names, conn)
		case sip.Kind == config.SourceIPPool:
			names = append(names, sip.Pool)
		case strings.HasPrefix(sip.Raw, "%"):
			// %any and friends: external pools of that name to stroke
			names = append(names, sip.Raw[1:])
		default:
			p, ok := Parse(sip.Raw, ps.log)
			if !ok {
				ps.log.Log(log.CFG, log.Ctrl, cfgCtx, "IP pool %s invalid, ignored", sip.Raw)
				continue
			}
			ps.Add(p)
			names = append(names, sip.Raw)
		}
	}
	var servers []netip.Addr
	for _, d := range dns {
		if d.Request || !d.Addr.IsValid() {
			ps.log.Log(log.CFG, log.Ctrl, cfgCtx, "ignoring invalid DNS address '%s'", d.String())
			continue
		}
		servers = append(servers, d.Addr)
	}
	ps.SetDNS(conn, servers)
	return names
}

// SetDNS sets the DNS servers served to IKE_SAs of connection conn
// (rightdns=); none removes them.
func (ps *Pools) SetDNS(conn string, servers []netip.Addr) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for i := range ps.dns {
		if ps.dns[i].conn == conn {
			ps.dns = append(ps.dns[:i:i], ps.dns[i+1:]...)
			break
		}
	}
	if len(servers) > 0 {
		ps.dns = append(ps.dns, connDNS{conn, append([]netip.Addr(nil), servers...)})
	}
}

// DelConn forgets the DNS servers of a deleted connection (its pools stay,
// as in charon: IKE_SAs may still hold leases).
func (ps *Pools) DelConn(conn string) { ps.SetDNS(conn, nil) }

// Retain drops, after a reload, the pools that no connection names any
// more (keep lists the names in use) and that have no online lease; a pool
// still serving an IKE_SA stays until a later Retain finds it idle. Pools
// that remain keep their leases.
func (ps *Pools) Retain(keep []string) {
	in := make(map[string]bool, len(keep))
	for _, n := range keep {
		in[n] = true
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := ps.pools[:0]
	for _, p := range ps.pools {
		if in[p.name] {
			out = append(out, p)
			continue
		}
		if on, _ := p.Counts(); on > 0 {
			out = append(out, p)
		}
	}
	clear(ps.pools[len(out):])
	ps.pools = out
}

// AcquireAddress implements attr.Provider as charon's stroke provider:
// first an existing lease of the peer's identity in any of the pools, then
// a new address, then an offline lease of another identity.
func (ps *Pools) AcquireAddress(pools []string, sa attr.SA, requested netip.Addr) (netip.Addr, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	for _, o := range [...]op{opExisting, opNew, opReassign} {
		for _, name := range pools {
			if p := ps.find(name); p != nil {
				if a, ok := p.acquire(sa, requested, o); ok {
					return a, true
				}
			}
		}
	}
	return netip.Addr{}, false
}

// ReleaseAddress implements attr.Provider.
func (ps *Pools) ReleaseAddress(pools []string, addr netip.Addr, sa attr.SA) bool {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	for _, name := range pools {
		if p := ps.find(name); p != nil && p.release(sa, addr) {
			return true
		}
	}
	return false
}

// Attributes implements attr.Provider: the rightdns= servers of the
// IKE_SA's connection, as INTERNAL_IP4_DNS or INTERNAL_IP6_DNS.
func (ps *Pools) Attributes(_ []string, sa attr.SA, _ []netip.Addr) []attr.Attribute {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	for _, d := range ps.dns {
		if d.conn != sa.Name {
			continue
		}
		out := make([]attr.Attribute, 0, len(d.servers))
		for _, a := range d.servers {
			if a.Is4() {
				out = append(out, message.IP4Attr(message.CPInternalIP4DNS, a))
			} else {
				out = append(out, message.IP6Attr(message.CPInternalIP6DNS, a, -1))
			}
		}
		return out
	}
	return nil
}

// Status returns the "Virtual IP pools (size/online/offline)" lines of
// `ipsec statusall`: the pools with addresses, in the order they were
// added.
func (ps *Pools) Status() []control.Pool {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	var out []control.Pool
	for _, p := range ps.pools {
		if p.size == 0 {
			continue
		}
		on, off := p.Counts()
		out = append(out, control.Pool{Name: p.name, Size: p.size, Online: on, Offline: off})
	}
	return out
}

// Leases returns what `ipsec leases [POOL [ADDRESS|ID]]` shows: the pools
// with addresses (only the one named pool, if pool is not empty) with
// their leases. filter, if not empty, keeps the leases of that address
// (when it parses as one) or else of that identity (compared as the
// identity's text, or as identities). control.WriteLeases renders the
// result as charon does.
func (ps *Pools) Leases(pool, filter string) []control.PoolLeases {
	var addr netip.Addr
	var id identity.ID
	if filter != "" {
		if a, ok := config.ParseHost(filter); ok {
			addr = a
		} else {
			id, _ = identity.Parse(filter)
		}
	}
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	var out []control.PoolLeases
	for _, p := range ps.pools {
		if p.size == 0 || (pool != "" && p.name != pool) {
			continue
		}
		on, off := p.Counts()
		pl := control.PoolLeases{Pool: control.Pool{Name: p.name, Size: p.size, Online: on, Offline: off}}
		for _, l := range p.Leases() {
			switch {
			case addr.IsValid() && l.Addr != addr:
				continue
			case !id.IsZero() && !l.Identity.Equal(id) && l.Identity.String() != filter:
				continue
			}
			pl.Leases = append(pl.Leases, control.Lease{Address: l.Addr, Online: l.Online, Identity: l.Identity.String()})
		}
		out = append(out, pl)
	}
	return out
}
