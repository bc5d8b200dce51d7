package linuxnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
)

// IPv6 address label charon gives virtual IPs so the kernel's default
// source address selection does not pick them (only our routes' src does).
const vipAddrLabel = 220

// hostAddr is one address of an interface.
type hostAddr struct {
	ip    netip.Addr
	iface string
	index int
	flags int
	scope int
	up    bool // interface is up
	loop  bool // interface is a loopback device
}

// hostAddrs lists all addresses of all interfaces (it only queries the
// kernel and may be called with or without n.mu).
func (n *Net) hostAddrs() ([]hostAddr, error) {
	links, err := n.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("unable to list interfaces: %w", err)
	}
	byIndex := make(map[int]netlink.Link, len(links))
	for _, l := range links {
		byIndex[l.Attrs().Index] = l
	}
	addrs, err := n.h.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("unable to list addresses: %w", err)
	}
	out := make([]hostAddr, 0, len(addrs))
	// keep the interfaces' order (charon iterates interfaces, then their
	// addresses)
	for _, l := range links {
		a := l.Attrs()
		for _, ad := range addrs {
			if ad.LinkIndex != a.Index || ad.IPNet == nil {
				continue
			}
			ip := addrOf(ad.IP)
			if !ip.IsValid() {
				continue
			}
			out = append(out, hostAddr{
				ip: ip, iface: a.Name, index: a.Index, flags: ad.Flags, scope: ad.Scope,
				up: a.Flags&net.FlagUp != 0, loop: a.Flags&net.FlagLoopback != 0,
			})
		}
	}
	return out, nil
}

// isVIP reports whether ip is a virtual IP we installed; n.mu held.
func (n *Net) isVIP(ip netip.Addr) bool {
	v, ok := n.vips[ip]
	return ok && !v.gone
}

// regular reports whether an address is one charon lists as a regular
// address of the host (ADDR_TYPE_REGULAR): on an up, usable, non-loopback
// interface, not deprecated, of global or site scope, for IPv6 not a
// temporary (privacy) address, and not a virtual IP of ours. n.mu held.
func (n *Net) regular(a hostAddr) bool {
	if !a.up || a.loop || !n.usable(a.iface) || n.isVIP(a.ip) {
		return false
	}
	if a.flags&unix.IFA_F_DEPRECATED != 0 || a.scope >= unix.RT_SCOPE_LINK {
		return false
	}
	if a.ip.Is6() && a.flags&unix.IFA_F_TEMPORARY != 0 {
		return false
	}
	return true
}

// Addresses returns the host's usable addresses: those on usable
// interfaces that are up, without loopback, link-local (and host scope),
// deprecated and temporary addresses, and without the virtual IPs we
// installed.
func (n *Net) Addresses(ctx context.Context) ([]netip.Addr, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	all, err := n.hostAddrs()
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []netip.Addr
	for _, a := range all {
		if n.regular(a) {
			out = append(out, a.ip)
		}
	}
	return out, nil
}

