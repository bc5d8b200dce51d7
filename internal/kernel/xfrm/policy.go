package xfrm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
)

// Router installs the routes that go with outbound policies, as charon's
// kernel_net_t does for kernel-netlink; kernel/linuxnet's Net implements
// it.
type Router interface {
	// AddressInTS returns a local address inside ts (a virtual IP first).
	AddressInTS(ctx context.Context, ts kernel.TS) (netip.Addr, bool, error)
	// NextHop returns the gateway and interface to reach dst from src.
	NextHop(ctx context.Context, dst, src netip.Addr) (netip.Addr, string, error)
	// Interface returns the interface a local address is on.
	Interface(ctx context.Context, addr netip.Addr) (string, error)
	AddRoute(ctx context.Context, r kernel.Route) error
	DelRoute(ctx context.Context, r kernel.Route) error
	// AddThrowRoute and DelThrowRoute manage the routes of bypass
	// policies.
	AddThrowRoute(ctx context.Context, dst netip.Prefix) error
	DelThrowRoute(ctx context.Context, dst netip.Prefix) error
}

// Priority classes of charon's policy_priority_t.
type prioClass int

const (
	prioPass     prioClass = iota // bypass shunts
	prioDefault                   // the policies of CHILD_SAs
	prioRouted                    // trap policies
	prioFallback                  // drop shunts
)

// prioBase is charon's PRIO_BASE.
const prioBase = 200000

// priority computes a policy's automatic priority as charon's
// get_priority (smaller is preferred):
//
//	bits 0-0:  separate trap and regular policies (0..1) 1 bit
//	bits 1-1:  restriction to network interface (0..1)   1 bit
//	bits 2-7:  src + dst port mask bits (2 * 0..16)      6 bits
//	bits 8-8:  restriction to protocol (0..1)            1 bit
//	bits 9-17: src + dst network mask bits (2 * 0..128)  9 bits
//
// subtracted from 200000 (pass), 400000 (IPsec and trap policies) or
// 600000 (drop shunts).
func priority(sel *selector, class prioClass, iface bool) uint32 {
	p := uint32(prioBase)
	switch class {
	case prioFallback:
		p += 2 * prioBase
	case prioDefault, prioRouted:
		p += prioBase
	}
	p -= (uint32(sel.prefixlenS) + uint32(sel.prefixlenD)) * 512
	if sel.proto != 0 {
		p -= 256
	}
	p -= (maskBits(sel.sportMask) + maskBits(sel.dportMask)) * 4
	if iface {
		p -= 2
	}
	if class != prioRouted {
		p--
	}
	return p
}

// maskBits counts the leading one bits of a port mask.
func maskBits(m uint16) uint32 {
	n := uint32(0)
	for bit := uint16(0x8000); bit != 0 && m&bit != 0; bit >>= 1 {
		n++
	}
	return n
}

func classOf(p *kernel.Policy) prioClass {
	switch {
	case p.Trap:
		return prioRouted
	case p.Type == kernel.PolicyPass:
		return prioPass
	case p.Type == kernel.PolicyDrop:
		return prioFallback
	}
	return prioDefault
}

// tsSelector converts a pair of traffic selectors to struct xfrm_selector
// as charon's ts2selector: the covering subnet of each range, the more
// specific protocol of the two, ports as port/mask, and for ICMP the type
// in the source and the code in the destination port.
func tsSelector(src, dst kernel.TS, ifindex int32) (selector, error) {
	if !src.Start.IsValid() || !dst.Start.IsValid() || src.Start.Is4() != dst.Start.Is4() {
		return selector{}, fmt.Errorf("invalid traffic selectors %v === %v", src, dst)
	}
	sel := selector{family: familyOf(src.Start), proto: max(src.Proto, dst.Proto), ifindex: ifindex}
	sel.daddr, sel.prefixlenD = tsSubnet(dst)
	sel.saddr, sel.prefixlenS = tsSubnet(src)
	sel.dport, sel.dportMask = tsPorts(dst)
	sel.sport, sel.sportMask = tsPorts(src)
	if (sel.proto == unix.IPPROTO_ICMP || sel.proto == unix.IPPROTO_ICMPV6) && (sel.dport != 0 || sel.sport != 0) {
		port := max(sel.dport, sel.sport)
		sel.sport, sel.sportMask = port>>8, 0
		if sel.sport != 0 {
			sel.sportMask = 0xffff
		}
		sel.dport, sel.dportMask = port&0xff, 0
		if sel.dport != 0 {
			sel.dportMask = 0xffff
		}
	}
	return sel, nil
}

