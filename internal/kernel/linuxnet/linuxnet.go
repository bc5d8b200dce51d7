// Package linuxnet implements kernel.Net on Linux over rtnetlink
// (vishvananda/netlink), as strongSwan's kernel-netlink plugin does for
// charon: it lists the host's usable addresses, selects source addresses
// and next hops, installs virtual IPs, keeps the routes that go with IPsec
// policies in their own routing table (charon.routing_table, 220) behind
// one "ip rule" per address family, and reports address, link and route
// changes (debounced like charon's roam events) for MOBIKE.
//
// Both IPsec backends use it: kernel/xfrm for the routes of its policies,
// kernel/userspace for its TUN device's routes and virtual IPs. Beyond
// kernel.Net it offers what they need of charon's kernel_net_t:
// EnsureRoutingRule, Interface, NextHop, AddressInTS and throw routes for
// bypass policies.
//
// It imports internal/kernel, internal/log and the netlink libraries; it
// must not import anything of internal/ike, the daemon or another backend.
//
// All real netlink work happens in Options.Namespace (the current network
// namespace by default), so tests run it inside throwaway namespaces.
package linuxnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Defaults of charon.routing_table and charon.routing_table_prio.
const (
	DefaultTable        = 220
	DefaultRulePriority = 220
)

// DefaultRoamDelay is how long address, link and route changes are
// collected before one kernel.AddressChange is delivered (charon's
// ROAM_DELAY); routes on an interface that came back are reinstalled after
// the same delay (ROUTE_DELAY).
const DefaultRoamDelay = 100 * time.Millisecond

// Options configure a Net; the zero value is usable but installs routes
// in the main table (charon.routing_table = 0).
type Options struct {
	// Table is the routing table for the routes of IPsec policies
	// (charon.routing_table, DefaultTable); 0 installs them in the main
	// table, splitting 0.0.0.0/0 into two /1 routes as charon does.
	Table uint32
	// RulePriority is the priority of the rule that makes the kernel
	// consult Table (charon.routing_table_prio, DefaultRulePriority).
	RulePriority uint32
	// FWMark is charon.plugins.kernel-netlink.fwmark: a mark the rule
	// matches ("0x42", "0x42/0xff"); with a leading "!" the rule matches
	// packets NOT carrying it, and source address lookups use the mark to
	// bypass Table.
	FWMark string
	// InstallVirtualIPOn is charon.install_virtual_ip_on: the interface
	// virtual IPs go on ("" for the interface the caller names, see
	// AddVirtualIP).
	InstallVirtualIPOn string
	// InterfacesIgnore and InterfacesUse are charon.interfaces_ignore and
	// charon.interfaces_use: interfaces whose addresses are not used (all
	// but the listed ones if InterfacesUse is set).
	InterfacesIgnore, InterfacesUse []string
	// IgnoreRoutingTables are tables not considered when selecting
	// addresses and next hops (charon.ignore_routing_tables).
	IgnoreRoutingTables []uint32
	// MTU and MSS are set on installed routes when non-zero
	// (charon.plugins.kernel-netlink.mtu and .mss).
	MTU, MSS uint32
	// RoamDelay overrides DefaultRoamDelay (tests).
	RoamDelay time.Duration
	// Namespace makes the Net operate in that network namespace instead of
	// the current one (tests); 0 or netns.None() means the current one.
	Namespace netns.NsHandle
	// Log receives charon's KNL messages; the zero Scope discards them.
	Log log.Scope
}

// Net implements kernel.Net over rtnetlink. Its methods are safe for
// concurrent use.
type Net struct {
	opts Options
	h    *netlink.Handle
	mark fwmark

	mu     sync.Mutex // guards everything below
	vips   map[netip.Addr]*vip
	routes []*routeEntry
	rules  []netlink.Rule // installed by EnsureRoutingRule
	closed bool

	events chan kernel.Event
	done   chan struct{}
	wg     sync.WaitGroup

	roamMu      sync.Mutex // guards the fields below
	roamPending bool
	reinstall   map[string]bool // interfaces whose routes to reinstall
	roamTimer   *time.Timer
}

var _ kernel.Net = (*Net)(nil)

// vip is a virtual IP installed by us.
type vip struct {
	iface    string
	refcount int
	// gone: deleted by us, kept until the kernel reports the deletion so
	// the event is not taken for a roaming change
	gone bool
}

// fwmark is the parsed Options.FWMark.
type fwmark struct {
	set, invert bool
	value, mask uint32
}

