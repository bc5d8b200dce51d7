package updown

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const testPath = "/usr/sbin:/usr/bin:/sbin:/bin"

// envCases are fabricated CHILD_SAs whose environments are golden files.
var envCases = []struct {
	name  string
	setup func(s sas) (sas, Extra)
	up    bool
}{
	{name: "net-net", up: true, setup: func(s sas) (sas, Extra) { return s, Extra{} }},
	{name: "net-net-down", up: false, setup: func(s sas) (sas, Extra) { return s, Extra{} }},
	{name: "host-host-nat", up: true, setup: func(s sas) (sas, Extra) {
		// behind a NAT, marks, hostaccess, transport-like host selectors
		s.ike.Local = netip.MustParseAddrPort("192.168.0.1:4500")
		s.ike.Remote = netip.MustParseAddrPort("192.168.0.254:4500")
		s.ike.NATRemote = true
		s.ike.RemoteID = identity.MustParse("carol@strongswan.org")
		s.child.Config.Name = "host-host"
		s.child.Config.HostAccess = true
		s.child.Config.MarkIn = kernel.Mark{Value: 10, Mask: 0xffffffff}
		s.child.Config.MarkOut = kernel.Mark{Value: 11, Mask: 0xff}
		s.child.Proto = kernel.ProtoAH
		s.child.ReqID = 7
		s.child.Local = []kernel.TS{anyTS("192.168.0.1/32")}
		s.child.Remote = []kernel.TS{anyTS("192.168.0.254/32")}
		return s, Extra{IfIDIn: 42, IfIDOut: 43, IPComp: true}
	}},
	{name: "rw-eap-vip", up: true, setup: func(s sas) (sas, Extra) {
		// a gateway that assigned virtual IPs to an EAP-authenticated peer
		s.ike.UniqueID = 3
		s.ike.Peer.Name = "rw"
		s.ike.EAPAuthenticated = true
		s.ike.RemoteID = identity.MustParse("192.168.0.100")
		s.ike.Remote = netip.MustParseAddrPort("192.168.0.100:4500")
		s.ike.PeerVIPs = []netip.Addr{netip.MustParseAddr("10.3.0.1"), netip.MustParseAddr("fec3::1")}
		s.child.Config.Name = "rw"
		s.child.Local = []kernel.TS{anyTS("10.1.0.0/16")}
		s.child.Remote = []kernel.TS{anyTS("10.3.0.1/32")}
		return s, Extra{XAuthID: "carol"}
	}},
	{name: "rw-client-vip-dns", up: true, setup: func(s sas) (sas, Extra) {
		// a road warrior with a virtual IP and DNS servers it received,
		// EAP without an EAP identity (the IKE identity is used)
		s.ike.Peer.Name = "home"
		s.ike.EAPAuthenticated = true
		s.child.Config.Name = "home"
		s.child.Local = []kernel.TS{anyTS("10.3.0.1/32")}
		s.child.Remote = []kernel.TS{anyTS("10.1.0.0/16")}
		return s, Extra{
			MyVIPs: []netip.Addr{netip.MustParseAddr("10.3.0.1"), netip.MustParseAddr("fec3::1"), netip.MustParseAddr("10.3.0.2")},
			DNS:    []netip.Addr{netip.MustParseAddr("10.1.0.20"), netip.MustParseAddr("fec1::20"), netip.MustParseAddr("10.1.0.21")},
		}
	}},
	{name: "v6-net-net", up: true, setup: func(s sas) (sas, Extra) {
		s.ike.Local = netip.MustParseAddrPort("[fec0::1]:500")
		s.ike.Remote = netip.MustParseAddrPort("[fec0::2]:500")
		s.child.Local = []kernel.TS{anyTS("fec1::/16")}
		s.child.Remote = []kernel.TS{anyTS("fec2::/16")}
		return s, Extra{}
	}},
	{name: "v6-host", up: true, setup: func(s sas) (sas, Extra) {
		s.ike.Local = netip.MustParseAddrPort("[fec0::1]:500")
		s.ike.Remote = netip.MustParseAddrPort("[fec0::2]:500")
		s.child.Local = []kernel.TS{anyTS("fec0::1/128")}
		s.child.Remote = []kernel.TS{anyTS("fec0::2/128")}
		return s, Extra{}
	}},
	{name: "ports-icmp-ranges", up: true, setup: func(s sas) (sas, Extra) {
		// tcp ports and ranges, ICMP type/code, address ranges, and pairs
		// charon skips (family and protocol mismatches)
		s.child.Local = []kernel.TS{
			ts("10.1.0.17-10.1.0.20", 6, 80, 80),
			ts("10.1.0.0/16", 1, 0x0800, 0x0800),
			anyTS("fec1::/16"),
		}
		s.child.Remote = []kernel.TS{
			ts("10.2.0.0/16", 6, 1000, 2000),
			ts("10.2.0.0/16", 1, 0x0303, 0x0303),
			ts("fec2::/16", 58, 0x8000, 0x80ff),
		}
		return s, Extra{}
	}},
}

