// Package nstest gives tests a throwaway Linux network namespace in which
// they may change addresses, routes, rules and XFRM state for real without
// touching the host's (root) namespace. A test that needs one calls New,
// which skips the test when it does not run as root or namespaces are not
// available, and deletes the namespace when the test ends.
//
// It is for tests of the kernel backends (kernel/linuxnet, kernel/xfrm,
// kernel/userspace) only; it imports vishvananda/netlink and netns and
// nothing of this project.
package nstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// NS is a network namespace created for one test.
type NS struct {
	// Handle refers to the namespace (pass it as Options.Namespace).
	Handle netns.NsHandle
	// NL is an rtnetlink handle operating inside the namespace.
	NL *netlink.Handle
}

// New creates a namespace with loopback up. It skips the test unless it
// runs as root, and removes the namespace at the test's end.
func New(t testing.TB) *NS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	ns, err := create()
	if err != nil {
		t.Skipf("cannot create a network namespace: %v", err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		t.Fatalf("netlink handle in namespace: %v", err)
	}
	n := &NS{Handle: ns, NL: h}
	t.Cleanup(func() {
		h.Close()
		ns.Close()
	})
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatalf("lo: %v", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatalf("lo up: %v", err)
	}
	// no duplicate address detection: IPv6 addresses (link-local ones
	// too) are final at once instead of changing state a second later
	for _, conf := range []string{"all", "default"} {
		n.Sysctl(t, "net/ipv6/conf/"+conf+"/accept_dad", "0")
	}
	return n
}

// Sysctl sets a sysctl of the namespace ("net/core/xfrm_acq_expires").
func (n *NS) Sysctl(t testing.TB, name, value string) {
	t.Helper()
	err := n.Do(func() error {
		return os.WriteFile("/proc/sys/"+name, []byte(value), 0)
	})
	if err != nil {
		t.Fatalf("sysctl %s=%s: %v", name, value, err)
	}
}

// create makes a new namespace and returns a handle to it. It works on a
// goroutine of its own whose thread is discarded if it cannot return to
// the original namespace.
func create() (netns.NsHandle, error) {
	var ns netns.NsHandle
	err := onThread(func() error {
		var err error
		ns, err = netns.New()
		return err
	})
	return ns, err
}

// onThread runs fn on a locked OS thread of a new goroutine and returns
// the thread to its original namespace afterwards (fn may switch it).
func onThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- fmt.Errorf("returning to the original namespace: %w", err)
			return // still locked: the thread goes with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Veth creates a veth pair name<->peer inside the namespace, both ends up.
func (n *NS) Veth(t testing.TB, name, peer string) (netlink.Link, netlink.Link) {
	t.Helper()
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer}
	if err := n.NL.LinkAdd(v); err != nil {
		t.Fatalf("add veth %s: %v", name, err)
	}
	a, err := n.NL.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.NL.LinkByName(peer)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []netlink.Link{a, b} {
		if err := n.NL.LinkSetUp(l); err != nil {
			t.Fatalf("set %s up: %v", l.Attrs().Name, err)
		}
	}
	return a, b
}

// AddAddr adds an address ("192.168.0.1/24") to an interface; IPv6
// addresses get nodad so they are usable at once.
func (n *NS) AddAddr(t testing.TB, iface, cidr string) {
	t.Helper()
	l, err := n.NL.LinkByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		t.Fatal(err)
	}
	if a.IP.To4() == nil {
		a.Flags |= 0x02 // IFA_F_NODAD
	}
	if err := n.NL.AddrAdd(l, a); err != nil {
		t.Fatalf("add %s to %s: %v", cidr, iface, err)
	}
}

// DelAddr removes an address from an interface.
func (n *NS) DelAddr(t testing.TB, iface, cidr string) {
	t.Helper()
	l, err := n.NL.LinkByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.NL.AddrDel(l, a); err != nil {
		t.Fatalf("del %s from %s: %v", cidr, iface, err)
	}
}

// Route adds a route in the main table ("default", "10.0.0.0/8") via gw
// ("" for none) on dev.
func (n *NS) Route(t testing.TB, dst, gw, dev string) {
	t.Helper()
	r := netlink.Route{}
	if dst != "default" {
		_, p, err := net.ParseCIDR(dst)
		if err != nil {
			t.Fatal(err)
		}
		r.Dst = p
	}
	if gw != "" {
		r.Gw = net.ParseIP(gw)
	}
	if dev != "" {
		l, err := n.NL.LinkByName(dev)
		if err != nil {
			t.Fatal(err)
		}
		r.LinkIndex = l.Attrs().Index
	}
	if err := n.NL.RouteAdd(&r); err != nil {
		t.Fatalf("route %s via %s dev %s: %v", dst, gw, dev, err)
	}
}

// IP runs the ip(8) command inside the namespace and returns its output;
// the test is skipped if ip or nsenter are missing.
func (n *NS) IP(t testing.TB, args ...string) string {
	t.Helper()
	out, err := n.Command(t, "ip", args...)
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Command runs a command inside the namespace (through nsenter).
func (n *NS) Command(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	for _, tool := range []string{"nsenter", name} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	nsPath := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), int(n.Handle))
	cmd := exec.Command("nsenter", append([]string{"--net=" + nsPath, name}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Do runs fn on a locked OS thread switched into the namespace (for
// sockets that must be created inside it).
func (n *NS) Do(fn func() error) error {
	return onThread(func() error {
		if err := netns.Set(n.Handle); err != nil {
			return err
		}
		return fn()
	})
}
