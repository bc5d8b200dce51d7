package linuxnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
)

// maxRouteRecursion limits lookups of the source address to reach a
// gateway (charon's MAX_ROUTE_RECURSION).
const maxRouteRecursion = 2

// routeEntry is a route installed through AddRoute or AddThrowRoute.
type routeEntry struct {
	route kernel.Route // Table resolved
	pass  bool         // a throw route for a bypass policy
	refs  int
	// installed: this entry is the one in the kernel for its destination
	// (others with the same destination wait, see AddRoute)
	installed bool
}

func (e *routeEntry) sameKey(r kernel.Route, pass bool) bool {
	return e.route == r && e.pass == pass
}

func (e *routeEntry) sameDst(o *routeEntry) bool {
	return e.route.Dst == o.route.Dst && e.route.Table == o.route.Table
}

// AddRoute installs a route in r.Table (Options.Table if 0) as charon's
// kernel-netlink installs the routes of IPsec policies:
// "10.1.0.0/16 via 192.168.0.254 dev eth0 proto static src 10.3.0.1".
// Routes are reference counted; of several routes to the same destination
// the one with a virtual IP as source stays in the kernel, the others are
// remembered and installed when it goes.
func (n *Net) AddRoute(ctx context.Context, r kernel.Route) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	return n.addRoute(r, false)
}

// DelRoute removes a route added with AddRoute (one reference of it).
func (n *Net) DelRoute(ctx context.Context, r kernel.Route) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	return n.delRoute(r, false)
}

// AddThrowRoute installs a "throw" route for dst in the policy routing
// table, so traffic of a bypass (pass) policy is routed by the main table
// even when a wider tunnel route covers it. Without a separate table
// (Options.Table 0) there is nothing to do.
func (n *Net) AddThrowRoute(ctx context.Context, dst netip.Prefix) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if n.opts.Table == 0 {
		return nil
	}
	return n.addRoute(kernel.Route{Dst: dst}, true)
}

// DelThrowRoute removes a route added with AddThrowRoute.
func (n *Net) DelThrowRoute(ctx context.Context, dst netip.Prefix) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if n.opts.Table == 0 {
		return nil
	}
	return n.delRoute(kernel.Route{Dst: dst}, true)
}

// expand resolves a route's table and, in the main table, splits a
// default route into 0.0.0.0/1 and 128.0.0.0/1 (the default route must
// not be replaced).
func (n *Net) expand(r kernel.Route) ([]kernel.Route, error) {
	if !r.Dst.IsValid() {
		return nil, errors.New("invalid route destination")
	}
	r.Dst = r.Dst.Masked()
	if r.Table == 0 {
		r.Table = n.opts.Table
	}
	if r.Table == 0 {
		r.Table = unix.RT_TABLE_MAIN
	}
	if r.Table != unix.RT_TABLE_MAIN || r.Dst.Bits() != 0 {
		return []kernel.Route{r}, nil
	}
	lo := r
	lo.Dst = netip.PrefixFrom(r.Dst.Addr(), 1)
	hiAddr := r.Dst.Addr().AsSlice()
	hiAddr[0] |= 0x80
	hi := r
	a, _ := netip.AddrFromSlice(hiAddr)
	hi.Dst = netip.PrefixFrom(a, 1)
	return []kernel.Route{lo, hi}, nil
}

func (n *Net) addRoute(r kernel.Route, pass bool) error {
	rs, err := n.expand(r)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("closed")
	}
	var errs []error
	for _, r := range rs {
		errs = append(errs, n.addRouteLocked(r, pass))
	}
	return errors.Join(errs...)
}

// addRouteLocked adds one route; n.mu held.
func (n *Net) addRouteLocked(r kernel.Route, pass bool) error {
	for _, e := range n.routes {
		if e.sameKey(r, pass) {
			e.refs++
			return nil
		}
	}
	e := &routeEntry{route: r, pass: pass, refs: 1}
	if !n.isVIP(r.Src) {
		// don't replace a route with a virtual IP as source
		for _, o := range n.routes {
			if o.installed && o.sameDst(e) && n.isVIP(o.route.Src) {
				n.routes = append(n.routes, e)
				return nil
			}
		}
	}
	if err := n.h.RouteReplace(n.nlRoute(r, pass)); err != nil {
		return fmt.Errorf("unable to install route %s: %w", describe(r, pass), err)
	}
	for _, o := range n.routes {
		if o.sameDst(e) {
			o.installed = false
		}
	}
	e.installed = true
	n.routes = append(n.routes, e)
	return nil
}