// invocations returns the environments the listener computes for a case.
func invocations(l *Listener, s sas, up bool) [][]string {
	ev := newEvent(s.ike, s.child, up, l.opts.Extra)
	var out [][]string
	for _, p := range ev.pairs() {
		out = append(out, ev.environ(p, "eth0"))
	}
	return out
}

func formatInvocations(envs [][]string) string {
	var b strings.Builder
	for i, env := range envs {
		if i > 0 {
			b.WriteString("---\n")
		}
		for _, v := range env {
			b.WriteString(v + "\n")
		}
	}
	return b.String()
}

// TestEnvironGolden checks the environment (names, values, charon's
// order) of every invocation against testdata/NAME.env.
func TestEnvironGolden(t *testing.T) {
	t.Setenv("PATH", testPath)
	for _, tc := range envCases {
		t.Run(tc.name, func(t *testing.T) {
			s, x := tc.setup(newSAs("/bin/true", []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")}))
			l := New(Options{Extra: func(*sa.IKESA, *sa.ChildSA) Extra { return x }})
			got := formatInvocations(invocations(l, s, tc.up))
			file := filepath.Join("testdata", tc.name+".env")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("environment differs from %s:\n%s", file, diffLines(string(want), got))
			}
		})
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d: want %q, got %q\n", i+1, a, c)
		}
	}
	return b.String()
}

// TestScriptEnvironment runs a script that dumps its environment for
// every golden case: the script sees exactly the variables charon passes
// (plus the PWD dash adds), once per selector pair, in order.
func TestScriptEnvironment(t *testing.T) {
	t.Setenv("PATH", testPath)
	for _, tc := range envCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "env.log")
			cmd := script(t, fmt.Sprintf("env >> %s; echo === >> %s", out, out))
			s, x := tc.setup(newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")}))
			lg, _ := newLogs(t)
			l := New(Options{Log: lg, Nexthop: eth0, Extra: func(*sa.IKESA, *sa.ChildSA) Extra { return x }})
			if !tc.up {
				l.ChildUpDown(s.ike, s.child, true)
				os.Remove(out)
			}
			l.ChildUpDown(s.ike, s.child, tc.up)
			l.Drain()
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			runs := strings.Split(strings.TrimSuffix(string(b), "===\n"), "===\n")
			want := invocations(l, s, tc.up)
			if len(runs) != len(want) {
				t.Fatalf("%d invocations, want %d", len(runs), len(want))
			}
			for i, run := range runs {
				var got []string
				for _, v := range strings.Split(strings.TrimSpace(run), "\n") {
					if !strings.HasPrefix(v, "PWD=") {
						got = append(got, v)
					}
				}
				slices.Sort(got)
				w := slices.Clone(want[i])
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Errorf("invocation %d:\n got %q\nwant %q", i, got, w)
				}
			}
		})
	}
}

