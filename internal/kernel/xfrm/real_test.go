package xfrm

// Tests against the kernel, inside throwaway network namespaces (as
// root). What this machine's kernel accepts is tested here for real:
// SPI allocation (and the larval state it leaves, which QuerySA and DelSA
// work on), its hard expire event, policies of all kinds with their
// reference counting and routes, acquires from trap policies, policy use
// times, bypass sockets and UDP decapsulation. Adding SAs needs kernel
// ESP; without it AddSA's messages are tested against golden messages
// only (golden_test.go).

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/linuxnet"
	"github.com/goswan/goswan/internal/kernel/linuxnet/nstest"
)

var _ Router = (*linuxnet.Net)(nil)

// moon is a namespace like strongSwan's gateway moon: 192.168.0.1/24 on
// eth0 towards sun (192.168.0.2), 10.1.0.1/16 on eth1, with linuxnet
// routes in table 220 and the backend.
func moon(t *testing.T) (*nstest.NS, *IPsec, *linuxnet.Net) {
	t.Helper()
	ns := nstest.New(t)
	ns.Veth(t, "eth0", "sun0")
	ns.Veth(t, "eth1", "alice0")
	ns.AddAddr(t, "eth0", "192.168.0.1/24")
	ns.AddAddr(t, "eth1", "10.1.0.1/16")
	ns.AddAddr(t, "eth0", "fec0::1/64")
	n, err := linuxnet.New(linuxnet.Options{Table: linuxnet.DefaultTable, RulePriority: linuxnet.DefaultRulePriority,
		Namespace: ns.Handle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.EnsureRoutingRule(); err != nil {
		t.Fatal(err)
	}
	x, err := New(Options{Namespace: ns.Handle, Routes: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return ns, x, n
}

func waitFor(t *testing.T, x *IPsec, d time.Duration, match func(kernel.Event) bool) kernel.Event {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-x.Events():
			if match(ev) {
				return ev
			}
		case <-deadline:
			return nil
		}
	}
}

func TestRealSPIAndLarvalState(t *testing.T) {
	ns, x, _ := moon(t)
	ns.Sysctl(t, "net/core/xfrm_acq_expires", "1")
	spi, err := x.GetSPI(ctx, ip("192.168.0.2"), ip("192.168.0.1"), kernel.ProtoESP, 1)
	if err != nil {
		t.Fatal(err)
	}
	if spi < DefaultSPIMin || spi > DefaultSPIMax {
		t.Errorf("SPI %08x out of charon's range", spi)
	}
	out := ns.IP(t, "xfrm", "state")
	if !strings.Contains(out, "src 192.168.0.2 dst 192.168.0.1") || !strings.Contains(out, "proto esp spi 0x"+hex8(spi)) {
		t.Errorf("ip xfrm state:\n%s", out)
	}
	id := kernel.SAID{Src: ip("192.168.0.2"), Dst: ip("192.168.0.1"), SPI: spi, Proto: kernel.ProtoESP}
	u, err := x.QuerySA(ctx, id)
	if err != nil || u.Bytes != 0 || u.Packets != 0 || !u.LastUse.IsZero() {
		t.Errorf("QuerySA = %+v, %v", u, err)
	}
	if err := x.DelSA(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := x.QuerySA(ctx, id); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("QuerySA after DelSA: %v", err)
	}
	if err := x.DelSA(ctx, id); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("DelSA twice: %v", err)
	}

	// an SPI nobody uses expires after net.core.xfrm_acq_expires (1s
	// here) with a hard expire event
	spi2, err := x.GetSPI(ctx, ip("fec0::2"), ip("fec0::1"), kernel.ProtoESP, 2)
	if err != nil {
		t.Fatal(err)
	}
	ev := waitFor(t, x, 5*time.Second, func(ev kernel.Event) bool {
		e, ok := ev.(kernel.Expire)
		return ok && e.ID.SPI == spi2
	})
	want := kernel.Expire{ID: kernel.SAID{Src: ip("fec0::2"), Dst: ip("fec0::1"), SPI: spi2, Proto: kernel.ProtoESP}, Hard: true}
	if e, ok := ev.(kernel.Expire); !ok || e != want {
		t.Errorf("expire event %+v, want %+v", ev, want)
	}
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}

// Without kernel ESP (this development machine) AddSA fails with the
// kernel's answer, and Supported says so; with ESP both succeed.
func TestRealAddSAAndSupported(t *testing.T) {
	_, x, _ := moon(t)
	sa := saOut(0xc1234567, 1)
	sa.Encr, sa.Integ = encr(encrAESCBC, 16), integ(authHMACSHA256128, 32)
	addErr := x.AddSA(ctx, &sa)
	ok, err := Supported()
	if err != nil {
		t.Fatal(err)
	}
	if ok != (addErr == nil) {
		t.Errorf("Supported() = %v but AddSA: %v", ok, addErr)
	}
	if addErr != nil {
		t.Logf("no kernel ESP here: %v", addErr)
		if !errors.Is(addErr, syscall.EPROTONOSUPPORT) {
			t.Errorf("unexpected error %v", addErr)
		}
	}
}

func TestRealPolicies(t *testing.T) {
	ns, x, _ := moon(t)
	out := tunnelPolicy(kernel.DirOut, 0xc1234567)
	in := tunnelPolicy(kernel.DirIn, 0xc2000001)
	fwd := tunnelPolicy(kernel.DirFwd, 0xc2000001)
	for _, p := range []*kernel.Policy{&out, &in, &fwd} {
		mustAdd(t, x, p)
	}
	got := ns.IP(t, "xfrm", "policy")
	for _, want := range []string{
		"src 10.1.0.0/16 dst 10.2.0.0/16 \n\tdir out priority 383615 ptype main \n\ttmpl src 192.168.0.1 dst 192.168.0.2\n\t\tproto esp spi 0xc1234567 reqid 1 mode tunnel\n",
		"src 10.2.0.0/16 dst 10.1.0.0/16 \n\tdir in priority 383615 ptype main \n\ttmpl src 192.168.0.2 dst 192.168.0.1\n\t\tproto esp reqid 1 mode tunnel\n",
		"src 10.2.0.0/16 dst 10.1.0.0/16 \n\tdir fwd priority 383615 ptype main \n\ttmpl src 192.168.0.2 dst 192.168.0.1\n\t\tproto esp reqid 1 mode tunnel\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ip xfrm policy lacks\n%s\n---\n%s", want, got)
		}
	}
	// the route charon installs with the outbound policy
	const route = "10.2.0.0/16 via 192.168.0.2 dev eth0 proto static src 10.1.0.1 \n"
	if r := ns.IP(t, "route", "show", "table", "220"); r != route {
		t.Errorf("table 220:\n%q\nwant\n%q", r, route)
	}
	if used, err := x.QueryPolicy(ctx, &out); err != nil || !used.IsZero() {
		t.Errorf("QueryPolicy = %v, %v", used, err)
	}

	// rekeying: the new CHILD_SA's policy replaces the old one at once
	outNew := tunnelPolicy(kernel.DirOut, 0xc7654321)
	mustAdd(t, x, &outNew)
	if got := ns.IP(t, "xfrm", "policy", "list", "dir", "out"); !strings.Contains(got, "spi 0xc7654321") ||
		strings.Count(got, "src 10.1.0.0/16 dst 10.2.0.0/16") != 1 {
		t.Errorf("after rekeying:\n%s", got)
	}
	mustDel(t, x, &out)
	if got := ns.IP(t, "xfrm", "policy", "list", "dir", "out"); !strings.Contains(got, "spi 0xc7654321") {
		t.Errorf("removing the old CHILD_SA's policy changed the kernel:\n%s", got)
	}
	if r := ns.IP(t, "route", "show", "table", "220"); r != route {
		t.Errorf("route changed: %q", r)
	}
	for _, p := range []*kernel.Policy{&outNew, &in, &fwd} {
		mustDel(t, x, p)
	}
	if got := ns.IP(t, "xfrm", "policy"); got != "" {
		t.Errorf("policies left:\n%s", got)
	}
	if r := ns.IP(t, "route", "show", "table", "220"); r != "" {
		t.Errorf("route left: %q", r)
	}
	if err := x.DelPolicy(ctx, &in); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if _, err := x.QueryPolicy(ctx, &in); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("querying a deleted policy: %v", err)
	}
}

