package updown

import (
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// nexthop returns the name of the interface the route to peer uses, as
// charon's get_nexthop for PLUTO_INTERFACE: the most specific route of
// any table but charon's own (routingTable, where its routes over the
// tunnel live), over an interface that is up; the lowest metric among
// equally specific ones. "" if there is none.
func nexthop(nsfd int, peer, _ netip.Addr, routingTable int) string {
	if !peer.IsValid() {
		return ""
	}
	var h *netlink.Handle
	var err error
	if nsfd != 0 {
		h, err = netlink.NewHandleAt(netns.NsHandle(nsfd), unix.NETLINK_ROUTE)
	} else {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	if err != nil {
		return ""
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return ""
	}
	up := map[int]string{}
	for _, l := range links {
		if a := l.Attrs(); a.Flags&net.FlagUp != 0 {
			up[a.Index] = a.Name
		}
	}
	fam := netlink.FAMILY_V4
	if peer.Is6() {
		fam = netlink.FAMILY_V6
	}
	routes, err := h.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return ""
	}
	var best *netlink.Route
	bestBits := -1
	for i := range routes {
		r := &routes[i]
		if routingTable > 0 && r.Table == routingTable {
			continue
		}
		if _, ok := up[r.LinkIndex]; !ok {
			continue
		}
		switch r.Type {
		case unix.RTN_UNICAST, unix.RTN_LOCAL:
		default:
			continue
		}
		bits := 0
		if r.Dst != nil {
			p, ok := prefixOf(r.Dst)
			if !ok || !p.Contains(peer) {
				continue
			}
			bits = p.Bits()
		}
		if bits > bestBits || (bits == bestBits && r.Priority < best.Priority) {
			best, bestBits = r, bits
		}
	}
	if best == nil {
		return ""
	}
	return up[best.LinkIndex]
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}
