package userspace

// The few netlink calls the engine makes on its own: bring the TUN device
// up, and, unless the daemon passes a Router (internal/kernel/linuxnet),
// install the routes and the fwmark rule and find local addresses. The
// netlink socket is opened in New, so everything happens in the network
// namespace the engine was created in.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"

	"github.com/goswan/goswan/internal/kernel"
)

type nlHost struct {
	mu    sync.Mutex // serializes requests on h
	h     *netlink.Handle
	table uint32 // for throw routes
}

func newNLHost(table uint32) (*nlHost, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: %w", err)
	}
	return &nlHost{h: h, table: table}, nil
}

func (n *nlHost) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.h.Close()
}

// createTUN creates the TUN device (with IFF_VNET_HDR offloads, through
// wireguard's tun package) in the current network namespace and brings it
// up.
func createTUN(n *nlHost, name string, mtu int) (tun.Device, error) {
	dev, err := tun.CreateTUN(name, mtu)
	if err != nil {
		return nil, err
	}
	if real, err := dev.Name(); err == nil {
		name = real
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	link, err := n.h.LinkByName(name)
	if err == nil {
		err = n.h.LinkSetUp(link)
	}
	if err != nil {
		dev.Close()
		return nil, err
	}
	return dev, nil
}

func (n *nlHost) nlRoute(r kernel.Route) (*netlink.Route, error) {
	link, err := n.h.LinkByName(r.Iface)
	if err != nil {
		return nil, err
	}
	nr := &netlink.Route{
		LinkIndex: link.Attrs().Index,
		Dst:       &net.IPNet{IP: r.Dst.Addr().AsSlice(), Mask: net.CIDRMask(r.Dst.Bits(), r.Dst.Addr().BitLen())},
		Table:     int(r.Table),
		Protocol:  unix.RTPROT_STATIC,
		Scope:     netlink.SCOPE_UNIVERSE,
	}
	if r.Src.IsValid() {
		nr.Src = r.Src.AsSlice()
	}
	if r.Gateway.IsValid() {
		nr.Gw = r.Gateway.AsSlice()
	}
	return nr, nil
}

// AddRoute installs (or replaces) a route.
func (n *nlHost) AddRoute(_ context.Context, r kernel.Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	nr, err := n.nlRoute(r)
	if err != nil {
		return err
	}
	return n.h.RouteReplace(nr)
}

// DelRoute removes a route; a missing one is no error.
func (n *nlHost) DelRoute(_ context.Context, r kernel.Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	nr, err := n.nlRoute(r)
	if err != nil {
		return err
	}
	if err := n.h.RouteDel(nr); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	return nil
}

func (n *nlHost) throwRoute(dst netip.Prefix, table uint32) *netlink.Route {
	return &netlink.Route{
		Dst:      &net.IPNet{IP: dst.Addr().AsSlice(), Mask: net.CIDRMask(dst.Bits(), dst.Addr().BitLen())},
		Table:    int(table),
		Type:     unix.RTN_THROW,
		Protocol: unix.RTPROT_STATIC,
	}
}

// AddThrowRoute installs a throw route in the engine's table.
func (n *nlHost) AddThrowRoute(_ context.Context, dst netip.Prefix) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.h.RouteReplace(n.throwRoute(dst, n.table))
}

// DelThrowRoute removes a throw route.
func (n *nlHost) DelThrowRoute(_ context.Context, dst netip.Prefix) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.h.RouteDel(n.throwRoute(dst, n.table)); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	return nil
}

func fwRule(family int, mark, table uint32) *netlink.Rule {
	r := netlink.NewRule()
	r.Family = family
	r.Table = int(table)
	r.Priority = int(table)
	r.Mark = mark
	mask := uint32(0xffffffff)
	r.Mask = &mask
	r.Invert = true
	return r
}

// addRule installs "not fwmark mark lookup table" for IPv4 and IPv6.
func (n *nlHost) addRule(mark, table uint32) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		if err := n.h.RuleAdd(fwRule(fam, mark, table)); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
	}
	return nil
}

func (n *nlHost) delRule(mark, table uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		n.h.RuleDel(fwRule(fam, mark, table))
	}
}

// addrByTS returns an address of this namespace inside ts (loopback and
// IPv6 link-local addresses excluded), as charon's get_address_by_ts: the
// unspecified address if ts includes the loopback address.
func (n *nlHost) addrByTS(ts kernel.TS) (netip.Addr, bool) {
	fam := unix.AF_INET
	lo, any := netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv4Unspecified()
	if ts.Start.Is6() {
		fam, lo, any = unix.AF_INET6, netip.IPv6Loopback(), netip.IPv6Unspecified()
	}
	if tsContains(ts, lo) {
		return any, true
	}
	n.mu.Lock()
	addrs, err := n.h.AddrList(nil, fam)
	n.mu.Unlock()
	if err != nil {
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		if tsContains(ts, ip) {
			return ip, true
		}
	}
	return netip.Addr{}, false
}
