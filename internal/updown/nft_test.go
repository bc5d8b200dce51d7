package updown

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
)

const firewallCmd = "ipsec _updown iptables"

// labRules is the restrictive firewall strongSwan's scenarios load with
// iptables-restore (DROP policies, only IKE/ESP/ssh open).
func labRules(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testing/hosts/default/etc/iptables.rules")
	if err != nil {
		t.Skipf("lab iptables rules: %v", err)
	}
	return b
}

// save returns iptables-save and ip6tables-save of the namespace without
// the comment lines.
func (n *testNS) save(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, cmd := range []string{"iptables-save", "ip6tables-save"} {
		for _, l := range strings.Split(n.run(t, cmd), "\n") {
			if !strings.HasPrefix(l, "#") && l != "" {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}

var commentRE = regexp.MustCompile(` -m comment --comment "goswan [^"]*"`)

// firewallCases are CHILD_SAs with leftfirewall=yes, as the default
// script sees them.
var firewallCases = []struct {
	name  string
	setup func(s sas) (sas, Extra)
}{
	{"net-net", func(s sas) (sas, Extra) { return s, Extra{} }},
	{"host-host-tcp-ah", func(s sas) (sas, Extra) {
		s.child.Proto = kernel.ProtoAH
		s.child.Local = []kernel.TS{ts("192.168.0.1/32", 6, 22, 22)}
		s.child.Remote = []kernel.TS{ts("192.168.0.2/32", 6, 0, 0xffff)}
		return s, Extra{}
	}},
	{"host-peer-port-ipcomp", func(s sas) (sas, Extra) {
		// only the peer has a port: the policy match comes first in OUTPUT
		s.child.Local = []kernel.TS{ts("192.168.0.1/32", 17, 0, 0xffff)}
		s.child.Remote = []kernel.TS{ts("192.168.0.2/32", 17, 53, 53)}
		return s, Extra{IPComp: true}
	}},
	{"gateway-hostaccess", func(s sas) (sas, Extra) {
		s.child.Config.HostAccess = true
		s.child.Remote = []kernel.TS{anyTS("10.3.0.1/32")}
		return s, Extra{}
	}},
	{"roadwarrior-vip", func(s sas) (sas, Extra) {
		s.child.Local = []kernel.TS{anyTS("10.3.0.1/32")}
		s.child.Remote = []kernel.TS{anyTS("10.1.0.0/16"), anyTS("10.3.0.1/32")}
		return s, Extra{MyVIPs: []netip.Addr{netip.MustParseAddr("10.3.0.1")}}
	}},
	{"ranges-and-ports", func(s sas) (sas, Extra) {
		s.child.Local = []kernel.TS{ts("10.1.0.17-10.1.0.20", 6, 1000, 2000), ts("10.1.0.0/16", 17, 0, 1023)}
		s.child.Remote = []kernel.TS{ts("10.2.16.0/20", 6, 80, 80), ts("10.2.0.0/15", 17, 1024, 65535)}
		return s, Extra{}
	}},
	{"icmp", func(s sas) (sas, Extra) {
		s.child.Local = []kernel.TS{ts("10.1.0.0/16", 1, 0x0800, 0x0800)}
		s.child.Remote = []kernel.TS{ts("10.2.0.0/16", 1, 0x0803, 0x0803), anyTS("10.4.0.0/16")}
		return s, Extra{}
	}},
	{"v6", func(s sas) (sas, Extra) {
		s.ike.Local = netip.MustParseAddrPort("[fec0::1]:500")
		s.ike.Remote = netip.MustParseAddrPort("[fec0::2]:500")
		s.child.Local = []kernel.TS{anyTS("fec1::/16"), anyTS("fec0::1/128"), anyTS("10.1.0.0/16")}
		s.child.Remote = []kernel.TS{anyTS("fec2::/16"), ts("fec0::2/128", 58, 0x8000, 0x8000), anyTS("10.2.0.0/16")}
		return s, Extra{}
	}},
}

// updownScript is strongSwan's default updown script (the Debian
// package's), with its syslog lines turned off.
func updownScript(t *testing.T) string {
	b, err := os.ReadFile("/usr/lib/ipsec/_updown")
	if err != nil {
		t.Skipf("strongSwan's _updown: %v", err)
	}
	b = bytes.Replace(b, []byte("\nVPN_LOGGING=1\n"), []byte("\nVPN_LOGGING=\n"), 1)
	name := filepath.Join(t.TempDir(), "_updown")
	if err := os.WriteFile(name, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestFirewallParity runs strongSwan's _updown with iptables in one
// namespace and our listener in another, both with the lab's DROP-policy
// rules loaded, and compares the results: the rules as iptables-save
// prints them, and their nftables expressions as the kernel stores them.
// Then both go down, which must restore the rules loaded before.
func TestFirewallParity(t *testing.T) {
	requireRoot(t)
	script := updownScript(t)
	rules := labRules(t)
	for _, tc := range firewallCases {
		t.Run(tc.name, func(t *testing.T) {
			ref, ours := newNS(t), newNS(t)
			ref.restore(t, rules)
			ours.restore(t, rules)
			before := ours.save(t)
			if got := ref.save(t); got != before {
				t.Fatalf("namespaces differ before:\n%s\n%s", got, before)
			}
			s, x := tc.setup(newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")}))
			lg, logs := newLogs(t)
			l := New(Options{Log: lg, NetNS: int(ours.fd), Nexthop: eth0, Extra: func(*sa.IKESA, *sa.ChildSA) Extra { return x }})

			// runUpdown returns how many iptables commands failed
			runUpdown := func(up bool) int {
				failed := 0
				for _, env := range invocations(l, s, up) {
					c := ref.cmd(script, "iptables")
					c.Env = env
					out, err := c.CombinedOutput()
					if err != nil {
						t.Fatalf("_updown: %v: %s", err, out)
					}
					failed += strings.Count(string(out), "Try `ip")
				}
				return failed
			}
			failed := runUpdown(true)
			l.ChildUpDown(s.ike, s.child, true)
			l.Drain()
			skipped := 0
			for _, line := range logs.all() {
				switch {
				case strings.HasPrefix(line, "updown: skipping firewall rule "):
					skipped++
				case !strings.HasPrefix(line, "updown: inserting firewall rule ") &&
					!strings.HasPrefix(line, "updown approximates "):
					t.Errorf("logged %q", line)
				}
			}
			// the rules iptables refuses are the ones we skip
			if skipped != failed {
				t.Errorf("we skipped %d rules, iptables refused %d", skipped, failed)
			}
			want, got := ref.save(t), ours.save(t)
			if n := len(commentRE.FindAllString(got, -1)); n == 0 {
				t.Errorf("no goswan rules in\n%s", got)
			}
			if stripped := commentRE.ReplaceAllString(got, ""); stripped != want {
				t.Errorf("iptables-save differs:\n--- _updown\n%s--- ours\n%s", want, got)
			}
			compareExprs(t, ref, ours)

			runUpdown(false)
			l.ChildUpDown(s.ike, s.child, false)
			l.Drain()
			// iptables leaves the tables and chains it created (empty,
			// accepting); we delete them
			if got, want := ours.save(t), ref.save(t); got != before || !slices.Equal(ruleLines(want), ruleLines(before)) {
				t.Errorf("after down:\n--- _updown\n%s--- ours\n%s--- before\n%s", want, got, before)
			}
		})
	}
}

func ruleLines(save string) []string {
	var out []string
	for _, l := range strings.Split(save, "\n") {
		if strings.HasPrefix(l, "-A ") {
			out = append(out, l)
		}
	}
	return out
}

// compareExprs compares the rules of the filter chains of two namespaces
// at the netlink level, ignoring counters. ICMP types are the exception:
// iptables puts them into an xtables "icmp" match, we into a payload
// comparison, which iptables-save prints the same way.
func compareExprs(t *testing.T, a, b *testNS) {
	t.Helper()
	ca, _ := nftables.New(nftables.WithNetNSFd(int(a.fd)))
	cb, _ := nftables.New(nftables.WithNetNSFd(int(b.fd)))
	for _, v6 := range []bool{false, true} {
		for _, chain := range []fwChain{chainInput, chainForward, chainOutput} {
			ra, errA := ca.GetRules(table(v6), chainRef(v6, chain))
			rb, errB := cb.GetRules(table(v6), chainRef(v6, chain))
			if (errA == nil) != (errB == nil) {
				t.Errorf("%s %s: %v / %v", tableName(v6), chain, errA, errB)
				continue
			}
			if len(ra) != len(rb) {
				t.Errorf("%s %s: %d rules / %d rules", tableName(v6), chain, len(ra), len(rb))
				continue
			}
			for i := range ra {
				ea, eb := exprBytes(t, ra[i]), exprBytes(t, rb[i])
				if hasICMPMatch(ra[i]) {
					continue
				}
				if !slices.EqualFunc(ea, eb, bytes.Equal) {
					t.Errorf("%s %s rule %d differs:\n%x\n%x", tableName(v6), chain, i, ea, eb)
				}
			}
		}
	}
}

func exprBytes(t *testing.T, r *nftables.Rule) [][]byte {
	var out [][]byte
	for _, e := range r.Exprs {
		if _, ok := e.(*expr.Counter); ok {
			continue
		}
		b, err := expr.Marshal(byte(r.Table.Family), e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func hasICMPMatch(r *nftables.Rule) bool {
	for _, e := range r.Exprs {
		if m, ok := e.(*expr.Match); ok && (m.Name == "icmp" || m.Name == "icmp6") {
			return true
		}
	}
	return false
}

// TestFirewallRules: the rules for the TUN datapath and for XFRM, as
// iptables-save prints them.
func TestFirewallRules(t *testing.T) {
	s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	s.child.Config.HostAccess = true
	for _, tc := range []struct {
		dp   Datapath
		want []string
	}{
		{XFRM, []string{
			`-A FORWARD -s 10.1.0.0/16 -d 10.2.0.0/16 -o eth0 -m policy --dir out --pol ipsec --reqid 1 --proto esp -m comment --comment "goswan net-net{1}" -j ACCEPT`,
			`-A FORWARD -s 10.2.0.0/16 -d 10.1.0.0/16 -i eth0 -m policy --dir in --pol ipsec --reqid 1 --proto esp -m comment --comment "goswan net-net{1}" -j ACCEPT`,
			`-A INPUT -s 10.2.0.0/16 -d 10.1.0.0/16 -i eth0 -m policy --dir in --pol ipsec --reqid 1 --proto esp -m comment --comment "goswan net-net{1}" -j ACCEPT`,
			`-A OUTPUT -s 10.1.0.0/16 -d 10.2.0.0/16 -o eth0 -m policy --dir out --pol ipsec --reqid 1 --proto esp -m comment --comment "goswan net-net{1}" -j ACCEPT`,
		}},
		{TUN, []string{
			`-A FORWARD -s 10.1.0.0/16 -d 10.2.0.0/16 -o tun7 -m comment --comment "goswan net-net{1}" -j ACCEPT`,
			`-A FORWARD -s 10.2.0.0/16 -d 10.1.0.0/16 -i tun7 -m comment --comment "goswan net-net{1}" -j ACCEPT`,
			`-A INPUT -s 10.2.0.0/16 -d 10.1.0.0/16 -i tun7 -m comment --comment "goswan net-net{1}" -j ACCEPT`,
			`-A OUTPUT -s 10.1.0.0/16 -d 10.2.0.0/16 -o tun7 -m comment --comment "goswan net-net{1}" -j ACCEPT`,
		}},
	} {
		var lines []string
		l := New(Options{Datapath: tc.dp, Interface: "tun7"})
		ev := newEvent(s.ike, s.child, true, nil)
		for _, p := range ev.pairs() {
			rules, errs := l.firewallRules(ev, p, "eth0")
			if len(errs) > 0 {
				t.Errorf("%v", errs)
			}
			for _, r := range rules {
				lines = append(lines, r.String())
			}
		}
		if !slices.Equal(lines, tc.want) {
			t.Errorf("%v:\n%s\nwant\n%s", tc.dp, strings.Join(lines, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// TestFirewallUnsupported: rules iptables would refuse (ports without a
// protocol that has them) are skipped with a message, the others go in.
func TestFirewallUnsupported(t *testing.T) {
	s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{ts("10.2.0.0/16", 6, 80, 80)})
	l := New(Options{})
	ev := newEvent(s.ike, s.child, true, nil)
	rules, errs := l.firewallRules(ev, ev.pairs()[0], "eth0")
	if len(rules) != 1 || len(errs) != 1 || rules[0].Chain != chainForward || rules[0].Out != "eth0" {
		t.Errorf("rules %v, errors %q", rules, errs)
	}
}

// TestFirewallLifecycle: in an empty namespace the listener creates
// iptables-nft's table and chains as "iptables -I" would and removes
// them with the last rule; with the lab's DROP rules it inserts at the
// head of the chains without touching their policies and leaves the
// ruleset as before; a rekey (with or without the core's extra up)
// hands the rules over; Close removes what is left.
func TestFirewallLifecycle(t *testing.T) {
	requireRoot(t)
	t.Run("empty", func(t *testing.T) {
		n := newNS(t)
		before := n.run(t, "nft", "list", "ruleset")
		s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16"), anyTS("fec1::/16")}, []kernel.TS{anyTS("10.2.0.0/16"), anyTS("fec2::/16")})
		l := New(Options{NetNS: int(n.fd), Nexthop: eth0})
		l.ChildUpDown(s.ike, s.child, true)
		l.Drain()
		text := n.run(t, "nft", "list", "ruleset")
		for _, want := range []string{"table ip filter", "table ip6 filter", "chain FORWARD",
			`iifname "eth0" ip saddr 10.2.0.0/16 ip daddr 10.1.0.0/16`, `comment "goswan net-net{1}"`} {
			if !strings.Contains(text, want) {
				t.Errorf("no %q in\n%s", want, text)
			}
		}
		if strings.Contains(text, "chain INPUT") {
			t.Errorf("chain INPUT created without need:\n%s", text)
		}
		l.ChildUpDown(s.ike, s.child, false)
		l.Drain()
		if after := n.run(t, "nft", "list", "ruleset"); after != before {
			t.Errorf("after down:\n%s\nbefore:\n%s", after, before)
		}
	})
	t.Run("drop-policy", func(t *testing.T) {
		n := newNS(t)
		n.restore(t, labRules(t))
		before := n.run(t, "nft", "list", "ruleset")
		s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
		s.child.Config.HostAccess = true
		l := New(Options{NetNS: int(n.fd), Nexthop: eth0})
		l.ChildUpDown(s.ike, s.child, true)
		l.Drain()
		text := n.run(t, "nft", "list", "ruleset")
		t.Logf("nft list ruleset:\n%s", text)
		if n := strings.Count(text, `comment "goswan net-net{1}"`); n != 4 {
			t.Errorf("%d of our rules in nft list ruleset, want 4", n)
		}
		// the rules, read back through netlink, sit at the head of the
		// chains iptables-nft registered, whose policies are still drop
		c, _ := nftables.New(nftables.WithNetNSFd(int(n.fd)))
		chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chains {
			if ch.Table.Name != "filter" {
				continue
			}
			if ch.Policy == nil || *ch.Policy != nftables.ChainPolicyDrop {
				t.Errorf("chain %s policy changed", ch.Name)
			}
			rules, err := c.GetRules(ch.Table, ch)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"INPUT": 1, "OUTPUT": 1, "FORWARD": 2}[ch.Name]
			for i := 0; i < want; i++ {
				if i >= len(rules) || commentOf(rules[i]) != "goswan net-net{1}" {
					t.Errorf("chain %s rule %d is not ours", ch.Name, i)
				}
			}
		}
		// iptables-nft still reads and edits the table
		n.run(t, "iptables", "-A", "INPUT", "-i", "eth0", "-s", "192.168.0.2", "-j", "DROP")
		n.run(t, "iptables", "-D", "INPUT", "-i", "eth0", "-s", "192.168.0.2", "-j", "DROP")
		listing := n.run(t, "iptables", "-S")
		if !strings.Contains(listing, `-A INPUT -s 10.2.0.0/16 -d 10.1.0.0/16 -i eth0 -m policy --dir in --pol ipsec --reqid 1 --proto esp -m comment --comment "goswan net-net{1}" -j ACCEPT`) {
			t.Errorf("iptables -S:\n%s", listing)
		}
		// an equal rule is found by iptables -C
		n.run(t, "iptables", "-C", "FORWARD", "-i", "eth0", "-s", "10.2.0.0/16", "-d", "10.1.0.0/16",
			"-m", "policy", "--pol", "ipsec", "--proto", "esp", "--reqid", "1", "--dir", "in",
			"-m", "comment", "--comment", "goswan net-net{1}", "-j", "ACCEPT")
		l.ChildUpDown(s.ike, s.child, false)
		l.Drain()
		if after := n.run(t, "nft", "list", "ruleset"); after != before {
			t.Errorf("after down:\n%s\nbefore:\n%s", after, before)
		}
	})
	t.Run("rekey-and-close", func(t *testing.T) {
		n := newNS(t)
		n.restore(t, labRules(t))
		before := n.run(t, "nft", "list", "ruleset")
		count := func() int { return strings.Count(n.run(t, "nft", "list", "ruleset"), `comment "goswan`) }
		l := New(Options{NetNS: int(n.fd), Nexthop: eth0})
		s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
		l.ChildUpDown(s.ike, s.child, true)
		// a rekey as the core does it today: up for the new CHILD_SA,
		// then the rekey event; the old one goes without a down
		n2 := *s.child
		n2.UniqueID = 2
		l.ChildUpDown(s.ike, &n2, true)
		l.ChildRekey(s.ike, s.child, &n2)
		l.Drain()
		if c := count(); c != 2 {
			t.Errorf("%d rules after rekey, want 2", c)
		}
		// a rekey as charon does it: no up for the new CHILD_SA
		n3 := *s.child
		n3.UniqueID = 3
		l.ChildRekey(s.ike, &n2, &n3)
		l.ChildUpDown(s.ike, &n3, false)
		l.Drain()
		if after := n.run(t, "nft", "list", "ruleset"); after != before {
			t.Errorf("after rekeys and down:\n%s\nbefore:\n%s", after, before)
		}
		// Close removes what is still up
		l.ChildUpDown(s.ike, s.child, true)
		l.Drain()
		if c := count(); c != 2 {
			t.Errorf("%d rules, want 2", c)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if after := n.run(t, "nft", "list", "ruleset"); after != before {
			t.Errorf("after Close:\n%s\nbefore:\n%s", after, before)
		}
	})
	t.Run("flushed-meanwhile", func(t *testing.T) {
		// the admin reloads the rules while the tunnel is up: the down
		// deletes nothing of the new ruleset, even where handles repeat
		n := newNS(t)
		rules := labRules(t)
		n.restore(t, rules)
		l := New(Options{NetNS: int(n.fd), Nexthop: eth0})
		s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
		l.ChildUpDown(s.ike, s.child, true)
		l.Drain()
		n.run(t, "nft", "flush", "ruleset")
		n.restore(t, rules)
		n.run(t, "iptables", "-I", "FORWARD", "-j", "ACCEPT")
		n.run(t, "iptables", "-I", "FORWARD", "-j", "ACCEPT")
		before := n.run(t, "nft", "list", "ruleset")
		l.ChildUpDown(s.ike, s.child, false)
		l.Drain()
		if after := n.run(t, "nft", "list", "ruleset"); after != before {
			t.Errorf("down changed the new ruleset:\n%s\nbefore:\n%s", after, before)
		}
	})
}

// TestNexthop: PLUTO_INTERFACE comes from the most specific route to the
// peer, ignoring charon's table 220 (where routes into the tunnel live).
func TestNexthop(t *testing.T) {
	n := newNS(t)
	n.run(t, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
	n.run(t, "ip", "link", "set", "eth0", "up")
	n.run(t, "ip", "link", "set", "eth1", "up")
	n.run(t, "ip", "addr", "add", "192.168.0.1/24", "dev", "eth0")
	n.run(t, "ip", "addr", "add", "10.1.0.1/16", "dev", "eth1")
	n.run(t, "ip", "route", "add", "default", "via", "192.168.0.254")
	n.run(t, "ip", "route", "add", "192.168.0.2/32", "dev", "eth1", "table", "220")
	n.run(t, "ip", "rule", "add", "table", "220", "priority", "220")
	for _, tc := range []struct{ peer, want string }{
		{"192.168.0.2", "eth0"},
		{"10.1.0.7", "eth1"},
		{"8.8.8.8", "eth0"},
		{"fec0::1", ""},
	} {
		if got := nexthop(int(n.fd), netip.MustParseAddr(tc.peer), netip.Addr{}, 220); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.peer, got, tc.want)
		}
	}
}

// udp4 builds an IPv4/UDP packet.
func udp4(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 28+len(payload))
	b[0], b[8], b[9] = 0x45, 64, unix.IPPROTO_UDP
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	copy(b[12:16], src.AsSlice())
	copy(b[16:20], dst.AsSlice())
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(b[10:], ^uint16(sum))
	binary.BigEndian.PutUint16(b[20:], sport)
	binary.BigEndian.PutUint16(b[22:], dport)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(payload)))
	copy(b[28:], payload)
	return b
}

// TestTrafficThroughDropPolicy forwards real packets through a gateway
// namespace that loaded the lab's DROP-policy rules with iptables-restore:
// alice (10.1.0.10) sits behind it on a veth, the tunnel is a TUN device
// ipsec0 (the userspace datapath writes decrypted packets into it and
// reads the packets to encrypt from it), routed to 10.2.0.0/16. Packets
// from the tunnel to alice and from alice into the tunnel pass only while
// the CHILD_SA is up. With the XFRM datapath the same packets stay
// dropped: they carry no IPsec policy, which the rules require.
func TestTrafficThroughDropPolicy(t *testing.T) {
	gw, alice := newNS(t), newNS(t)
	gw.run(t, "ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", alice.name)
	gw.run(t, "ip", "addr", "add", "10.1.0.1/16", "dev", "eth1")
	gw.run(t, "ip", "link", "set", "eth1", "up")
	gw.run(t, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	alice.run(t, "ip", "addr", "add", "10.1.0.10/16", "dev", "eth0")
	alice.run(t, "ip", "link", "set", "eth0", "up")
	alice.run(t, "ip", "route", "add", "default", "via", "10.1.0.1")

	var tun *os.File
	gw.in(t, func() error {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		ifr, err := unix.NewIfreq("ipsec0")
		if err != nil {
			return err
		}
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			return fmt.Errorf("TUNSETIFF: %w", err)
		}
		tun = os.NewFile(uintptr(fd), "ipsec0")
		return nil
	})
	defer tun.Close()
	gw.run(t, "ip", "link", "set", "ipsec0", "up")
	gw.run(t, "ip", "route", "add", "10.2.0.0/16", "dev", "ipsec0")
	var sock *net.UDPConn
	alice.in(t, func() error {
		var err error
		sock, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 1, 0, 10), Port: 7777})
		return err
	})
	defer sock.Close()
	gw.restore(t, labRules(t))
	before := gw.run(t, "nft", "list", "ruleset")

	remote := netip.MustParseAddr("10.2.0.5")
	aliceAddr := netip.MustParseAddr("10.1.0.10")
	// in: a decrypted packet from the tunnel to alice
	in := func() bool {
		if _, err := tun.Write(udp4(remote, aliceAddr, 5555, 7777, []byte("in"))); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		_ = sock.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		for {
			n, _, err := sock.ReadFrom(buf)
			if err != nil {
				return false
			}
			if string(buf[:n]) == "in" {
				return true
			}
		}
	}
	// out: alice sends to the remote subnet, which the TUN must see
	out := func() bool {
		if _, err := sock.WriteTo([]byte("out"), &net.UDPAddr{IP: net.IPv4(10, 2, 0, 5), Port: 7777}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		_ = tun.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		for {
			n, err := tun.Read(buf)
			if err != nil {
				return false
			}
			if n >= 28 && buf[9] == unix.IPPROTO_UDP && string(buf[28:n]) == "out" {
				return true
			}
		}
	}
	check := func(stage string, want bool) {
		t.Helper()
		if got := in(); got != want {
			t.Errorf("%s: tunnel to alice passes: %v, want %v", stage, got, want)
		}
		if got := out(); got != want {
			t.Errorf("%s: alice to tunnel passes: %v, want %v", stage, got, want)
		}
	}
	check("before up", false)

	s := newSAs(firewallCmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	tunL := New(Options{Datapath: TUN, NetNS: int(gw.fd)})
	tunL.ChildUpDown(s.ike, s.child, true)
	tunL.Drain()
	check("TUN up", true)
	tunL.ChildUpDown(s.ike, s.child, false)
	tunL.Drain()
	check("TUN down", false)
	if after := gw.run(t, "nft", "list", "ruleset"); after != before {
		t.Errorf("after down:\n%s\nbefore:\n%s", after, before)
	}

	// XFRM rules (on the same interface) demand the IPsec policy, which
	// these packets lack
	xfrmL := New(Options{Datapath: XFRM, NetNS: int(gw.fd), Nexthop: func(netip.Addr, netip.Addr) string { return "ipsec0" }})
	xfrmL.ChildUpDown(s.ike, s.child, true)
	xfrmL.Drain()
	if !strings.Contains(gw.run(t, "iptables", "-S", "FORWARD"), "-i ipsec0 -m policy --dir in --pol ipsec") {
		t.Fatalf("no XFRM rules")
	}
	check("XFRM up", false)
	if err := xfrmL.Close(); err != nil {
		t.Fatal(err)
	}
	if after := gw.run(t, "nft", "list", "ruleset"); after != before {
		t.Errorf("after Close:\n%s\nbefore:\n%s", after, before)
	}
}
