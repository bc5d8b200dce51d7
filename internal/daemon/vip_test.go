package daemon

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/control"
)

// A gateway hands out a virtual IP and a DNS server from an in-memory
// pool (rightsourceip=, rightdns=); the client installs both; ipsec
// leases shows the lease, online and then offline.
func TestVirtualIPOverLoopback(t *testing.T) {
	pa, pb := freeUDPPort(t), freeUDPPort(t)
	na, nb := freeUDPPort(t), freeUDPPort(t)
	a := startDaemonConf(t, "127.0.0.1", "127.0.0.2", pa, na, pb, "a", "b", 0xa0000001,
		"auto=add\n\trightsourceip=10.3.0.0/28\n\trightdns=10.1.0.53")
	b := startDaemonConf(t, "127.0.0.2", "127.0.0.1", pb, nb, pa, "b", "a", 0xb0000001,
		"auto=add\n\tleftsourceip=%config")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if a.d.log.Flush(); !strings.Contains(a.out.String(), "adding virtual IP address pool 10.3.0.0/28") {
		t.Error("the pool was not announced")
	}
	out := &lines{}
	if err := b.d.Initiate(ctx, "net", "net", out); err != nil {
		t.Fatalf("initiate: %v", err)
	}
	for _, want := range []string{"installing new virtual IP 10.3.0.1",
		"installing DNS server 10.1.0.53 to " + filepath.Join(b.dir, "resolv.conf")} {
		if !out.has(want) {
			t.Errorf("ipsec up output lacks %q: %q", want, out.l)
		}
	}
	if got := b.d.net.(loopNet).virtualIPs(); len(got) != 1 || got[0] != "10.3.0.1/32" {
		t.Errorf("client's virtual IPs %v", got)
	}
	resolv, _ := os.ReadFile(filepath.Join(b.dir, "resolv.conf"))
	if string(resolv) != "nameserver 10.1.0.53   # by strongSwan\n" {
		t.Errorf("resolv.conf: %q", resolv)
	}
	leases := func() string {
		l, err := a.d.Leases(ctx, "10.3.0.0/28", "")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		control.WriteLeases(&buf, l, "10.3.0.0/28", "")
		return buf.String()
	}
	if got := leases(); got != "Leases in pool '10.3.0.0/28', usage: 1/14, 1 online\n         10.3.0.1   online   'b'\n" {
		t.Errorf("leases:\n%s", got)
	}
	bst, _ := b.d.Status(ctx, control.StatusQuery{SAs: true})
	if len(bst.IKESAs) != 1 {
		t.Fatalf("b has %d IKE_SAs", len(bst.IKESAs))
	}
	if err := b.d.TerminateIKE(ctx, bst.IKESAs[0].UniqueID, &lines{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(leases(), "offline") {
		time.Sleep(20 * time.Millisecond)
	}
	if got := leases(); got != "Leases in pool '10.3.0.0/28', usage: 1/14, 0 online\n         10.3.0.1   offline   'b'\n" {
		t.Errorf("leases after down:\n%s", got)
	}
	if got := b.d.net.(loopNet).virtualIPs(); len(got) != 0 {
		t.Errorf("client kept virtual IPs %v", got)
	}
	if resolv, _ := os.ReadFile(filepath.Join(b.dir, "resolv.conf")); len(resolv) != 0 {
		t.Errorf("resolv.conf after down: %q", resolv)
	}
}

// Host names (right=moon.strongswan.org) resolve to plain IPv4 addresses:
// Go's resolver returns IPv4-mapped IPv6 ones from /etc/hosts, which the
// kernel refuses as SA endpoints.
func TestResolveUnmapsIPv4(t *testing.T) {
	as, err := resolve("localhost")
	if err != nil || len(as) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	for _, a := range as {
		if a.Is4In6() {
			t.Fatalf("resolve returned %v", a)
		}
	}
}
