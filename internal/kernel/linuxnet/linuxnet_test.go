package linuxnet

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/linuxnet/nstest"
)

var ctx = context.Background()

func TestParseFWMark(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want fwmark
		err  bool
	}{
		{"", fwmark{}, false},
		{"0x42", fwmark{set: true, value: 0x42, mask: 0xffffffff}, false},
		{"!0x42", fwmark{set: true, invert: true, value: 0x42, mask: 0xffffffff}, false},
		{"!0x42/0xff", fwmark{set: true, invert: true, value: 0x42, mask: 0xff}, false},
		{"0x142/0xff", fwmark{set: true, value: 0x42, mask: 0xff}, false}, // value masked
		{"66", fwmark{set: true, value: 66, mask: 0xffffffff}, false},
		{"%unique", fwmark{}, true},
		{"0x42/zz", fwmark{}, true},
	} {
		got, err := parseFWMark(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.in, err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("%q = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// lab is a namespace with veth0 (192.168.0.1/24, fec0::1/64) and its
// peer veth1 (192.168.0.2/24), a default route via 192.168.0.254 and an
// ignored interface ign0/ign1 (10.9.0.1/24).
func lab(t *testing.T, o Options) (*nstest.NS, *Net) {
	t.Helper()
	ns := nstest.New(t)
	ns.Veth(t, "veth0", "veth1")
	ns.Veth(t, "ign0", "ign1")
	ns.AddAddr(t, "veth0", "192.168.0.1/24")
	ns.AddAddr(t, "veth0", "fec0::1/64")
	ns.AddAddr(t, "veth1", "192.168.0.2/24")
	ns.AddAddr(t, "ign0", "10.9.0.1/24")
	ns.Route(t, "default", "192.168.0.254", "veth0")
	o.Namespace = ns.Handle
	o.InterfacesIgnore = append(o.InterfacesIgnore, "ign0", "ign1")
	n, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return ns, n
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestAddresses(t *testing.T) {
	_, n := lab(t, Options{Table: DefaultTable})
	got, err := n.Addresses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, netip.Addr.Compare)
	// no loopback, no link-local fe80::, nothing of the ignored ign0/ign1
	want := addrs("192.168.0.1", "192.168.0.2", "fec0::1")
	if !slices.Equal(got, want) {
		t.Errorf("Addresses = %v, want %v", got, want)
	}
	if err := n.AddVirtualIP(ctx, netip.MustParsePrefix("10.3.0.1/32"), "veth0"); err != nil {
		t.Fatal(err)
	}
	got, _ = n.Addresses(ctx)
	if slices.Contains(got, netip.MustParseAddr("10.3.0.1")) {
		t.Errorf("virtual IP listed: %v", got)
	}
	name, err := n.Interface(ctx, netip.MustParseAddr("10.3.0.1"))
	if err != nil || name != "veth0" {
		t.Errorf("Interface(vip) = %q, %v", name, err)
	}
	if name, err := n.Interface(ctx, netip.MustParseAddr("192.168.0.2")); err != nil || name != "veth1" {
		t.Errorf("Interface(192.168.0.2) = %q, %v", name, err)
	}
	if _, err := n.Interface(ctx, netip.MustParseAddr("10.9.0.1")); err == nil {
		t.Errorf("Interface on an ignored interface succeeded")
	}
	if _, err := n.Interface(ctx, netip.MustParseAddr("192.0.2.1")); err == nil {
		t.Errorf("Interface of a foreign address succeeded")
	}
}

func TestSourceAddrAndNextHop(t *testing.T) {
	ns, n := lab(t, Options{Table: DefaultTable})
	ns.AddAddr(t, "veth0", "192.168.0.3/24")
	ns.IP(t, "route", "add", "10.5.0.0/16", "via", "192.168.0.254", "src", "192.168.0.3")
	for _, tc := range []struct{ dst, want string }{
		{"8.8.8.8", "192.168.0.1"},
		{"10.5.1.1", "192.168.0.3"}, // the route's preferred source
		{"192.168.0.77", "192.168.0.1"},
		{"fec0::5", "fec0::1"},
	} {
		got, err := n.SourceAddr(ctx, netip.MustParseAddr(tc.dst))
		if err != nil || got.String() != tc.want {
			t.Errorf("SourceAddr(%s) = %v, %v; want %s", tc.dst, got, err, tc.want)
		}
		// the kernel agrees
		if out := ns.IP(t, "route", "get", tc.dst); !strings.Contains(out, "src "+tc.want+" ") {
			t.Errorf("ip route get %s: %s", tc.dst, out)
		}
	}
	if _, err := n.SourceAddr(ctx, netip.MustParseAddr("2001:db8::1")); err == nil {
		t.Errorf("SourceAddr without an IPv6 route succeeded")
	}

	// routes we install in table 220 with a virtual IP as source are
	// ignored
	if err := n.AddVirtualIP(ctx, netip.MustParsePrefix("10.3.0.1/32"), "veth0"); err != nil {
		t.Fatal(err)
	}
	if err := n.EnsureRoutingRule(); err != nil {
		t.Fatal(err)
	}
	r := kernel.Route{Dst: netip.MustParsePrefix("10.6.0.0/16"), Gateway: netip.MustParseAddr("192.168.0.254"),
		Src: netip.MustParseAddr("10.3.0.1"), Iface: "veth0"}
	if err := n.AddRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	if got, err := n.SourceAddr(ctx, netip.MustParseAddr("10.6.1.1")); err != nil || got.String() != "192.168.0.1" {
		t.Errorf("SourceAddr(10.6.1.1) = %v, %v; want 192.168.0.1 (not the virtual IP)", got, err)
	}

	for _, tc := range []struct{ dst, src, gw, dev string }{
		{"192.168.0.2", "192.168.0.1", "192.168.0.2", "veth0"}, // directly connected: the peer itself
		{"8.8.8.8", "192.168.0.1", "192.168.0.254", "veth0"},
		{"8.8.8.8", "", "192.168.0.254", "veth0"},
	} {
		var src netip.Addr
		if tc.src != "" {
			src = netip.MustParseAddr(tc.src)
		}
		gw, dev, err := n.NextHop(ctx, netip.MustParseAddr(tc.dst), src)
		if err != nil || gw.String() != tc.gw || dev != tc.dev {
			t.Errorf("NextHop(%s, %s) = %v %q %v; want %s %s", tc.dst, tc.src, gw, dev, err, tc.gw, tc.dev)
		}
	}
}

func TestSourceAddrWithFWMark(t *testing.T) {
	ns, n := lab(t, Options{Table: DefaultTable, FWMark: "!0x42"})
	if err := n.EnsureRoutingRule(); err != nil {
		t.Fatal(err)
	}
	if err := n.AddVirtualIP(ctx, netip.MustParsePrefix("10.3.0.1/32"), "veth0"); err != nil {
		t.Fatal(err)
	}
	r := kernel.Route{Dst: netip.MustParsePrefix("10.6.0.0/16"), Gateway: netip.MustParseAddr("192.168.0.254"),
		Src: netip.MustParseAddr("10.3.0.1"), Iface: "veth0"}
	if err := n.AddRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	// unmarked traffic uses our route, a lookup with the mark does not
	if out := ns.IP(t, "route", "get", "10.6.1.1"); !strings.Contains(out, "src 10.3.0.1") {
		t.Errorf("ip route get 10.6.1.1: %s", out)
	}
	if got, err := n.SourceAddr(ctx, netip.MustParseAddr("10.6.1.1")); err != nil || got.String() != "192.168.0.1" {
		t.Errorf("SourceAddr(10.6.1.1) = %v, %v; want 192.168.0.1", got, err)
	}
	gw, dev, err := n.NextHop(ctx, netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("192.168.0.1"))
	if err != nil || gw.String() != "192.168.0.254" || dev != "veth0" {
		t.Errorf("NextHop = %v %q %v", gw, dev, err)
	}
}

func TestAddressInTS(t *testing.T) {
	_, n := lab(t, Options{Table: DefaultTable})
	if err := n.AddVirtualIP(ctx, netip.MustParsePrefix("192.168.0.200/32"), "veth0"); err != nil {
		t.Fatal(err)
	}
	ts := func(from, to string) kernel.TS {
		return kernel.TS{Start: netip.MustParseAddr(from), End: netip.MustParseAddr(to), ToPort: 0xffff}
	}
	for _, tc := range []struct {
		ts   kernel.TS
		want string
		vip  bool
	}{
		{ts("192.168.0.0", "192.168.0.255"), "192.168.0.200", true}, // virtual IPs first
		{ts("192.168.0.2", "192.168.0.2"), "192.168.0.2", false},
		{ts("0.0.0.0", "255.255.255.255"), "0.0.0.0", false}, // includes 127.0.0.1
		{ts("fec0::", "fec0::ffff"), "fec0::1", false},
	} {
		got, vip, err := n.AddressInTS(ctx, tc.ts)
		if err != nil || got.String() != tc.want || vip != tc.vip {
			t.Errorf("AddressInTS(%v) = %v %v %v; want %s %v", tc.ts, got, vip, err, tc.want, tc.vip)
		}
	}
	if _, _, err := n.AddressInTS(ctx, ts("10.99.0.0", "10.99.255.255")); err == nil {
		t.Errorf("AddressInTS without a local address succeeded")
	}
}

func TestVirtualIPs(t *testing.T) {
	ns, n := lab(t, Options{Table: DefaultTable})
	v4 := netip.MustParsePrefix("10.3.0.1/32")
	v6 := netip.MustParsePrefix("fec3::1/128")
	// "" picks the outgoing interface of the default route
	if err := n.AddVirtualIP(ctx, v4, ""); err != nil {
		t.Fatal(err)
	}
	if err := n.AddVirtualIP(ctx, v4, ""); err != nil { // second user
		t.Fatal(err)
	}
	if err := n.AddVirtualIP(ctx, v6, "veth1"); err != nil {
		t.Fatal(err)
	}
	out := ns.IP(t, "addr", "show")
	if !strings.Contains(out, "inet 10.3.0.1/32 scope global veth0") {
		t.Errorf("ip addr show: no 10.3.0.1/32 on veth0:\n%s", out)
	}
	if !strings.Contains(out, "inet6 fec3::1/128 scope site nodad") {
		t.Errorf("ip addr show: no fec3::1/128 nodad:\n%s", out)
	}
	if lbl := ns.IP(t, "addrlabel", "list"); !strings.Contains(lbl, "prefix fec3::1/128 label 220") {
		t.Errorf("ip addrlabel list:\n%s", lbl)
	}

	if err := n.DelVirtualIP(ctx, v4); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ns.IP(t, "addr", "show", "dev", "veth0"), "10.3.0.1/32") {
		t.Errorf("virtual IP removed while still used")
	}
	if err := n.DelVirtualIP(ctx, v4); err != nil {
		t.Fatal(err)
	}
	if err := n.DelVirtualIP(ctx, v6); err != nil {
		t.Fatal(err)
	}
	out = ns.IP(t, "addr", "show")
	if strings.Contains(out, "10.3.0.1") || strings.Contains(out, "fec3::1") {
		t.Errorf("virtual IPs left:\n%s", out)
	}
	if lbl := ns.IP(t, "addrlabel", "list"); strings.Contains(lbl, "fec3::1") {
		t.Errorf("address label left:\n%s", lbl)
	}
	if err := n.DelVirtualIP(ctx, v4); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("deleting an unknown virtual IP: %v", err)
	}

	// an address the host has already is left alone
	own := netip.MustParsePrefix("192.168.0.1/32")
	if err := n.AddVirtualIP(ctx, own, ""); err != nil {
		t.Fatal(err)
	}
	if err := n.DelVirtualIP(ctx, own); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ns.IP(t, "addr", "show", "dev", "veth0"), "192.168.0.1/24") {
		t.Errorf("regular address removed")
	}

	// install_virtual_ip_on wins over the requested interface
	ns, n2 := lab(t, Options{Table: DefaultTable, InstallVirtualIPOn: "lo"})
	if err := n2.AddVirtualIP(ctx, v4, "veth0"); err != nil {
		t.Fatal(err)
	}
	if name, _ := n2.Interface(ctx, v4.Addr()); name != "lo" {
		t.Errorf("virtual IP on %q, want lo", name)
	}
	// Close removes it
	n2.Close()
	if out := ns.IP(t, "addr", "show"); strings.Contains(out, "10.3.0.1") {
		t.Errorf("virtual IP left after Close:\n%s", out)
	}
}