func TestRealShuntsAndSelectors(t *testing.T) {
	ns, x, _ := moon(t)
	pass := kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyPass,
		Src: ts("10.1.0.0/16"), Dst: ts("10.2.5.0/24")}
	drop := kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyDrop,
		Src: withPorts(ts("10.1.0.0/24"), 6, 1000, 2000), Dst: withPorts(ts("10.2.0.5/32"), 6, 80, 80)}
	icmp := kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyPass,
		Src: withPorts(ts("0.0.0.0/0"), 1, 0, 0xffff), Dst: withPorts(ts("192.168.0.0/24"), 1, 8<<8, 8<<8)}
	iface := kernel.Policy{Dir: kernel.DirIn, Type: kernel.PolicyIPsec, ReqID: 3, Mode: kernel.ModeTransport,
		Src: ts("fec0::2/128"), Dst: ts("fec0::1/128"), SrcAddr: ip("fec0::2"), DstAddr: ip("fec0::1"), Interface: "eth0"}
	for _, p := range []*kernel.Policy{&pass, &drop, &icmp, &iface} {
		mustAdd(t, x, p)
	}
	got := ns.IP(t, "xfrm", "policy")
	for _, want := range []string{
		"src 10.1.0.0/16 dst 10.2.5.0/24 \n\tdir out priority 179519 ptype main \n",
		"src 10.1.0.0/24 dst 10.2.0.5/32 proto tcp sport 0 dport 80 \n\tdir out action block priority 570987 ptype main \n",
		"src 0.0.0.0/0 dst 192.168.0.0/24 proto icmp type 8 \n\tdir out priority 187391 ptype main \n",
		"src fec0::2/128 dst fec0::1/128 dev eth0 \n\tdir in priority 268925 ptype main \n\ttmpl src :: dst ::\n\t\tproto esp reqid 3 mode transport\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ip xfrm policy lacks\n%q\n---\n%q", want, got)
		}
	}
	// a bypass policy gets a throw route past wider tunnel routes
	if r := ns.IP(t, "route", "show", "table", "220"); r != "throw 10.2.5.0/24 proto static \n" {
		t.Errorf("table 220: %q", r)
	}
	// traffic through it sets its use time
	if used, err := x.QueryPolicy(ctx, &pass); err != nil || !used.IsZero() {
		t.Errorf("QueryPolicy before traffic = %v, %v", used, err)
	}
	ns.Route(t, "10.2.0.0/16", "192.168.0.2", "eth0")
	before := time.Now().Truncate(time.Second).Add(-time.Second) // whole seconds
	if err := sendUDP(t, ns, [4]byte{10, 1, 0, 1}, 40000, [4]byte{10, 2, 5, 5}, 53); err != nil {
		t.Fatal(err)
	}
	if used, err := x.QueryPolicy(ctx, &pass); err != nil || used.Before(before) || used.After(time.Now().Add(time.Second)) {
		t.Errorf("QueryPolicy after traffic = %v, %v", used, err)
	}
	for _, p := range []*kernel.Policy{&pass, &drop, &icmp, &iface} {
		mustDel(t, x, p)
	}
	if got := ns.IP(t, "xfrm", "policy"); got != "" {
		t.Errorf("policies left:\n%s", got)
	}
	if r := ns.IP(t, "route", "show", "table", "220"); r != "" {
		t.Errorf("route left: %q", r)
	}
}