// script writes an updown script and returns its path. (A command line
// cannot start with a compound command: charon, and we, prefix it with
// "2>&1 ", after which "{" or "case" is no reserved word.)
func script(t *testing.T, body string) string {
	name := filepath.Join(t.TempDir(), "updown.sh")
	if err := os.WriteFile(name, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestCompoundCommand: like charon, a command line starting with "{"
// fails (the shell's complaint goes to the daemon's stderr, not the log).
func TestCompoundCommand(t *testing.T) {
	lg, logs := newLogs(t)
	cmd := "{ echo hi; }"
	s := newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	l := New(Options{Log: lg, Nexthop: eth0})
	l.ChildUpDown(s.ike, s.child, true)
	l.Drain()
	if got := logs.all(); !slices.Equal(got, []string{"updown script '" + cmd + "' failed: exit status 2"}) {
		t.Errorf("logged %q", got)
	}
}

// TestVerbs: host when the local selector is our IKE address, -v6 by
// its family (or our address's for host).
func TestVerbs(t *testing.T) {
	for _, tc := range []struct {
		me            string
		local, remote kernel.TS
		up            bool
		want          string
	}{
		{"192.168.0.1", anyTS("10.1.0.0/16"), anyTS("10.2.0.0/16"), true, "up-client"},
		{"192.168.0.1", anyTS("10.1.0.0/16"), anyTS("10.2.0.0/16"), false, "down-client"},
		{"192.168.0.1", anyTS("192.168.0.1/32"), anyTS("192.168.0.2/32"), true, "up-host"},
		{"192.168.0.1", anyTS("192.168.0.1/32"), anyTS("10.2.0.0/16"), false, "down-host"},
		{"192.168.0.1", anyTS("10.3.0.1/32"), anyTS("10.1.0.0/16"), true, "up-client"},
		{"fec0::1", anyTS("fec1::/16"), anyTS("fec2::/16"), true, "up-client-v6"},
		{"fec0::1", anyTS("fec0::1/128"), anyTS("fec0::2/128"), false, "down-host-v6"},
		{"192.168.0.1", anyTS("fec1::/16"), anyTS("fec2::/16"), true, "up-client-v6"},
		{"fec0::1", anyTS("10.1.0.0/16"), anyTS("10.2.0.0/16"), false, "down-client"},
		{"192.168.0.1", ts("192.168.0.1/32", 6, 22, 22), anyTS("0.0.0.0/0"), true, "up-host"},
	} {
		p := newPair(netip.MustParseAddr(tc.me), tc.local, tc.remote)
		if got := p.verb(tc.up); got != tc.want {
			t.Errorf("%s %v === %v: %s, want %s", tc.me, tc.local, tc.remote, got, tc.want)
		}
	}
}

// TestApproximationLogged: charon's message for selectors that are no
// subnet (strongSwan's ikev1/rw-psk-ip-ranges scenario greps it).
func TestApproximationLogged(t *testing.T) {
	lg, logs := newLogs(t)
	s := newSAs("true", []kernel.TS{ts("10.1.0.17-10.1.0.20", 0, 0, 0xffff)}, []kernel.TS{ts("10.2.0.5-10.2.0.9", 0, 0, 0xffff)})
	l := New(Options{Log: lg, Nexthop: eth0})
	l.ChildUpDown(s.ike, s.child, true)
	l.Drain()
	lines := logs.all()
	for _, want := range []string{
		"updown approximates local TS 10.1.0.17..10.1.0.20 by next larger subnet",
		"updown approximates remote TS 10.2.0.5..10.2.0.9 by next larger subnet",
	} {
		if !hasLine(lines, want) {
			t.Errorf("no %q in %q", want, lines)
		}
	}
	env := invocations(l, s, true)[0]
	for _, want := range []string{"PLUTO_MY_CLIENT=10.1.0.16/29", "PLUTO_PEER_CLIENT=10.2.0.0/28"} {
		if !slices.Contains(env, want) {
			t.Errorf("no %s in %q", want, env)
		}
	}
}

// TestScriptOutputAndFailure: output lines are logged as "updown: ...",
// long ones in 127-byte pieces as charon's fgets does; stderr of the
// first command is merged (the "2>&1 " prefix), and a non-zero exit is
// logged.
func TestScriptOutputAndFailure(t *testing.T) {
	lg, logs := newLogs(t)
	long := strings.Repeat("x", 300)
	cmd := "echo hello; echo " + long + "; echo; printf 'no newline'"
	s := newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	l := New(Options{Log: lg, Nexthop: eth0})
	l.ChildUpDown(s.ike, s.child, true)
	l.Drain()
	got := logs.all()
	want := []string{"updown: hello", "updown: " + long[:127], "updown: " + long[:127], "updown: " + long[:46], "updown: ", "updown: no newline"}
	if !slices.Equal(got, want) {
		t.Errorf("logged\n%q\nwant\n%q", got, want)
	}

	lg, logs = newLogs(t)
	cmd = "ls /nonexistent-updown-test; exit 3"
	s = newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	l = New(Options{Log: lg, Nexthop: eth0})
	l.ChildUpDown(s.ike, s.child, true)
	l.Drain()
	got = logs.all()
	if len(got) != 2 || !strings.HasPrefix(got[0], "updown: ls: ") ||
		got[1] != "updown script '"+cmd+"' failed: exit status 3" {
		t.Errorf("logged %q", got)
	}
}

// TestScriptTimeout: a script that does not finish is killed with its
// process group, without holding the listener beyond the timeout.
func TestScriptTimeout(t *testing.T) {
	lg, logs := newLogs(t)
	cmd := "sleep 30 & sleep 30"
	s := newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	l := New(Options{Log: lg, Nexthop: eth0, Timeout: 200 * time.Millisecond, Wait: -1})
	start := time.Now()
	l.ChildUpDown(s.ike, s.child, true)
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("ChildUpDown took %v", d)
	}
	l.Drain()
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("killing took %v", d)
	}
	want := "updown script '" + cmd + "' failed: killed after 200ms"
	if lines := logs.wait(want); !hasLine(lines, want) {
		t.Errorf("logged %q", lines)
	}
}