// tsSubnet returns the subnet covering a selector's range: the start
// address with the bits start and end have in common.
func tsSubnet(ts kernel.TS) (netip.Addr, uint8) {
	from, to := ts.Start.Unmap(), ts.End.Unmap()
	if !to.IsValid() || to.Is4() != from.Is4() {
		to = from
	}
	a, b := from.AsSlice(), to.AsSlice()
	bits := 0
	for i := range a {
		d := a[i] ^ b[i]
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
	p, _ := from.Prefix(bits)
	return p.Addr(), uint8(bits)
}

// tsPorts converts a port range to port/mask (host order): a single port
// with a full mask, else the range's common high bits.
func tsPorts(ts kernel.TS) (port, mask uint16) {
	from, to := ts.FromPort, ts.ToPort
	if from == to {
		return from, 0xffff
	}
	for bit := 15; bit >= 0; bit-- {
		b := uint16(1) << bit
		if from&b != to&b {
			return from & mask, mask
		}
		mask |= b
	}
	return from, mask
}

// policyKey identifies a policy in the kernel: selector, direction, mark
// and interface ID.
type policyKey struct {
	sel  [sizeofSelector]byte
	dir  kernel.Direction
	mark uint32
	ifID uint32
}

// policyEntry is one policy in the kernel and the CHILD_SAs (or traps,
// shunts) using it, best priority first; the first is installed.
type policyEntry struct {
	sel    selector
	dir    kernel.Direction
	usedBy []*mapping
	reqid  uint32
	route  *policyRoute // installed with the policy (outbound)
}

// mapping is one user of a policy.
type mapping struct {
	p              kernel.Policy // SrcAddr/DstAddr follow UpdateSA
	priority, auto uint32
}

// policyRoute is the route installed for an outbound policy.
type policyRoute struct {
	r    kernel.Route
	pass bool
}

// same reports whether m is the mapping of p (addrs: compare endpoints
// too; UpdateSA changes them without the caller knowing).
func (m *mapping) same(p *kernel.Policy, prio, auto uint32, addrs bool) bool {
	q := &m.p
	if m.priority != prio || m.auto != auto || q.Type != p.Type || q.Trap != p.Trap ||
		q.ReqID != p.ReqID || q.Mode != p.Mode || protoOf(q.Proto) != protoOf(p.Proto) ||
		q.SPI != p.SPI || q.Mark != p.Mark || q.IfID != p.IfID {
		return false
	}
	return !addrs || (q.SrcAddr == p.SrcAddr && q.DstAddr == p.DstAddr)
}

func xfrmDir(d kernel.Direction) uint8 {
	switch d {
	case kernel.DirIn:
		return policyIn
	case kernel.DirFwd:
		return policyFwd
	}
	return policyOut
}

// prepare computes the selector, key and priorities of a policy.
func (x *IPsec) prepare(p *kernel.Policy) (selector, policyKey, uint32, uint32, error) {
	if p.Dir < kernel.DirIn || p.Dir > kernel.DirFwd {
		return selector{}, policyKey{}, 0, 0, fmt.Errorf("invalid policy direction %v", p.Dir)
	}
	var ifindex int32
	if p.Interface != "" {
		idx, err := x.ifIndex(p.Interface)
		if err != nil {
			return selector{}, policyKey{}, 0, 0, fmt.Errorf("interface %s: %w", p.Interface, err)
		}
		ifindex = int32(idx)
	}
	sel, err := tsSelector(p.Src, p.Dst, ifindex)
	if err != nil {
		return selector{}, policyKey{}, 0, 0, err
	}
	key := policyKey{sel: sel.bytes(), dir: p.Dir, mark: p.Mark.Value & p.Mark.Mask, ifID: p.IfID}
	auto := priority(&sel, classOf(p), p.Interface != "")
	prio := p.Priority
	if prio == 0 {
		prio = auto
	}
	return sel, key, prio, auto, nil
}

// describePolicy prints a policy as charon's "%R === %R %N%s".
func describePolicy(p *kernel.Policy) string {
	return fmt.Sprintf("%v === %v %v%s", p.Src, p.Dst, p.Dir, markString(p.Mark))
}

// AddPolicy installs a policy or, if one with the same selector,
// direction, mark and interface ID exists, adds this user to it: the
// user with the best priority (the last added among equals) is the one in
// the kernel. Outbound tunnel and bypass policies get a route.
func (x *IPsec) AddPolicy(ctx context.Context, p *kernel.Policy) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	sel, key, prio, auto, err := x.prepare(p)
	if err != nil {
		return err
	}
	m := &mapping{p: *p, priority: prio, auto: auto}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return errors.New("closed")
	}
	e, found := x.policies[key]
	if found {
		x.logf(2, "policy %s already exists, increasing refcount", describePolicy(p))
	} else {
		e = &policyEntry{sel: sel, dir: p.Dir, reqid: p.ReqID}
		x.policies[key] = e
	}
	idx := len(e.usedBy)
	for i, cur := range e.usedBy {
		if cur.priority > m.priority {
			idx = i
			break
		}
		if cur.priority == m.priority {
			if cur.auto > m.auto {
				idx = i
				break
			}
			// prefer users with a reqid over those without
			if cur.auto == m.auto && (cur.p.ReqID == 0 || m.p.ReqID != 0) {
				idx = i
				break
			}
		}
	}
	e.usedBy = slices.Insert(e.usedBy, idx, m)
	x.index(e, m.p.SPI)
	if idx > 0 {
		x.logf(2, "not updating policy %s [priority %d, refcount %d]", describePolicy(p),
			e.usedBy[0].priority, len(e.usedBy))
		return nil
	}
	if e.reqid != p.ReqID {
		x.logf(1, "updating reqid for policy %s from %d to %d", describePolicy(p), e.reqid, p.ReqID)
		e.reqid = p.ReqID
	}
	update := found || x.opts.PolicyUpdate
	verb := map[bool]string{false: "adding", true: "updating"}[update]
	x.logf(2, "%s policy %s [priority %d, refcount %d]", verb, describePolicy(p), prio, len(e.usedBy))
	if err := x.install(ctx, e, m, update); err != nil {
		e.usedBy = slices.Delete(e.usedBy, 0, 1)
		x.unindex(e, m.p.SPI)
		if len(e.usedBy) == 0 {
			delete(x.policies, key)
		}
		x.logf(1, "unable to %s policy %s", map[bool]string{false: "add", true: "update"}[update], describePolicy(p))
		return fmt.Errorf("unable to install policy %s: %w", describePolicy(p), err)
	}
	return nil
}