func TestRoutes(t *testing.T) {
	ns, n := lab(t, Options{Table: DefaultTable})
	if err := n.AddVirtualIP(ctx, netip.MustParsePrefix("10.3.0.1/32"), "veth0"); err != nil {
		t.Fatal(err)
	}
	vipRoute := kernel.Route{Dst: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("192.168.0.254"),
		Src: netip.MustParseAddr("10.3.0.1"), Iface: "veth0"}
	if err := n.AddRoute(ctx, vipRoute); err != nil {
		t.Fatal(err)
	}
	table := func() string { return ns.IP(t, "route", "show", "table", "220") }
	const want = "10.1.0.0/16 via 192.168.0.254 dev veth0 proto static src 10.3.0.1 \n"
	if got := table(); got != want {
		t.Errorf("table 220:\n%q\nwant\n%q", got, want)
	}
	// a route to the same destination with a regular source waits
	// behind the one with the virtual IP
	plain := vipRoute
	plain.Src = netip.MustParseAddr("192.168.0.1")
	if err := n.AddRoute(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if got := table(); got != want {
		t.Errorf("table 220 after a second route:\n%q", got)
	}
	// reference counted
	if err := n.AddRoute(ctx, vipRoute); err != nil {
		t.Fatal(err)
	}
	if err := n.DelRoute(ctx, vipRoute); err != nil {
		t.Fatal(err)
	}
	if got := table(); got != want {
		t.Errorf("table 220 after dropping one reference:\n%q", got)
	}
	if err := n.DelRoute(ctx, vipRoute); err != nil {
		t.Fatal(err)
	}
	if got := table(); got != "10.1.0.0/16 via 192.168.0.254 dev veth0 proto static src 192.168.0.1 \n" {
		t.Errorf("table 220 after removing the virtual IP's route:\n%q", got)
	}
	// throw routes for bypass policies
	if err := n.AddThrowRoute(ctx, netip.MustParsePrefix("10.1.5.0/24")); err != nil {
		t.Fatal(err)
	}
	if got := table(); !strings.Contains(got, "throw 10.1.5.0/24 proto static") {
		t.Errorf("no throw route:\n%s", got)
	}
	if err := n.DelThrowRoute(ctx, netip.MustParsePrefix("10.1.5.0/24")); err != nil {
		t.Fatal(err)
	}
	if err := n.DelRoute(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if got := table(); got != "" {
		t.Errorf("table 220 not empty:\n%s", got)
	}
	if err := n.DelRoute(ctx, plain); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("deleting a route twice: %v", err)
	}
	// IPv6 with prefsrc
	v6 := kernel.Route{Dst: netip.MustParsePrefix("fec1::/16"), Gateway: netip.MustParseAddr("fec0::2"),
		Src: netip.MustParseAddr("fec0::1"), Iface: "veth0"}
	if err := n.AddRoute(ctx, v6); err != nil {
		t.Fatal(err)
	}
	if got := ns.IP(t, "-6", "route", "show", "table", "220"); !strings.HasPrefix(got, "fec1::/16 via fec0::2 dev veth0 proto static src fec0::1 ") {
		t.Errorf("IPv6 table 220:\n%q", got)
	}
	// Close removes what is left
	n.Close()
	if got := ns.IP(t, "-6", "route", "show", "table", "220"); got != "" {
		t.Errorf("routes left after Close:\n%s", got)
	}
}

func TestRoutesMainTable(t *testing.T) {
	ns, n := lab(t, Options{}) // charon.routing_table = 0
	r := kernel.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Gateway: netip.MustParseAddr("192.168.0.2"),
		Src: netip.MustParseAddr("192.168.0.1"), Iface: "veth0"}
	if err := n.AddRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	out := ns.IP(t, "route", "show")
	for _, want := range []string{
		"0.0.0.0/1 via 192.168.0.2 dev veth0 proto static src 192.168.0.1",
		"128.0.0.0/1 via 192.168.0.2 dev veth0 proto static src 192.168.0.1",
		"default via 192.168.0.254 dev veth0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("main table lacks %q:\n%s", want, out)
		}
	}
	if err := n.DelRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	if out := ns.IP(t, "route", "show"); strings.Contains(out, "/1 ") {
		t.Errorf("halves left:\n%s", out)
	}
	if err := n.EnsureRoutingRule(); err != nil {
		t.Fatal(err)
	}
	if out := ns.IP(t, "rule", "show"); strings.Contains(out, "220") {
		t.Errorf("rule installed without a table:\n%s", out)
	}
}