// TestOrdering: ChildUpDown does not wait beyond Options.Wait, but the
// down of a CHILD_SA runs after its up, while another CHILD_SA's events
// are not held up by it.
func TestOrdering(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "order")
	cmd := script(t, fmt.Sprintf(`case $PLUTO_VERB:$PLUTO_REQID in up*:1) sleep 0.5;; esac; echo $PLUTO_VERB $PLUTO_REQID >> %s`, out))
	a := newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	b := newSAs(cmd, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.4.0.0/16")})
	b.child.UniqueID, b.child.ReqID = 2, 2
	lg, _ := newLogs(t)
	l := New(Options{Log: lg, Nexthop: eth0, Wait: 100 * time.Millisecond})
	start := time.Now()
	l.ChildUpDown(a.ike, a.child, true)
	if d := time.Since(start); d < 80*time.Millisecond || d > 400*time.Millisecond {
		t.Errorf("ChildUpDown returned after %v, want about Options.Wait", d)
	}
	l.ChildUpDown(a.ike, a.child, false)
	l.ChildUpDown(b.ike, b.child, true)
	l.ChildUpDown(b.ike, b.child, false)
	l.Drain()
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "up-client 2\ndown-client 2\nup-client 1\ndown-client 1\n"
	if string(got) != want {
		t.Errorf("order:\n%s\nwant\n%s", got, want)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// after Close, events are ignored
	l.ChildUpDown(b.ike, b.child, true)
	l.Drain()
	if got2, _ := os.ReadFile(out); string(got2) != want {
		t.Errorf("event ran after Close")
	}
}

// TestInterfaceCache: the down gets the interface the up found (charon
// caches it per CHILD_SA), "unknown" without a route.
func TestInterfaceCache(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "iface")
	s := newSAs("echo $PLUTO_VERB $PLUTO_INTERFACE >> "+out, []kernel.TS{anyTS("10.1.0.0/16")}, []kernel.TS{anyTS("10.2.0.0/16")})
	iface := "eth1"
	l := New(Options{Nexthop: func(peer, me netip.Addr) string { return iface }})
	l.ChildUpDown(s.ike, s.child, true)
	iface = "eth2"
	l.ChildUpDown(s.ike, s.child, false)
	iface = ""
	l.ChildUpDown(s.ike, s.child, true)
	l.Drain()
	got, _ := os.ReadFile(out)
	if want := "up-client eth1\ndown-client eth1\nup-client unknown\n"; string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestBuiltinDefault: "ipsec _updown" without iptables does nothing (the
// default script only logs for the iptables verbs), and no updown runs
// nothing at all.
func TestBuiltinDefault(t *testing.T) {
	for _, tc := range []struct {
		cmd           string
		firewall, nop bool
	}{
		{"ipsec _updown iptables", true, false},
		{"  ipsec   _updown  iptables ", true, false},
		{"ipsec _updown", false, true},
		{"ipsec _updown custom:x", false, false},
		{"/usr/lib/ipsec/_updown iptables", false, false},
		{"/etc/updown.sh", false, false},
	} {
		f, n := builtin(tc.cmd)
		if f != tc.firewall || n != tc.nop {
			t.Errorf("%q: firewall %v noop %v", tc.cmd, f, n)
		}
	}
}