// install sends a policy to the kernel for the user m and installs its
// route; x.mu held.
func (x *IPsec) install(ctx context.Context, e *policyEntry, m *mapping, update bool) error {
	typ := uint16(msgNewPolicy)
	if update {
		typ = msgUpdPolicy
	}
	body := buildPolicy(&e.sel, e.dir, m)
	_, err := x.tr.do(typ, 0, body)
	if err != nil && !update && errors.Is(err, unix.EEXIST) {
		x.logf(1, "policy already exists, try to update it")
		_, err = x.tr.do(msgUpdPolicy, 0, body)
	}
	if err != nil {
		return err
	}
	x.installRoute(ctx, e, m)
	return nil
}

// buildPolicy builds struct xfrm_userpolicy_info for a policy with its
// template (IPsec policies with a reqid), mark and interface ID, as
// charon's add_policy_internal.
func buildPolicy(sel *selector, dir kernel.Direction, m *mapping) []byte {
	p := &m.p
	info := userpolicyInfo{sel: *sel, lft: infinite(), priority: m.priority, dir: xfrmDir(dir)}
	if p.Type == kernel.PolicyDrop {
		info.action = policyBlock
	}
	b := make([]byte, sizeofUserpolicyInfo)
	info.put(b)
	if (p.Type == kernel.PolicyIPsec || p.Type == 0) && p.ReqID != 0 {
		t := userTmpl{
			proto: protoOf(p.Proto), reqid: p.ReqID, mode: modeOf(p.Mode),
			aalgos: ^uint32(0), ealgos: ^uint32(0), calgos: ^uint32(0),
			family: sel.family,
		}
		if p.SrcAddr.IsValid() {
			t.family = familyOf(p.SrcAddr)
		}
		if dir == kernel.DirOut {
			t.spi = p.SPI
		}
		if t.mode == modeTunnel || t.mode == modeBEET {
			t.saddr, t.daddr = p.SrcAddr, p.DstAddr
		}
		tb := make([]byte, sizeofUserTmpl)
		t.put(tb)
		b = appendAttr(b, attrTmpl, tb)
	}
	b = appendMark(b, p.Mark.Value, p.Mark.Mask)
	if p.IfID != 0 {
		b = appendAttr(b, attrIfID, u32(p.IfID))
	}
	return b
}