func (n *Net) delRoute(r kernel.Route, pass bool) error {
	rs, err := n.expand(r)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for _, r := range rs {
		errs = append(errs, n.delRouteLocked(r, pass))
	}
	return errors.Join(errs...)
}

// delRouteLocked removes one reference of a route; n.mu held.
func (n *Net) delRouteLocked(r kernel.Route, pass bool) error {
	i := slices.IndexFunc(n.routes, func(e *routeEntry) bool { return e.sameKey(r, pass) })
	if i < 0 {
		return fmt.Errorf("route %s: %w", describe(r, pass), kernel.ErrNotFound)
	}
	e := n.routes[i]
	if e.refs--; e.refs > 0 {
		return nil
	}
	n.routes = slices.Delete(n.routes, i, i+1)
	if !e.installed {
		return nil
	}
	// another route to the same destination takes its place, preferably
	// one with a virtual IP as source
	var next *routeEntry
	for _, o := range n.routes {
		if o.sameDst(e) && (next == nil || (!n.isVIP(next.route.Src) && n.isVIP(o.route.Src))) {
			next = o
		}
	}
	if next != nil {
		if err := n.h.RouteReplace(n.nlRoute(next.route, next.pass)); err != nil {
			return fmt.Errorf("unable to install route %s: %w", describe(next.route, next.pass), err)
		}
		next.installed = true
		return nil
	}
	if err := n.h.RouteDel(n.nlRoute(e.route, e.pass)); err != nil && !isNotFound(err) {
		return fmt.Errorf("unable to delete route %s: %w", describe(e.route, e.pass), err)
	}
	return nil
}

// nlRoute converts a route to the library's form: protocol static, scope
// universe, type unicast (throw for pass), with prefsrc, gateway (if of
// the source's family) and output interface.
func (n *Net) nlRoute(r kernel.Route, pass bool) *netlink.Route {
	nr := &netlink.Route{
		Dst:      ipNet(r.Dst),
		Table:    int(r.Table),
		Protocol: unix.RTPROT_STATIC,
		Scope:    netlink.SCOPE_UNIVERSE,
		Type:     unix.RTN_UNICAST,
		Family:   family(r.Dst.Addr()),
	}
	if pass {
		nr.Type = unix.RTN_THROW
		return nr
	}
	if r.Src.IsValid() && !r.Src.IsUnspecified() {
		nr.Src = ipOf(r.Src)
	}
	if r.Gateway.IsValid() && !r.Gateway.IsUnspecified() &&
		(!r.Src.IsValid() || r.Gateway.Unmap().Is4() == r.Src.Unmap().Is4()) {
		nr.Gw = ipOf(r.Gateway)
	}
	if r.Iface != "" {
		if l, err := n.h.LinkByName(r.Iface); err == nil {
			nr.LinkIndex = l.Attrs().Index
		}
	}
	nr.MTU, nr.AdvMSS = int(n.opts.MTU), int(n.opts.MSS)
	return nr
}

func describe(r kernel.Route, pass bool) string {
	if pass {
		return fmt.Sprintf("throw %v table %d", r.Dst, r.Table)
	}
	s := r.Dst.String()
	if r.Gateway.IsValid() {
		s += " via " + r.Gateway.String()
	}
	if r.Iface != "" {
		s += " dev " + r.Iface
	}
	if r.Src.IsValid() {
		s += " src " + r.Src.String()
	}
	return fmt.Sprintf("%s table %d", s, r.Table)
}

// reinstallRoutes adds the installed routes over the given interfaces
// again (they vanish when an interface goes down), as charon's
// reinstall_routes.
func (n *Net) reinstallRoutes(ifaces map[string]bool) {
	all, err := n.hostAddrs()
	if err != nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	for _, e := range n.routes {
		if !e.installed || e.pass || e.route.Iface == "" {
			continue
		}
		if !ifaces[e.route.Iface] && !srcOnIface(all, e.route.Src, ifaces) {
			continue
		}
		if err := n.h.RouteAdd(n.nlRoute(e.route, false)); err != nil && !errors.Is(err, unix.EEXIST) {
			n.logf(1, "unable to reinstall route %s: %v", describe(e.route, false), err)
		}
	}
}

// srcOnIface reports whether src is an address of one of the interfaces.
func srcOnIface(all []hostAddr, src netip.Addr, ifaces map[string]bool) bool {
	for _, a := range all {
		if a.ip == src && ifaces[a.iface] {
			return true
		}
	}
	return false
}