// Interface returns the name of the interface addr is on, as charon's
// get_interface: regular addresses on usable interfaces that are up first,
// then our virtual IPs. It fails for addresses that are not local (or on
// an ignored or down interface).
func (n *Net) Interface(ctx context.Context, addr netip.Addr) (string, error) {
	if err := ctxErr(ctx); err != nil {
		return "", err
	}
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsUnspecified() {
		return "", fmt.Errorf("%v is not a local address", addr)
	}
	all, err := n.hostAddrs()
	if err != nil {
		return "", err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, vipPass := range []bool{false, true} {
		for _, a := range all {
			if a.ip == addr && a.up && n.usable(a.iface) && n.isVIP(a.ip) == vipPass {
				return a.iface, nil
			}
		}
	}
	return "", fmt.Errorf("%v is not a local address or the interface is down", addr)
}

// AddressInTS returns a local address inside the traffic selector ts, as
// charon's get_address_by_ts: the unspecified address if ts includes the
// loopback address, else one of our virtual IPs, else any other address
// (on any interface). vip tells whether it is a virtual IP.
func (n *Net) AddressInTS(ctx context.Context, ts kernel.TS) (addr netip.Addr, vip bool, err error) {
	if err := ctxErr(ctx); err != nil {
		return netip.Addr{}, false, err
	}
	if !ts.Start.IsValid() {
		return netip.Addr{}, false, errors.New("invalid traffic selector")
	}
	loop := netip.MustParseAddr("127.0.0.1")
	if ts.Start.Is6() {
		loop = netip.IPv6Loopback()
	}
	if tsIncludes(ts, loop) {
		if ts.Start.Is4() {
			return netip.IPv4Unspecified(), false, nil
		}
		return netip.IPv6Unspecified(), false, nil
	}
	all, err := n.hostAddrs()
	if err != nil {
		return netip.Addr{}, false, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, vipPass := range []bool{true, false} {
		for _, a := range all {
			if n.isVIP(a.ip) != vipPass {
				continue
			}
			if tsIncludes(ts, a.ip) {
				return a.ip, vipPass, nil
			}
		}
	}
	return netip.Addr{}, false, fmt.Errorf("no local address found in traffic selector %v", ts)
}

func tsIncludes(ts kernel.TS, a netip.Addr) bool {
	return a.Is4() == ts.Start.Is4() && ts.Start.Compare(a) <= 0 && a.Compare(ts.End) <= 0
}

// AddVirtualIP installs ip (as /32 or /128, whatever ip's prefix length,
// as charon does) and reference counts it: installing the same virtual IP
// again only counts. The interface is Options.InstallVirtualIPOn if that
// exists, else iface (typically the interface of the IKE_SA's local
// address, see Interface), else the outgoing interface of the default
// route, else the first usable interface that is up. An address that is
// already a regular address of the host is left alone.
func (n *Net) AddVirtualIP(ctx context.Context, ip netip.Prefix, iface string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	addr := ip.Addr().Unmap()
	if !addr.IsValid() {
		return errors.New("invalid virtual IP")
	}
	all, err := n.hostAddrs()
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("closed")
	}
	if v, ok := n.vips[addr]; ok && !v.gone {
		v.refcount++
		n.logf(2, "virtual IP %s is already installed on %s", addr, v.iface)
		return nil
	}
	for _, a := range all {
		if a.ip == addr {
			// a regular address: not tracked as virtual IP
			n.logf(2, "virtual IP %s is already installed on %s", addr, a.iface)
			return nil
		}
	}
	target := n.vipInterface(iface, all)
	if target == "" {
		n.logf(1, "no interface available, unable to install virtual IP %s", addr)
		return fmt.Errorf("no interface available, unable to install virtual IP %s", addr)
	}
	n.vips[addr] = &vip{iface: target, refcount: 1}
	if err := n.addAddr(addr, target); err != nil {
		delete(n.vips, addr)
		n.logf(1, "adding virtual IP %s failed", addr)
		return fmt.Errorf("adding virtual IP %s failed: %w", addr, err)
	}
	n.logf(2, "virtual IP %s installed on %s", addr, target)
	n.queueReinstall(target)
	return nil
}

// vipInterface picks the interface for a virtual IP; n.mu held.
func (n *Net) vipInterface(requested string, all []hostAddr) string {
	exists := func(name string) bool {
		if name == "" {
			return false
		}
		_, err := n.h.LinkByName(name)
		return err == nil
	}
	if exists(n.opts.InstallVirtualIPOn) {
		return n.opts.InstallVirtualIPOn
	}
	if exists(requested) {
		return requested
	}
	for _, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		routes, err := n.h.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		if err != nil {
			continue
		}
		for _, r := range routes {
			if (r.Dst == nil || isDefault(r.Dst)) && r.LinkIndex > 0 {
				if l, err := n.h.LinkByIndex(r.LinkIndex); err == nil {
					return l.Attrs().Name
				}
			}
		}
	}
	links, err := n.h.LinkList()
	if err != nil {
		return ""
	}
	for _, l := range links {
		a := l.Attrs()
		if a.Flags&net.FlagUp != 0 && a.Flags&net.FlagLoopback == 0 && n.usable(a.Name) {
			return a.Name
		}
	}
	return ""
}