// policyIDMsg builds struct xfrm_userpolicy_id with mark and interface ID.
func policyIDMsg(sel *selector, dir kernel.Direction, mark kernel.Mark, ifID uint32) []byte {
	b := make([]byte, sizeofUserpolicyID)
	sel.put(b)
	b[60] = xfrmDir(dir)
	b = appendMark(b, mark.Value, mark.Mask)
	if ifID != 0 {
		b = appendAttr(b, attrIfID, u32(ifID))
	}
	return b
}

// DelPolicy removes this user of a policy. If others remain and this one
// was installed, the next one is installed in its place (with
// XFRM_MSG_UPDPOLICY, so traffic is never unprotected); the policy and
// its route go with the last user.
func (x *IPsec) DelPolicy(ctx context.Context, p *kernel.Policy) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	x.logf(2, "deleting policy %s", describePolicy(p))
	_, key, prio, auto, err := x.prepare(p)
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.policies[key]
	if !ok {
		x.logf(1, "deleting policy %s failed, not found", describePolicy(p))
		return fmt.Errorf("deleting policy %s failed: %w", describePolicy(p), kernel.ErrNotFound)
	}
	idx := slices.IndexFunc(e.usedBy, func(m *mapping) bool { return m.same(p, prio, auto, true) })
	if idx < 0 {
		// its endpoints were moved by UpdateSA
		idx = slices.IndexFunc(e.usedBy, func(m *mapping) bool { return m.same(p, prio, auto, false) })
	}
	if idx < 0 {
		x.logf(1, "deleting policy %s failed, not found", describePolicy(p))
		return fmt.Errorf("deleting policy %s failed: %w", describePolicy(p), kernel.ErrNotFound)
	}
	spi := e.usedBy[idx].p.SPI
	e.usedBy = slices.Delete(e.usedBy, idx, idx+1)
	x.unindex(e, spi)
	if len(e.usedBy) > 0 {
		x.logf(2, "policy still used by another CHILD_SA, not removed")
		if idx > 0 {
			x.logf(2, "not updating policy %s [priority %d, refcount %d]", describePolicy(p),
				e.usedBy[0].priority, len(e.usedBy))
			return nil
		}
		next := e.usedBy[0]
		if e.reqid != next.p.ReqID {
			x.logf(1, "updating reqid for policy %s from %d to %d", describePolicy(p), e.reqid, next.p.ReqID)
			e.reqid = next.p.ReqID
		}
		x.logf(2, "updating policy %s [priority %d, refcount %d]", describePolicy(p), next.priority, len(e.usedBy))
		if err := x.install(ctx, e, next, true); err != nil {
			x.logf(1, "unable to update policy %s", describePolicy(p))
			return fmt.Errorf("unable to update policy %s: %w", describePolicy(p), err)
		}
		return nil
	}
	x.removeRoute(ctx, e)
	delete(x.policies, key)
	if _, err := x.tr.do(msgDelPolicy, 0, policyIDMsg(&e.sel, e.dir, p.Mark, p.IfID)); err != nil {
		x.logf(1, "unable to delete policy %s", describePolicy(p))
		return fmt.Errorf("unable to delete policy %s: %w", describePolicy(p), classify(err))
	}
	return nil
}