// SourceAddr returns the address the host uses to reach dst, as charon's
// get_source_addr: with an inverted fwmark it asks the kernel for the
// route of a packet carrying the mark (which bypasses the IPsec routing
// table); otherwise it looks through the routes of all tables (but the
// IPsec table and the ignored ones), most specific first, and takes the
// route's preferred source, an address of its interface, or the source
// used to reach its gateway. Routes with one of our virtual IPs as source
// are ignored.
func (n *Net) SourceAddr(ctx context.Context, dst netip.Addr) (netip.Addr, error) {
	if err := ctxErr(ctx); err != nil {
		return netip.Addr{}, err
	}
	dst = dst.Unmap()
	a, _, err := n.getRoute(dst, false, netip.Addr{}, 0)
	if err != nil {
		n.logf(2, "no address found to reach %s/%d", dst, dst.BitLen())
		return netip.Addr{}, err
	}
	n.logf(2, "using %s as address to reach %s/%d", a, dst, dst.BitLen())
	return a, nil
}

// NextHop returns the gateway and the interface to reach dst (from src if
// valid), as charon's get_nexthop; for a directly reachable dst the
// gateway is dst itself.
func (n *Net) NextHop(ctx context.Context, dst, src netip.Addr) (gw netip.Addr, iface string, err error) {
	if err := ctxErr(ctx); err != nil {
		return netip.Addr{}, "", err
	}
	dst = dst.Unmap()
	gw, iface, err = n.getRoute(dst, true, src.Unmap(), 0)
	if err != nil {
		n.logf(2, "no nexthop found to reach %s/%d", dst, dst.BitLen())
		return netip.Addr{}, "", err
	}
	if iface != "" {
		n.logf(2, "using %s as nexthop and %s as dev to reach %s/%d", gw, iface, dst, dst.BitLen())
	} else {
		n.logf(2, "using %s as nexthop to reach %s/%d", gw, dst, dst.BitLen())
	}
	return gw, iface, nil
}

// candidateRoute is a route considered by getRoute.
type candidateRoute struct {
	r      netlink.Route
	dstLen int
	src    netip.Addr
}

// getRoute finds the source address (nexthop false) or the gateway and
// interface (nexthop true) to reach dst, preferring routes that use
// candidate as source.
func (n *Net) getRoute(dst netip.Addr, nexthop bool, candidate netip.Addr, depth int) (netip.Addr, string, error) {
	if depth > maxRouteRecursion {
		return netip.Addr{}, "", errors.New("too many recursions")
	}
	if !dst.IsValid() {
		return netip.Addr{}, "", errors.New("invalid destination")
	}
	if n.mark.set && n.mark.invert {
		return n.getRouteMarked(dst, nexthop, candidate)
	}
	routes, err := n.h.RouteListFiltered(family(dst), &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return netip.Addr{}, "", fmt.Errorf("unable to list routes: %w", err)
	}
	all, err := n.hostAddrs()
	if err != nil {
		return netip.Addr{}, "", err
	}
	n.mu.Lock()
	ifUp := map[int]bool{}
	for _, a := range all {
		ifUp[a.index] = a.up && n.usable(a.iface)
	}
	var cands []candidateRoute
	for _, r := range routes {
		switch r.Type {
		case unix.RTN_BLACKHOLE, unix.RTN_UNREACHABLE, unix.RTN_PROHIBIT, unix.RTN_THROW:
			continue
		}
		if (n.opts.Table != 0 && uint32(r.Table) == n.opts.Table) || slices.Contains(n.opts.IgnoreRoutingTables, uint32(r.Table)) {
			continue
		}
		if r.LinkIndex > 0 && !n.linkUsable(r.LinkIndex, ifUp) {
			continue
		}
		dstLen := 0
		if r.Dst != nil {
			dstLen, _ = r.Dst.Mask.Size()
			p := netip.PrefixFrom(addrOf(r.Dst.IP), dstLen)
			if !p.Contains(dst) {
				continue
			}
		}
		c := candidateRoute{r: r, dstLen: dstLen}
		if r.Src != nil {
			c.src = addrOf(r.Src)
			if n.isVIP(c.src) {
				continue // installed by us
			}
		}
		cands = append(cands, c)
	}
	n.mu.Unlock()
	slices.SortStableFunc(cands, func(a, b candidateRoute) int {
		if a.dstLen != b.dstLen {
			return b.dstLen - a.dstLen
		}
		return a.r.Priority - b.r.Priority
	})

	var best *candidateRoute
	for i := range cands {
		c := &cands[i]
		if !c.src.IsValid() && c.r.LinkIndex > 0 {
			c.src = n.interfaceAddress(all, c.r.LinkIndex, dst, candidate)
		}
		if !c.src.IsValid() && c.r.Gw != nil {
			if gw := addrOf(c.r.Gw); gw != dst {
				c.src, _, _ = n.getRoute(gw, false, candidate, depth+1)
			}
		}
		if !c.src.IsValid() {
			continue
		}
		if !candidate.IsValid() || candidate == c.src {
			best = c
			break
		}
		if best == nil {
			best = c
		}
	}
	if nexthop {
		if best == nil && len(cands) > 0 {
			best = &cands[0]
		}
		if best == nil {
			return netip.Addr{}, "", errors.New("no route found")
		}
		gw := dst
		if best.r.Gw != nil {
			gw = addrOf(best.r.Gw)
		}
		return gw, n.linkName(best.r.LinkIndex), nil
	}
	if best == nil {
		return netip.Addr{}, "", fmt.Errorf("no address found to reach %s", dst)
	}
	return best.src, "", nil
}

