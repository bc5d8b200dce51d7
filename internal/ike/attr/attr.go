// Package attr is the meeting point of configuration payloads (RFC 7296
// section 2.19) and the extensions that serve them: providers hand out
// virtual IPs and attributes to peers (memory pools, SQL pools, DHCP,
// RADIUS), handlers take the attributes a server sent us (DNS servers into
// resolv.conf, ...). The IKE core asks the Manager; extensions register with
// it. It plays the part of charon's attribute manager.
package attr

import (
	"net/netip"
	"sync"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// SA is what providers and handlers learn of the IKE_SA they serve.
type SA struct {
	Name     string      // the peer config (conn) name
	UniqueID uint32      // the IKE_SA's unique ID
	LocalID  identity.ID // our identity
	// PeerID is the peer's identity, its EAP identity when it
	// authenticated with EAP (charon's "remote EAP identity or IDi").
	PeerID    identity.ID
	LocalAddr netip.AddrPort
	PeerAddr  netip.AddrPort
	// Groups are the groups the peer was authorized for (RADIUS
	// Filter-Id/Class, ...).
	Groups []string
}

// LogContext is the log context of the IKE_SA, for providers and
// handlers to log as part of its exchange (and `ipsec up` to show).
func (s SA) LogContext() log.Context { return LogContext(s.UniqueID, s.Name) }

// LogContext is the log context of the IKE_SA with that unique ID and
// name: charon's thread number is simulated from the ID.
func LogContext(uniqueID uint32, name string) log.Context {
	return log.Context{Thread: int(uniqueID%15) + 1, Name: name, UniqueID: uniqueID}
}

// Attribute is one configuration attribute.
type Attribute = message.CPAttribute

// Provider hands out virtual IPs and attributes to peers. Its methods are
// called from the IKE_SAs' goroutines concurrently.
type Provider interface {
	// AcquireAddress returns an address of one of the named pools for the
	// peer, preferring requested (an unspecified address of the wanted
	// family when the peer asked for any). ok is false if the provider
	// serves none of the pools or has no address left.
	AcquireAddress(pools []string, sa SA, requested netip.Addr) (addr netip.Addr, ok bool)
	// ReleaseAddress gives back an address acquired earlier; it reports
	// whether this provider owned it.
	ReleaseAddress(pools []string, addr netip.Addr, sa SA) bool
	// Attributes returns the attributes to send to the peer along with
	// the virtual IPs assigned to it.
	Attributes(pools []string, sa SA, vips []netip.Addr) []Attribute
}

// Handler takes attributes a server assigned to us.
type Handler interface {
	// Handle applies an attribute and reports whether it did.
	Handle(sa SA, a Attribute) bool
	// Release undoes what Handle did, when the IKE_SA goes.
	Release(sa SA, a Attribute)
	// Requests returns attributes to ask the server for (empty values).
	Requests(sa SA, vips []netip.Addr) []Attribute
}

// Manager keeps the registered providers and handlers. The zero value is
// ready to use; a nil *Manager serves nothing.
type Manager struct {
	mu        sync.RWMutex
	providers []Provider
	handlers  []Handler
}

// AddProvider registers a provider; earlier ones are asked first.
func (m *Manager) AddProvider(p Provider) {
	m.mu.Lock()
	m.providers = append(m.providers, p)
	m.mu.Unlock()
}

// RemoveProvider unregisters a provider.
func (m *Manager) RemoveProvider(p Provider) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, q := range m.providers {
		if q == p {
			m.providers = append(m.providers[:i:i], m.providers[i+1:]...)
			return
		}
	}
}

// AddHandler registers a handler; earlier ones are asked first.
func (m *Manager) AddHandler(h Handler) {
	m.mu.Lock()
	m.handlers = append(m.handlers, h)
	m.mu.Unlock()
}

// RemoveHandler unregisters a handler.
func (m *Manager) RemoveHandler(h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, q := range m.handlers {
		if q == h {
			m.handlers = append(m.handlers[:i:i], m.handlers[i+1:]...)
			return
		}
	}
}

func (m *Manager) snapshot() ([]Provider, []Handler) {
	if m == nil {
		return nil, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.providers, m.handlers
}

// AcquireAddress asks the providers in turn for an address of the pools.
func (m *Manager) AcquireAddress(pools []string, sa SA, requested netip.Addr) (netip.Addr, bool) {
	ps, _ := m.snapshot()
	for _, p := range ps {
		if a, ok := p.AcquireAddress(pools, sa, requested); ok {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// ReleaseAddress gives an address back to the provider that owns it.
func (m *Manager) ReleaseAddress(pools []string, addr netip.Addr, sa SA) bool {
	ps, _ := m.snapshot()
	for _, p := range ps {
		if p.ReleaseAddress(pools, addr, sa) {
			return true
		}
	}
	return false
}

// Attributes collects the attributes of every provider for the peer.
func (m *Manager) Attributes(pools []string, sa SA, vips []netip.Addr) []Attribute {
	ps, _ := m.snapshot()
	var out []Attribute
	for _, p := range ps {
		out = append(out, p.Attributes(pools, sa, vips)...)
	}
	return out
}

// Handle passes a received attribute to the handlers until one takes it;
// it returns the handler (to release it later) or nil.
func (m *Manager) Handle(sa SA, a Attribute) Handler {
	_, hs := m.snapshot()
	for _, h := range hs {
		if h.Handle(sa, a) {
			return h
		}
	}
	return nil
}

// Requests collects the attributes the handlers want to ask for.
func (m *Manager) Requests(sa SA, vips []netip.Addr) []Attribute {
	_, hs := m.snapshot()
	var out []Attribute
	for _, h := range hs {
		out = append(out, h.Requests(sa, vips)...)
	}
	return out
}