// QueryPolicy returns when traffic last matched the policy (zero if it
// never did).
func (x *IPsec) QueryPolicy(ctx context.Context, p *kernel.Policy) (time.Time, error) {
	if err := ctxErr(ctx); err != nil {
		return time.Time{}, err
	}
	sel, _, _, _, err := x.prepare(p)
	if err != nil {
		return time.Time{}, err
	}
	t, err := x.queryPolicy(&sel, p.Dir, p.Mark, p.IfID)
	if err != nil {
		x.logf(2, "unable to query policy %s", describePolicy(p))
		return time.Time{}, fmt.Errorf("querying policy %s failed: %w", describePolicy(p), err)
	}
	return t, nil
}

func (x *IPsec) queryPolicy(sel *selector, dir kernel.Direction, mark kernel.Mark, ifID uint32) (time.Time, error) {
	replies, err := x.tr.do(msgGetPolicy, 0, policyIDMsg(sel, dir, mark, ifID))
	if err != nil {
		return time.Time{}, classify(err)
	}
	for _, r := range replies {
		if r.typ != msgNewPolicy {
			continue
		}
		info, err := getUserpolicyInfo(r.data)
		if err != nil {
			return time.Time{}, err
		}
		if info.curlft.useTime == 0 {
			return time.Time{}, nil
		}
		return time.Unix(int64(info.curlft.useTime), 0), nil
	}
	return time.Time{}, errors.New("no policy in the kernel's answer")
}

// policyUseTime returns the latest use of the installed policies using
// the SA id (inbound SAs: in and fwd policies, outbound: out), as charon
// reads a CHILD_SA's last use from its policies.
func (x *IPsec) policyUseTime(id kernel.SAID) time.Time {
	type q struct {
		sel  selector
		dir  kernel.Direction
		mark kernel.Mark
		ifID uint32
	}
	var qs []q
	x.mu.Lock()
	for e := range x.bySPI[id.SPI] {
		if m := e.usedBy[0]; usesSA(&m.p, id) {
			qs = append(qs, q{e.sel, e.dir, m.p.Mark, m.p.IfID})
		}
	}
	x.mu.Unlock()
	var last time.Time
	for _, q := range qs {
		if t, err := x.queryPolicy(&q.sel, q.dir, q.mark, q.ifID); err == nil && t.After(last) {
			last = t
		}
	}
	return last
}

// index records that a user of e names the SA with this SPI; x.mu held.
func (x *IPsec) index(e *policyEntry, spi uint32) {
	if spi == 0 {
		return
	}
	set := x.bySPI[spi]
	if set == nil {
		set = map[*policyEntry]bool{}
		x.bySPI[spi] = set
	}
	set[e] = true
}

// unindex forgets e for spi unless another of its users names it; x.mu
// held.
func (x *IPsec) unindex(e *policyEntry, spi uint32) {
	if spi == 0 || slices.ContainsFunc(e.usedBy, func(m *mapping) bool { return m.p.SPI == spi }) {
		return
	}
	delete(x.bySPI[spi], e)
	if len(x.bySPI[spi]) == 0 {
		delete(x.bySPI, spi)
	}
}

// usesSA reports whether a policy's template refers to the SA id.
func usesSA(p *kernel.Policy, id kernel.SAID) bool {
	return p.SPI == id.SPI && p.SPI != 0 && protoOf(p.Proto) == protoOf(id.Proto) &&
		p.SrcAddr == id.Src && p.DstAddr == id.Dst
}

