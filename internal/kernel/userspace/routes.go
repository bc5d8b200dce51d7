package userspace

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Routes, as kernel-libipsec installs them: every outbound IPsec policy
// (trap policies included, their traffic must reach the TUN device to
// raise an acquire) gets a route for its remote selector through the TUN
// device, with a local address inside its local selector as source
// (virtual IPs included), in the routing table. Outbound pass policies get
// a throw route there (if the Router can install them), so their traffic
// never enters the TUN device. Routes are counted per selector pair; the
// last reference removes the route.

type routeKey struct {
	src, dst kernel.TS
	pass     bool
}

type routeEntry struct {
	refs  int
	route *kernel.Route // installed, nil if none
	throw bool          // route is a throw route (pass policy)
}

// coveringPrefix is the smallest prefix containing a selector's range.
func coveringPrefix(t kernel.TS) netip.Prefix {
	p, err := t.Start.Prefix(int(prefixBits(t)))
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

func (e *Engine) localAddr(ctx context.Context, ts kernel.TS) (netip.Addr, bool) {
	if e.cfg.LocalAddr != nil {
		return e.cfg.LocalAddr(ts)
	}
	if f, ok := e.cfg.Router.(AddressFinder); ok {
		a, _, err := f.AddressInTS(ctx, ts)
		return a, err == nil && a.IsValid()
	}
	if e.host == nil {
		return netip.Addr{}, false
	}
	return e.host.addrByTS(ts)
}

func (e *Engine) router() Router {
	if e.cfg.Router != nil {
		return e.cfg.Router
	}
	if e.host == nil {
		return nil
	}
	return e.host
}

func tsContains(t kernel.TS, a netip.Addr) bool {
	m := newTSMatcher(t)
	return a.IsValid() && m.matchAddr(u128Of(a), a.Is6())
}

// isMulticastOrBroadcast: selectors for which no route is needed.
func isMulticastOrBroadcast(t kernel.TS) bool {
	if t.Start.Is4() {
		mc := netip.MustParsePrefix("224.0.0.0/4")
		bc := netip.AddrFrom4([4]byte{255, 255, 255, 255})
		return mc.Contains(t.Start) && mc.Contains(t.End) || t.Start == bc && t.End == bc
	}
	mc := netip.MustParsePrefix("ff00::/8")
	return mc.Contains(t.Start) && mc.Contains(t.End)
}

// throwRouter returns the router if it can install throw routes.
func (e *Engine) throwRouter() ThrowRouter {
	if e.cfg.Router != nil {
		t, _ := e.cfg.Router.(ThrowRouter)
		return t
	}
	if e.host == nil {
		return nil
	}
	return e.host
}

// routed reports whether a policy gets a route: outbound IPsec policies a
// route into the TUN device, outbound pass policies a throw route.
func (e *Engine) routed(p *kernel.Policy) bool {
	return !e.cfg.NoRoutes && p.Dir == kernel.DirOut &&
		(p.Type == kernel.PolicyIPsec || p.Type == kernel.PolicyPass && e.throwRouter() != nil)
}

func (e *Engine) routeAdd(ctx context.Context, p *kernel.Policy) error {
	if !e.routed(p) {
		return nil
	}
	if p.Type == kernel.PolicyPass {
		return e.throwAdd(ctx, p)
	}
	r := e.router()
	key := routeKey{p.Src, p.Dst, false}
	e.routeMu.Lock()
	defer e.routeMu.Unlock()
	ent := e.routes[key]
	if ent == nil {
		ent = &routeEntry{}
		e.routes[key] = ent
	}
	ent.refs++
	undo := func(err error) error {
		if ent.refs--; ent.refs == 0 && ent.route == nil {
			delete(e.routes, key)
		}
		return err
	}
	src, ok := e.localAddr(ctx, p.Src)
	if !ok {
		if isMulticastOrBroadcast(p.Src) {
			return nil
		}
		return undo(fmt.Errorf("error installing route with policy %v === %v %v: no local address in %v", p.Src, p.Dst, p.Dir, p.Src))
	}
	if e.cfg.FwMark == 0 && tsContains(p.Dst, p.DstAddr) {
		// without a mark our own ESP would be routed into the tunnel
		return undo(fmt.Errorf("can't install route for %v === %v %v, conflicts with IKE traffic", p.Src, p.Dst, p.Dir))
	}
	want := kernel.Route{Dst: coveringPrefix(p.Dst), Src: src, Iface: e.name, Table: e.table}
	if src.IsUnspecified() {
		want.Src = netip.Addr{} // the selector includes the loopback address
	}
	if ent.route != nil && *ent.route == want {
		return nil
	}
	if r == nil {
		return undo(fmt.Errorf("no router to install route %v", want.Dst))
	}
	if ent.route != nil {
		if err := r.DelRoute(ctx, *ent.route); err != nil {
			e.klogf(log.Ctrl, "error uninstalling route installed with policy %v === %v %v", p.Src, p.Dst, p.Dir)
		}
		ent.route = nil
	}
	e.klogf(log.Diag, "installing route: %v src %v dev %s", want.Dst, src, e.name)
	if err := r.AddRoute(ctx, want); err != nil {
		return undo(fmt.Errorf("installing route failed: %v src %v dev %s: %w", want.Dst, src, e.name, err))
	}
	ent.route = &want
	return nil
}

// throwAdd installs the throw route of a pass policy; e.routeMu not held.
func (e *Engine) throwAdd(ctx context.Context, p *kernel.Policy) error {
	key := routeKey{p.Src, p.Dst, true}
	e.routeMu.Lock()
	defer e.routeMu.Unlock()
	ent := e.routes[key]
	if ent == nil {
		ent = &routeEntry{throw: true}
		e.routes[key] = ent
	}
	if ent.refs++; ent.route != nil {
		return nil
	}
	want := kernel.Route{Dst: coveringPrefix(p.Dst), Table: e.table}
	e.klogf(log.Diag, "installing route: %v (throw)", want.Dst)
	if err := e.throwRouter().AddThrowRoute(ctx, want.Dst); err != nil {
		// the bypass socket still forwards what reaches the TUN device
		e.klogf(log.Ctrl, "installing throw route for %v failed: %v", want.Dst, err)
		return nil
	}
	ent.route = &want
	return nil
}

func (e *Engine) delRouteOf(ctx context.Context, ent *routeEntry) error {
	if ent.throw {
		return e.throwRouter().DelThrowRoute(ctx, ent.route.Dst)
	}
	return e.router().DelRoute(ctx, *ent.route)
}

func (e *Engine) routeDel(ctx context.Context, p *kernel.Policy) {
	if !e.routed(p) {
		return
	}
	key := routeKey{p.Src, p.Dst, p.Type == kernel.PolicyPass}
	e.routeMu.Lock()
	defer e.routeMu.Unlock()
	ent := e.routes[key]
	if ent == nil {
		return
	}
	if ent.refs--; ent.refs > 0 {
		return
	}
	delete(e.routes, key)
	if ent.route != nil {
		if err := e.delRouteOf(ctx, ent); err != nil {
			e.klogf(log.Ctrl, "error uninstalling route installed with policy %v === %v %v: %v", p.Src, p.Dst, p.Dir, err)
		}
	}
}

// removeRoutes removes every route (Close).
func (e *Engine) removeRoutes() {
	e.routeMu.Lock()
	defer e.routeMu.Unlock()
	for key, ent := range e.routes {
		if ent.route != nil {
			e.delRouteOf(context.Background(), ent)
		}
		delete(e.routes, key)
	}
}