func TestRoutingRule(t *testing.T) {
	for _, tc := range []struct {
		fwmark, want string
	}{
		{"", "220:\tfrom all lookup 220"},
		{"!0x42", "220:\tnot from all fwmark 0x42 lookup 220"},
		{"0x42/0xff", "220:\tfrom all fwmark 0x42/0xff lookup 220"},
	} {
		t.Run(tc.fwmark, func(t *testing.T) {
			ns, n := lab(t, Options{Table: DefaultTable, RulePriority: DefaultRulePriority, FWMark: tc.fwmark})
			if err := n.EnsureRoutingRule(); err != nil {
				t.Fatal(err)
			}
			if err := n.EnsureRoutingRule(); err != nil { // idempotent
				t.Fatal(err)
			}
			for _, fam := range []string{"-4", "-6"} {
				out := ns.IP(t, fam, "rule", "show")
				if strings.Count(out, "lookup 220") != 1 || !strings.Contains(out, tc.want+"\n") {
					t.Errorf("ip %s rule show:\n%s\nwant %q", fam, out, tc.want)
				}
			}
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
			for _, fam := range []string{"-4", "-6"} {
				if out := ns.IP(t, fam, "rule", "show"); strings.Contains(out, "220") {
					t.Errorf("rule left after Close:\n%s", out)
				}
			}
		})
	}
}