// getRouteMarked asks the kernel for the route of a packet carrying the
// routing mark (which our inverted rule sends past the IPsec table).
func (n *Net) getRouteMarked(dst netip.Addr, nexthop bool, candidate netip.Addr) (netip.Addr, string, error) {
	opts := &netlink.RouteGetOptions{Mark: n.mark.value}
	if candidate.IsValid() && nexthop {
		opts.SrcAddr = ipOf(candidate)
	}
	rs, err := n.h.RouteGetWithOptions(ipOf(dst), opts)
	if err != nil || len(rs) == 0 {
		return netip.Addr{}, "", fmt.Errorf("no route to %s: %w", dst, err)
	}
	r := rs[0]
	if nexthop {
		gw := dst
		if r.Gw != nil {
			gw = addrOf(r.Gw)
		}
		return gw, n.linkName(r.LinkIndex), nil
	}
	src := addrOf(r.Src)
	n.mu.Lock()
	vip := n.isVIP(src)
	n.mu.Unlock()
	if !src.IsValid() || vip {
		return netip.Addr{}, "", fmt.Errorf("no address found to reach %s", dst)
	}
	return src, "", nil
}

// linkUsable: the interface is up and usable; n.mu held.
func (n *Net) linkUsable(index int, ifUp map[int]bool) bool {
	if up, ok := ifUp[index]; ok {
		return up
	}
	// an interface without addresses
	l, err := n.h.LinkByIndex(index)
	if err != nil {
		return false
	}
	a := l.Attrs()
	return a.Flags&net.FlagUp != 0 && n.usable(a.Name)
}

func (n *Net) linkName(index int) string {
	if index <= 0 {
		return ""
	}
	l, err := n.h.LinkByIndex(index)
	if err != nil {
		return ""
	}
	return l.Attrs().Name
}

// interfaceAddress selects an address of interface index to reach dst:
// candidate if it is on the interface, else a non-deprecated address of
// the smallest scope sharing the longest prefix with dst (charon's
// get_interface_address). Virtual IPs are not considered.
func (n *Net) interfaceAddress(all []hostAddr, index int, dst, candidate netip.Addr) netip.Addr {
	var best *hostAddr
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := range all {
		a := &all[i]
		if a.index != index || a.ip.Is4() != dst.Is4() || n.isVIP(a.ip) || a.scope >= unix.RT_SCOPE_LINK {
			continue
		}
		if candidate.IsValid() && a.ip == candidate {
			return a.ip
		}
		if best == nil || better(a, best, dst) {
			best = a
		}
	}
	if best == nil {
		return netip.Addr{}
	}
	return best.ip
}

// better reports whether a is a better source than b to reach dst.
func better(a, b *hostAddr, dst netip.Addr) bool {
	ad, bd := a.flags&unix.IFA_F_DEPRECATED != 0, b.flags&unix.IFA_F_DEPRECATED != 0
	if ad != bd {
		return !ad
	}
	if a.scope != b.scope {
		return a.scope < b.scope
	}
	return commonPrefix(a.ip, dst) > commonPrefix(b.ip, dst)
}

func commonPrefix(a, b netip.Addr) int {
	x, y := a.AsSlice(), b.AsSlice()
	bits := 0
	for i := range x {
		d := x[i] ^ y[i]
		if d == 0 {
			bits += 8
			continue
		}
		for d&0x80 == 0 {
			bits++
			d <<= 1
		}
		break
	}
	return bits
}