// New opens rtnetlink sockets (in o.Namespace), starts watching address,
// link and route changes and returns the Net. Call EnsureRoutingRule to
// install the routing rule, and Close to remove everything installed.
func New(o Options) (*Net, error) {
	m, err := parseFWMark(o.FWMark)
	if err != nil {
		return nil, err
	}
	if o.RoamDelay <= 0 {
		o.RoamDelay = DefaultRoamDelay
	}
	var h *netlink.Handle
	if hasNS(o.Namespace) {
		h, err = netlink.NewHandleAt(o.Namespace)
	} else {
		h, err = netlink.NewHandle()
	}
	if err != nil {
		return nil, fmt.Errorf("unable to open rtnetlink socket: %w", err)
	}
	n := &Net{
		opts:      o,
		h:         h,
		mark:      m,
		vips:      map[netip.Addr]*vip{},
		events:    make(chan kernel.Event, 1),
		done:      make(chan struct{}),
		reinstall: map[string]bool{},
	}
	if err := n.watch(); err != nil {
		h.Close()
		return nil, fmt.Errorf("unable to create RT event socket: %w", err)
	}
	return n, nil
}

func hasNS(ns netns.NsHandle) bool { return ns > 0 }

// Close stops watching, removes the routes and virtual IPs installed and
// the routing rules, and closes the sockets.
func (n *Net) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	var errs []error
	for _, r := range n.routes {
		if r.installed {
			if err := n.h.RouteDel(n.nlRoute(r.route, r.pass)); err != nil && !isNotFound(err) {
				errs = append(errs, err)
			}
		}
	}
	n.routes = nil
	for ip, v := range n.vips {
		if !v.gone {
			if err := n.delAddr(ip, v.iface); err != nil && !isNotFound(err) {
				errs = append(errs, err)
			}
		}
	}
	n.vips = map[netip.Addr]*vip{}
	for i := range n.rules {
		if err := n.h.RuleDel(&n.rules[i]); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	n.rules = nil
	n.mu.Unlock()

	close(n.done)
	n.wg.Wait()
	n.roamMu.Lock()
	if n.roamTimer != nil {
		n.roamTimer.Stop()
	}
	n.roamMu.Unlock()
	n.h.Close()
	return errors.Join(errs...)
}

// Events delivers a kernel.AddressChange after local addresses, links or
// routes changed (several changes within the roam delay give one event).
func (n *Net) Events() <-chan kernel.Event { return n.events }

// usable reports whether an interface may be used (charon's
// is_interface_usable: interfaces_use / interfaces_ignore).
func (n *Net) usable(name string) bool {
	if len(n.opts.InterfacesUse) > 0 {
		return slices.Contains(n.opts.InterfacesUse, name)
	}
	return !slices.Contains(n.opts.InterfacesIgnore, name)
}

func (n *Net) logf(lv log.Level, format string, args ...any) {
	if n.opts.Log.Enabled(log.KNL, lv) {
		n.opts.Log.Log(log.KNL, lv, format, args...)
	}
}

// parseFWMark parses charon's kernel-netlink.fwmark ("!0x42/0xff").
func parseFWMark(s string) (fwmark, error) {
	var m fwmark
	if s == "" {
		return m, nil
	}
	m.set = true
	str := s
	if strings.HasPrefix(str, "!") {
		m.invert = true
		str = str[1:]
	}
	val, mask, hasMask := strings.Cut(str, "/")
	v, err := strconv.ParseUint(val, 0, 32)
	if err != nil {
		return m, fmt.Errorf("invalid mark value: %s", s)
	}
	m.value, m.mask = uint32(v), 0xffffffff
	if hasMask {
		mk, err := strconv.ParseUint(mask, 0, 32)
		if err != nil {
			return m, fmt.Errorf("invalid mark mask: %s", mask)
		}
		m.mask = uint32(mk)
	}
	m.value &= m.mask
	return m, nil
}

// ipOf converts a netip.Addr to the library's net.IP.
func ipOf(a netip.Addr) net.IP {
	if !a.IsValid() {
		return nil
	}
	return net.IP(a.Unmap().AsSlice())
}

// addrOf converts a net.IP to netip.Addr (invalid for nil).
func addrOf(ip net.IP) netip.Addr {
	if ip4 := ip.To4(); ip4 != nil {
		a, _ := netip.AddrFromSlice(ip4)
		return a
	}
	a, _ := netip.AddrFromSlice(ip)
	return a
}

// ipNet converts a prefix to the library's *net.IPNet.
func ipNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: ipOf(p.Addr()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func family(a netip.Addr) int {
	if a.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

func isNotFound(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EADDRNOTAVAIL)
}

// ctxErr returns the context's error if it is done (netlink calls are not
// interruptible; this keeps cancelled callers from starting new ones).
func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}
