package linuxnet

import (
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
)

// linkState is what the event loop remembers of an interface.
type linkState struct {
	name string
	up   bool
}

// addrKey identifies an address on an interface.
type addrKey struct {
	ip    netip.Addr
	index int
}

// watch subscribes to address, link and route changes and starts the
// event loop.
func (n *Net) watch() error {
	var ns *netns.NsHandle
	if hasNS(n.opts.Namespace) {
		h := n.opts.Namespace
		ns = &h
	}
	links := map[int]linkState{}
	ls, err := n.h.LinkList()
	if err != nil {
		return err
	}
	for _, l := range ls {
		a := l.Attrs()
		links[a.Index] = linkState{name: a.Name, up: a.Flags&net.FlagUp != 0}
	}
	addrs := map[addrKey]int{}
	as, err := n.h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.IPNet != nil {
			addrs[addrKey{addrOf(a.IP), a.LinkIndex}] = a.Flags
		}
	}

	onErr := func(err error) {
		select {
		case <-n.done:
		default:
			n.logf(1, "unable to receive from RT event socket: %v", err)
		}
	}
	addrCh := make(chan netlink.AddrUpdate, 64)
	linkCh := make(chan netlink.LinkUpdate, 64)
	routeCh := make(chan netlink.RouteUpdate, 64)
	if err := netlink.AddrSubscribeWithOptions(addrCh, n.done, netlink.AddrSubscribeOptions{Namespace: ns, ErrorCallback: onErr}); err != nil {
		return err
	}
	if err := netlink.LinkSubscribeWithOptions(linkCh, n.done, netlink.LinkSubscribeOptions{Namespace: ns, ErrorCallback: onErr}); err != nil {
		return err
	}
	if err := netlink.RouteSubscribeWithOptions(routeCh, n.done, netlink.RouteSubscribeOptions{Namespace: ns, ErrorCallback: onErr}); err != nil {
		return err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for addrCh != nil || linkCh != nil || routeCh != nil {
			select {
			case u, ok := <-addrCh:
				if !ok {
					addrCh = nil
					continue
				}
				n.processAddr(u, links, addrs)
			case u, ok := <-linkCh:
				if !ok {
					linkCh = nil
					continue
				}
				n.processLink(u, links)
			case u, ok := <-routeCh:
				if !ok {
					routeCh = nil
					continue
				}
				n.processRoute(u, links)
			}
		}
	}()
	return nil
}

func (n *Net) stopping() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// processLink handles RTM_NEWLINK/RTM_DELLINK as charon's process_link.
func (n *Net) processLink(u netlink.LinkUpdate, links map[int]linkState) {
	if n.stopping() {
		return
	}
	a := u.Attrs()
	old, known := links[a.Index]
	switch u.Header.Type {
	case unix.RTM_NEWLINK:
		up := a.Flags&net.FlagUp != 0
		links[a.Index] = linkState{name: a.Name, up: up}
		if !known || !n.usable(a.Name) {
			return
		}
		switch {
		case !old.up && up:
			n.logf(1, "interface %s activated", a.Name)
			n.schedule(true, a.Name)
		case old.up && !up:
			n.logf(1, "interface %s deactivated", a.Name)
			n.schedule(true, "")
		}
	case unix.RTM_DELLINK:
		delete(links, a.Index)
		if known && n.usable(old.name) {
			n.logf(1, "interface %s deleted", old.name)
			n.schedule(true, "")
		}
	}
}

// processAddr handles RTM_NEWADDR/RTM_DELADDR as charon's process_addr:
// virtual IPs of ours raise nothing.
func (n *Net) processAddr(u netlink.AddrUpdate, links map[int]linkState, addrs map[addrKey]int) {
	if n.stopping() {
		return
	}
	ip := addrOf(u.LinkAddress.IP)
	if !ip.IsValid() {
		return
	}
	n.mu.Lock()
	if v, ok := n.vips[ip]; ok {
		if !u.NewAddr && v.gone {
			delete(n.vips, ip)
		}
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	key := addrKey{ip, u.LinkIndex}
	l := links[u.LinkIndex]
	usable := l.name != "" && n.usable(l.name)
	flags, known := addrs[key]
	changed, appeared := false, false
	switch {
	case !u.NewAddr && known:
		delete(addrs, key)
		changed = true
		if usable {
			n.logf(1, "%s disappeared from %s", ip, l.name)
		}
	case u.NewAddr && known && flags != u.Flags:
		addrs[key] = u.Flags
		changed = true
		if usable {
			n.logf(1, "flags changed for %s on %s", ip, l.name)
		}
	case u.NewAddr && !known:
		addrs[key] = u.Flags
		changed, appeared = true, true
		if usable {
			n.logf(1, "%s appeared on %s", ip, l.name)
		}
	}
	if changed && usable && l.up {
		iface := ""
		if appeared {
			iface = l.name
		}
		n.schedule(true, iface)
	}
}

// processRoute handles RTM_NEWROUTE/RTM_DELROUTE as charon's
// process_route: changes of our table, the local table, cloned routes,
// routes over unusable interfaces and routes of our virtual IPs are
// ignored.
func (n *Net) processRoute(u netlink.RouteUpdate, links map[int]linkState) {
	if n.stopping() {
		return
	}
	r := u.Route
	if r.Table == unix.RT_TABLE_LOCAL || (n.opts.Table != 0 && uint32(r.Table) == n.opts.Table) ||
		r.Flags&unix.RTM_F_CLONED != 0 {
		return
	}
	if r.LinkIndex > 0 {
		l, ok := links[r.LinkIndex]
		if !ok || !l.up || !n.usable(l.name) {
			return
		}
	}
	src := addrOf(r.Src)
	n.mu.Lock()
	vip := src.IsValid() && n.isVIP(src)
	n.mu.Unlock()
	if vip {
		return
	}
	if !src.IsValid() && r.LinkIndex == 0 {
		return
	}
	n.schedule(true, "")
}

// schedule arranges for a kernel.AddressChange (roam) and the
// reinstallation of the routes over iface (if not "") after the roam
// delay; further calls within the delay join the pending one.
func (n *Net) schedule(roam bool, iface string) {
	n.roamMu.Lock()
	defer n.roamMu.Unlock()
	if roam {
		n.roamPending = true
	}
	if iface != "" {
		n.reinstall[iface] = true
	}
	if n.roamTimer != nil {
		return
	}
	n.roamTimer = time.AfterFunc(n.opts.RoamDelay, n.fire)
}

// queueReinstall schedules the reinstallation of the routes over iface.
func (n *Net) queueReinstall(iface string) {
	n.schedule(false, iface)
}

// fire delivers the pending roam event and reinstalls routes.
func (n *Net) fire() {
	n.roamMu.Lock()
	roam, ifaces := n.roamPending, n.reinstall
	n.roamPending, n.reinstall, n.roamTimer = false, map[string]bool{}, nil
	n.roamMu.Unlock()
	if n.stopping() {
		return
	}
	if len(ifaces) > 0 {
		n.reinstallRoutes(ifaces)
	}
	if roam {
		select {
		case n.events <- kernel.AddressChange{}:
		default: // one is pending already
		}
	}
}