// movePolicies points the policies using SA id to its new endpoints
// (after UpdateSA): the stored users change, installed tunnel mode
// policies are updated in the kernel and their routes reinstalled.
func (x *IPsec) movePolicies(ctx context.Context, id kernel.SAID, src, dst netip.Addr) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for e := range x.bySPI[id.SPI] {
		for i, m := range e.usedBy {
			if !usesSA(&m.p, id) {
				continue
			}
			m.p.SrcAddr, m.p.DstAddr = src, dst
			if i != 0 {
				continue
			}
			if mode := modeOf(m.p.Mode); mode == modeTunnel || mode == modeBEET {
				x.logf(2, "updating policy %s [priority %d, refcount %d]", describePolicy(&m.p), m.priority, len(e.usedBy))
				if _, err := x.tr.do(msgUpdPolicy, 0, buildPolicy(&e.sel, e.dir, m)); err != nil {
					x.logf(1, "unable to update policy %s: %v", describePolicy(&m.p), err)
					continue
				}
			}
			x.installRoute(ctx, e, m)
		}
	}
}

// installRoute installs the route for an outbound policy as charon's
// install_route, if it needs one: outbound, not restricted to a protocol
// or ports, no interface ID, and a bypass policy or an IPsec policy in
// tunnel or BEET mode. The route goes to the policy's destination subnet
// with a local address inside the source selector as source (a virtual IP
// if there is one), via the next hop to the peer. x.mu held.
func (x *IPsec) installRoute(ctx context.Context, e *policyEntry, m *mapping) {
	r := x.opts.Routes
	p := &m.p
	if r == nil || e.dir != kernel.DirOut || e.sel.proto != 0 || e.sel.dport != 0 || e.sel.sport != 0 || p.IfID != 0 {
		return
	}
	ipsec := p.Type == kernel.PolicyIPsec || p.Type == 0
	pass := p.Type == kernel.PolicyPass
	if !pass && !(ipsec && p.Mode != kernel.ModeTransport) {
		return
	}
	dst := netip.PrefixFrom(e.sel.daddr, int(e.sel.prefixlenD))
	var want policyRoute
	if pass {
		want = policyRoute{r: kernel.Route{Dst: dst}, pass: true}
	} else {
		src, _, err := r.AddressInTS(ctx, p.Src)
		if err != nil || !p.DstAddr.IsValid() || p.DstAddr.IsUnspecified() {
			return
		}
		gw, dev, err := r.NextHop(ctx, p.DstAddr, p.SrcAddr)
		if err != nil {
			gw = netip.Addr{}
		}
		if dev == "" {
			local := p.SrcAddr
			if !local.IsValid() || local.IsUnspecified() {
				local = src
			}
			if dev, err = r.Interface(ctx, local); err != nil {
				return
			}
		}
		want = policyRoute{r: kernel.Route{Dst: dst, Gateway: gw, Src: src, Iface: dev}}
	}
	if e.route != nil {
		if *e.route == want {
			return
		}
		x.removeRoute(ctx, e)
	}
	var err error
	if want.pass {
		x.logf(2, "installing route: %v (throw)", p.Dst)
		err = r.AddThrowRoute(ctx, dst)
	} else {
		x.logf(2, "installing route: %v via %s src %s dev %s", p.Dst, want.r.Gateway, want.r.Src, want.r.Iface)
		err = r.AddRoute(ctx, want.r)
	}
	if err != nil {
		x.logf(1, "unable to install source route for %s", want.r.Src)
		return
	}
	e.route = &want
}

// removeRoute removes the route installed with a policy; x.mu held.
func (x *IPsec) removeRoute(ctx context.Context, e *policyEntry) {
	if e.route == nil || x.opts.Routes == nil {
		return
	}
	var err error
	if e.route.pass {
		err = x.opts.Routes.DelThrowRoute(ctx, e.route.r.Dst)
	} else {
		err = x.opts.Routes.DelRoute(ctx, e.route.r)
	}
	if err != nil {
		x.logf(1, "error uninstalling route installed with policy %s === %s %v", e.sel.saddr, e.sel.daddr, e.dir)
	}
	e.route = nil
}
