// Package xfrm implements kernel.IPsec with the Linux kernel's IPsec
// stack (XFRM), programmed over NETLINK_XFRM as strongSwan's
// kernel-netlink plugin does for charon 5.9:
//
//   - SPIs are allocated by the kernel (XFRM_MSG_ALLOCSPI) in charon's
//     range 0xc0000000-0xcfffffff; inbound SAs then replace the larval
//     state (XFRM_MSG_UPDSA), outbound ones are added (XFRM_MSG_NEWSA);
//   - algorithms are mapped from IKEv2 transform IDs to the kernel's
//     crypto names (algs.go), with UDP encapsulation, ESN and replay
//     windows (XFRMA_REPLAY_ESN_VAL), marks, interface IDs and lifetimes;
//   - policies are reference counted per selector, direction, mark and
//     interface ID: of the CHILD_SAs using a selector the one with the
//     best priority is in the kernel, so a rekeyed CHILD_SA replaces the
//     old one's policy (XFRM_MSG_UPDPOLICY) without a gap, and removing
//     the old one changes nothing. Priorities are charon's (priority.go);
//   - outbound tunnel and bypass policies get a route in the IPsec routing
//     table through a Router (kernel/linuxnet), as charon's install_routes;
//   - UpdateSA (MOBIKE, NAT mapping changes) re-adds the SA with its
//     replay state and counters at the new endpoints as charon does, and
//     moves the policies naming the SA along (XFRM_MSG_UPDPOLICY);
//   - acquires, expires and NAT mapping changes become kernel events;
//     migrate notifications are logged.
//
// The helpers BypassSocket and EnableUDPDecap set the socket options the
// daemon needs on its IKE sockets, and Supported tells whether the kernel
// can do ESP at all (the daemon falls back to kernel/userspace if not).
//
// The package imports internal/kernel, internal/log, golang.org/x/sys and
// the netlink libraries; it must not import anything of internal/ike, the
// daemon or another backend (routes go through the Router interface).
package xfrm

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Default SPI range (charon.spi_min, charon.spi_max).
const (
	DefaultSPIMin = 0xc0000000
	DefaultSPIMax = 0xcfffffff
)

// Options configure an IPsec backend; the zero value is usable.
type Options struct {
	// Routes installs the routes of outbound policies (charon's
	// install_routes); nil installs none. kernel/linuxnet's Net is one.
	Routes Router
	// SPIMin and SPIMax bound allocated SPIs (0: the defaults).
	SPIMin, SPIMax uint32
	// PolicyUpdate always installs policies with XFRM_MSG_UPDPOLICY
	// (charon.plugins.kernel-netlink.policy_update).
	PolicyUpdate bool
	// ProtoPortTransport keeps protocol and ports in the selector of
	// transport mode SAs (kernel-netlink.set_proto_port_transport_sa).
	ProtoPortTransport bool
	// Namespace makes the backend work in that network namespace (tests);
	// 0 or netns.None() means the current one.
	Namespace netns.NsHandle
	// Log receives charon's KNL messages; the zero Scope discards them.
	Log log.Scope
}

// IPsec implements kernel.IPsec over XFRM. Its methods are safe for
// concurrent use.
type IPsec struct {
	opts    Options
	tr      transport
	ev      *conn // event socket, nil in tests
	ifIndex func(name string) (int, error)
	closers []func() error

	events chan kernel.Event
	done   chan struct{}
	wg     sync.WaitGroup

	// mu guards policies, bySPI and closed. It is held across the
	// netlink requests that change policies, so the kernel sees the
	// changes of a selector in the order they are made.
	mu       sync.Mutex
	policies map[policyKey]*policyEntry
	// bySPI finds the policies whose users name an SA (QuerySA's use
	// time, UpdateSA)
	bySPI  map[uint32]map[*policyEntry]bool
	closed bool
}

var _ kernel.IPsec = (*IPsec)(nil)

// New opens the XFRM netlink sockets (in o.Namespace), subscribes to
// acquires, expires, migrations and mapping changes, and returns the
// backend.
func New(o Options) (*IPsec, error) {
	tr, err := dial(o.Namespace, 0)
	if err != nil {
		return nil, err
	}
	ev, err := dial(o.Namespace, 1<<(grpAcquire-1)|1<<(grpExpire-1)|1<<(grpMigrate-1)|1<<(grpMapping-1))
	if err != nil {
		tr.close()
		return nil, fmt.Errorf("unable to create XFRM event socket: %w", err)
	}
	var h *netlink.Handle
	if o.Namespace > 0 {
		h, err = netlink.NewHandleAt(o.Namespace)
	} else {
		h, err = netlink.NewHandle()
	}
	if err != nil {
		tr.close()
		ev.close()
		return nil, fmt.Errorf("unable to open rtnetlink socket: %w", err)
	}
	ifIndex := func(name string) (int, error) {
		l, err := h.LinkByName(name)
		if err != nil {
			return 0, err
		}
		return l.Attrs().Index, nil
	}
	x := newIPsec(o, tr, ifIndex)
	x.closers = append(x.closers, func() error { h.Close(); return nil })
	x.ev = ev
	x.wg.Add(1)
	go x.receiveEvents()
	return x, nil
}

// newIPsec builds the backend over a transport (tests use recorders).
func newIPsec(o Options, tr transport, ifIndex func(string) (int, error)) *IPsec {
	if o.SPIMin == 0 && o.SPIMax == 0 {
		o.SPIMin, o.SPIMax = DefaultSPIMin, DefaultSPIMax
	}
	if o.SPIMin > o.SPIMax {
		o.SPIMin, o.SPIMax = o.SPIMax, o.SPIMin
	}
	return &IPsec{
		opts:     o,
		tr:       tr,
		ifIndex:  ifIndex,
		events:   make(chan kernel.Event, 64),
		done:     make(chan struct{}),
		policies: map[policyKey]*policyEntry{},
		bySPI:    map[uint32]map[*policyEntry]bool{},
	}
}

// Events delivers acquires, expires and NAT mapping changes.
func (x *IPsec) Events() <-chan kernel.Event { return x.events }

// Close stops the events and closes the sockets. SAs, policies and their
// routes stay in the kernel (the daemon removes them with the CHILD_SAs).
func (x *IPsec) Close() error {
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	x.mu.Unlock()
	close(x.done)
	var errs []error
	if x.ev != nil {
		errs = append(errs, x.ev.close())
	}
	x.wg.Wait()
	errs = append(errs, x.tr.close())
	for _, c := range x.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

func (x *IPsec) logf(lv log.Level, format string, args ...any) {
	if x.opts.Log.Enabled(log.KNL, lv) {
		x.opts.Log.Log(log.KNL, lv, format, args...)
	}
}

// markString formats a mark for log lines as charon (" (mark 1/0xffffffff)").
func markString(m kernel.Mark) string {
	if m.Value|m.Mask == 0 {
		return ""
	}
	return fmt.Sprintf(" (mark %d/0x%08x)", m.Value, m.Mask)
}