// Traffic matching a trap policy raises an acquire with the reqid and the
// packet's selectors; the policy's use time is then set.
func TestRealTrapAcquire(t *testing.T) {
	ns, x, _ := moon(t)
	trap := tunnelPolicy(kernel.DirOut, 0)
	trap.Trap, trap.ReqID = true, 5
	trap.Dst = ts("10.3.0.0/16")
	mustAdd(t, x, &trap)
	if got := ns.IP(t, "xfrm", "policy"); !strings.Contains(got, "dir out priority 383616 ptype main \n\ttmpl src 192.168.0.1 dst 192.168.0.2\n\t\tproto esp reqid 5 mode tunnel") {
		t.Errorf("trap policy:\n%s", got)
	}
	// dropped while the SA is negotiated (xfrm_larval_drop)
	_ = sendUDP(t, ns, [4]byte{10, 1, 0, 1}, 40000, [4]byte{10, 3, 0, 5}, 53)
	ev := waitFor(t, x, 5*time.Second, func(ev kernel.Event) bool { _, ok := ev.(kernel.Acquire); return ok })
	want := kernel.Acquire{ReqID: 5, Src: withPorts(ts("10.1.0.1/32"), 17, 40000, 40000),
		Dst: withPorts(ts("10.3.0.5/32"), 17, 53, 53)}
	if a, ok := ev.(kernel.Acquire); !ok || a != want {
		t.Errorf("acquire %+v, want %+v", ev, want)
	}
	// (the kernel sets a policy's use time only once a packet passed it;
	// TestRealShuntsAndSelectors checks that with a bypass policy)
	mustDel(t, x, &trap)
}