// waitEvent waits up to d for an AddressChange.
func waitEvent(n *Net, d time.Duration) bool {
	select {
	case ev := <-n.Events():
		_, ok := ev.(kernel.AddressChange)
		return ok
	case <-time.After(d):
		return false
	}
}

func TestEvents(t *testing.T) {
	ns, n := lab(t, Options{Table: DefaultTable, RoamDelay: 50 * time.Millisecond})
	for waitEvent(n, 300*time.Millisecond) { // settle
	}
	ns.AddAddr(t, "veth0", "192.168.0.9/24")
	if !waitEvent(n, 2*time.Second) {
		t.Fatal("no event after an address appeared")
	}
	// several changes within the delay give one event
	ns.DelAddr(t, "veth0", "192.168.0.9/24")
	ns.AddAddr(t, "veth1", "192.168.0.10/24")
	if !waitEvent(n, 2*time.Second) {
		t.Fatal("no event after an address disappeared")
	}
	if waitEvent(n, 300*time.Millisecond) {
		t.Errorf("changes within the roam delay gave more than one event")
	}
	// our own virtual IPs and changes on ignored interfaces give none
	if err := n.AddVirtualIP(ctx, netip.MustParsePrefix("10.3.0.1/32"), "veth0"); err != nil {
		t.Fatal(err)
	}
	ns.AddAddr(t, "ign0", "10.9.0.7/24")
	if waitEvent(n, 400*time.Millisecond) {
		t.Errorf("event for a virtual IP or an ignored interface")
	}
	if err := n.DelVirtualIP(ctx, netip.MustParsePrefix("10.3.0.1/32")); err != nil {
		t.Fatal(err)
	}
	if waitEvent(n, 400*time.Millisecond) {
		t.Errorf("event for removing a virtual IP")
	}
	// link down and up
	veth1, err := ns.NL.LinkByName("veth1")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.NL.LinkSetDown(veth1); err != nil {
		t.Fatal(err)
	}
	if !waitEvent(n, 2*time.Second) {
		t.Fatal("no event after a link went down")
	}
	if err := ns.NL.LinkSetUp(veth1); err != nil {
		t.Fatal(err)
	}
	if !waitEvent(n, 2*time.Second) {
		t.Fatal("no event after a link came up")
	}
}

// Routes over an interface that went down come back when it is up again.
func TestRoutesReinstalled(t *testing.T) {
	ns, n := lab(t, Options{Table: DefaultTable, RoamDelay: 50 * time.Millisecond})
	r := kernel.Route{Dst: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("192.168.0.2"),
		Src: netip.MustParseAddr("192.168.0.1"), Iface: "veth0"}
	if err := n.AddRoute(ctx, r); err != nil {
		t.Fatal(err)
	}
	veth0, _ := ns.NL.LinkByName("veth0")
	if err := ns.NL.LinkSetDown(veth0); err != nil {
		t.Fatal(err)
	}
	waitEvent(n, time.Second)
	if got := ns.IP(t, "route", "show", "table", "220"); got != "" {
		t.Logf("route still there while down: %q", got)
	}
	if err := ns.NL.LinkSetUp(veth0); err != nil {
		t.Fatal(err)
	}
	waitEvent(n, 2*time.Second)
	deadline := time.Now().Add(2 * time.Second)
	for {
		got := ns.IP(t, "route", "show", "table", "220")
		if strings.Contains(got, "10.1.0.0/16 via 192.168.0.2 dev veth0") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("route not reinstalled: %q", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
