package sa

import "sync"

// Bus lets extensions (pools, updown, HA, TNC, ...) observe and influence
// IKE_SAs without the core knowing them. A listener implements any of the
// hook interfaces below; hooks run on the IKE_SA's goroutine and must not
// block for long.
type Bus struct {
	mu        sync.RWMutex // guards listeners
	listeners []any
}

// IKEUpDownListener hears when an IKE_SA is established (up) or goes away.
type IKEUpDownListener interface {
	IKEUpDown(ike *IKESA, up bool)
}

// ChildUpDownListener hears when a CHILD_SA is installed or removed.
type ChildUpDownListener interface {
	ChildUpDown(ike *IKESA, child *ChildSA, up bool)
}

// IKEKeysListener gets the keys of a new IKE_SA (HA sync).
type IKEKeysListener interface {
	IKEKeys(ike *IKESA)
}

// ChildKeysListener gets the keys of a new CHILD_SA (HA sync).
type ChildKeysListener interface {
	ChildKeys(ike *IKESA, child *ChildSA)
}

// IKERekeyListener hears when an IKE_SA was rekeyed: new replaces old
// and took over its CHILD_SAs (it runs on old's goroutine, before new
// runs).
type IKERekeyListener interface {
	IKERekey(old, new *IKESA)
}

// ChildRekeyListener hears when a CHILD_SA was rekeyed: new replaces old
// (old is deleted shortly after).
type ChildRekeyListener interface {
	ChildRekey(ike *IKESA, old, new *ChildSA)
}

// AuthorizeListener may veto an IKE_SA after authentication (final=true
// after the last round); returning false fails the authentication.
type AuthorizeListener interface {
	Authorize(ike *IKESA, final bool) bool
}

// Subscribe adds a listener.
func (b *Bus) Subscribe(l any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listeners = append(b.listeners, l)
}

// Unsubscribe removes a listener.
func (b *Bus) Unsubscribe(l any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, o := range b.listeners {
		if o == l {
			b.listeners = append(b.listeners[:i], b.listeners[i+1:]...)
			return
		}
	}
}

func (b *Bus) each(f func(any)) {
	if b == nil {
		return
	}
	b.mu.RLock()
	ls := b.listeners
	b.mu.RUnlock()
	for _, l := range ls {
		f(l)
	}
}

func (b *Bus) ikeUpDown(ike *IKESA, up bool) {
	b.each(func(l any) {
		if h, ok := l.(IKEUpDownListener); ok {
			h.IKEUpDown(ike, up)
		}
	})
}

func (b *Bus) childUpDown(ike *IKESA, c *ChildSA, up bool) {
	b.each(func(l any) {
		if h, ok := l.(ChildUpDownListener); ok {
			h.ChildUpDown(ike, c, up)
		}
	})
}

func (b *Bus) ikeKeys(ike *IKESA) {
	b.each(func(l any) {
		if h, ok := l.(IKEKeysListener); ok {
			h.IKEKeys(ike)
		}
	})
}

func (b *Bus) childKeys(ike *IKESA, c *ChildSA) {
	b.each(func(l any) {
		if h, ok := l.(ChildKeysListener); ok {
			h.ChildKeys(ike, c)
		}
	})
}

func (b *Bus) ikeRekey(old, n *IKESA) {
	b.each(func(l any) {
		if h, ok := l.(IKERekeyListener); ok {
			h.IKERekey(old, n)
		}
	})
}

func (b *Bus) childRekey(ike *IKESA, old, n *ChildSA) {
	b.each(func(l any) {
		if h, ok := l.(ChildRekeyListener); ok {
			h.ChildRekey(ike, old, n)
		}
	})
}

func (b *Bus) authorize(ike *IKESA, final bool) bool {
	ok := true
	b.each(func(l any) {
		if h, isA := l.(AuthorizeListener); isA && ok {
			ok = h.Authorize(ike, final)
		}
	})
	return ok
}