// sendUDP sends a datagram from src:sport to dst:dport inside the
// namespace and returns the send error.
func sendUDP(t *testing.T, ns *nstest.NS, src [4]byte, sport int, dst [4]byte, dport int) error {
	t.Helper()
	var serr error
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Port: sport, Addr: src}); err != nil {
			return err
		}
		serr = unix.Sendto(fd, []byte("hello"), 0, &unix.SockaddrInet4{Port: dport, Addr: dst})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return serr
}

// The policies of an SA follow it to new endpoints (the policy half of
// UpdateSA; re-adding the SA needs kernel ESP).
func TestRealPoliciesFollowSA(t *testing.T) {
	ns, x, _ := moon(t)
	ns.AddAddr(t, "eth0", "192.168.0.10/24")
	out := tunnelPolicy(kernel.DirOut, 0xc1234567)
	in := tunnelPolicy(kernel.DirIn, 0xc2000001)
	mustAdd(t, x, &out)
	mustAdd(t, x, &in)
	x.movePolicies(ctx, kernel.SAID{Src: ip("192.168.0.1"), Dst: ip("192.168.0.2"), SPI: 0xc1234567, Proto: 50},
		ip("192.168.0.10"), ip("192.168.0.2"))
	x.movePolicies(ctx, kernel.SAID{Src: ip("192.168.0.2"), Dst: ip("192.168.0.1"), SPI: 0xc2000001, Proto: 50},
		ip("192.168.0.2"), ip("192.168.0.10"))
	got := ns.IP(t, "xfrm", "policy")
	if !strings.Contains(got, "dir out priority 383615 ptype main \n\ttmpl src 192.168.0.10 dst 192.168.0.2\n\t\tproto esp spi 0xc1234567") ||
		!strings.Contains(got, "dir in priority 383615 ptype main \n\ttmpl src 192.168.0.2 dst 192.168.0.10\n") {
		t.Errorf("policies after the move:\n%s", got)
	}
	// the core deletes them with the endpoints it installed them with
	mustDel(t, x, &out)
	mustDel(t, x, &in)
	if got := ns.IP(t, "xfrm", "policy"); got != "" {
		t.Errorf("policies left:\n%s", got)
	}
}

// A socket with a bypass policy is exempt from a drop policy that blocks
// everything else.
func TestRealBypassSocket(t *testing.T) {
	ns, x, _ := moon(t)
	drop := kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyDrop, Src: ts("0.0.0.0/0"), Dst: ts("0.0.0.0/0")}
	mustAdd(t, x, &drop)
	send := func(bypass bool) error {
		return ns.Do(func() error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if bypass {
				if err := BypassSocket(fd, unix.AF_INET); err != nil {
					return err
				}
			}
			return unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Port: 500, Addr: [4]byte{192, 168, 0, 2}})
		})
	}
	if err := send(false); !errors.Is(err, unix.EPERM) {
		t.Errorf("send through the drop policy: %v", err)
	}
	if err := send(true); err != nil {
		t.Errorf("send with a bypass policy: %v", err)
	}
	err := ns.Do(func() error {
		fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := BypassSocket(fd, unix.AF_INET6); err != nil {
			return err
		}
		if err := BypassSocket(fd, 99); err == nil {
			return errors.New("family 99 accepted")
		}
		udp, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		defer unix.Close(udp)
		return EnableUDPDecap(udp)
	})
	if err != nil {
		t.Error(err)
	}
	mustDel(t, x, &drop)
}

func TestRealClose(t *testing.T) {
	_, x, _ := moon(t)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	p := tunnelPolicy(kernel.DirOut, 1)
	if err := x.AddPolicy(ctx, &p); err == nil {
		t.Errorf("AddPolicy after Close succeeded")
	}
}