func isDefault(p *net.IPNet) bool {
	ones, _ := p.Mask.Size()
	return ones == 0
}

// DelVirtualIP removes a virtual IP we installed once its last user is
// gone; addresses we did not install are left alone.
func (n *Net) DelVirtualIP(ctx context.Context, ip netip.Prefix) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	addr := ip.Addr().Unmap()
	n.logf(2, "deleting virtual IP %s", addr)
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok := n.vips[addr]
	if !ok || v.gone {
		all, err := n.hostAddrs()
		if err == nil {
			for _, a := range all {
				if a.ip == addr {
					n.logf(2, "not deleting existing IP %s on %s", addr, a.iface)
					return nil
				}
			}
		}
		n.logf(2, "virtual IP %s not cached, unable to delete", addr)
		return fmt.Errorf("virtual IP %s not cached, unable to delete: %w", addr, kernel.ErrNotFound)
	}
	if v.refcount > 1 {
		v.refcount--
		n.logf(2, "virtual IP %s used by other SAs, not deleting", addr)
		return nil
	}
	v.refcount, v.gone = 0, true
	if err := n.delAddr(addr, v.iface); err != nil {
		delete(n.vips, addr)
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("deleting virtual IP %s failed: %w", addr, err)
	}
	return nil
}

// addAddr installs a virtual IP on iface: full-length prefix, universe
// scope, IPv6 without duplicate address detection and with charon's
// address label.
func (n *Net) addAddr(ip netip.Addr, iface string) error {
	l, err := n.h.LinkByName(iface)
	if err != nil {
		return err
	}
	a := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ip, ip.BitLen())), Scope: unix.RT_SCOPE_UNIVERSE}
	if ip.Is6() {
		a.Flags = unix.IFA_F_NODAD
		if err := n.addrLabel(unix.RTM_NEWADDRLABEL, ip); err != nil {
			// as charon: without labels let the address be deprecated at
			// once (valid forever) so default source selection skips it
			a.PreferedLft, a.ValidLft = 0, 0xffffffff
		}
	}
	return n.h.AddrAdd(l, a)
}

func (n *Net) delAddr(ip netip.Addr, iface string) error {
	l, err := n.h.LinkByName(iface)
	if err != nil {
		return err
	}
	if ip.Is6() {
		_ = n.addrLabel(unix.RTM_DELADDRLABEL, ip)
	}
	return n.h.AddrDel(l, &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(ip, ip.BitLen()))})
}

// addrLabel adds or removes the IPv6 address label of a virtual IP (the
// library has no call for RTM_NEWADDRLABEL).
func (n *Net) addrLabel(msgType int, ip netip.Addr) error {
	var s *nl.NetlinkSocket
	var err error
	if hasNS(n.opts.Namespace) {
		s, err = nl.GetNetlinkSocketAt(n.opts.Namespace, netns.None(), unix.NETLINK_ROUTE)
	} else {
		s, err = nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	flags := unix.NLM_F_ACK
	if msgType == unix.RTM_NEWADDRLABEL {
		flags |= unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	req := nl.NewNetlinkRequest(msgType, flags)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: s}}
	req.AddRawData(addrLabelMsg(ip))
	_, err = req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// addrLabelMsg builds struct ifaddrlblmsg (family, reserved, prefixlen,
// flags, ifindex, seq) with IFAL_ADDRESS and IFAL_LABEL.
func addrLabelMsg(ip netip.Addr) []byte {
	b := make([]byte, 12, 12+20+8)
	b[0] = unix.AF_INET6
	b[2] = 128
	b = appendAttr(b, unix.IFAL_ADDRESS, ip.AsSlice())
	b = appendAttr(b, unix.IFAL_LABEL, binary.NativeEndian.AppendUint32(nil, vipAddrLabel))
	return b
}

// appendAttr appends one rtattr, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
