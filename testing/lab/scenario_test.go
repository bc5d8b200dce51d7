package lab

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseTestConf(t *testing.T) {
	in := `#!/bin/bash
#
# This configuration file provides information on the
# guest instances used for this test

# All guest instances that are required for this test
#
VIRTHOSTS="alice moon carol winnetou dave"

DIAGRAM="a-m-c-w-d.png"   # trailing comment
TCPDUMPHOSTS="moon sun:eth1"
  IPSECHOSTS='moon carol dave'
RADIUSHOSTS=alice
export DBHOSTS="moon
sun"
SWANCTL=1
ESCAPED="a \"b\" \$c"
EMPTY=
`
	tc, err := ParseTestConf(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want []string) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	check("VIRTHOSTS", tc.VirtHosts, []string{"alice", "moon", "carol", "winnetou", "dave"})
	check("TCPDUMPHOSTS", tc.TcpdumpHosts, []string{"moon", "sun:eth1"})
	check("IPSECHOSTS", tc.IpsecHosts, []string{"moon", "carol", "dave"})
	check("RADIUSHOSTS", tc.RadiusHosts, []string{"alice"})
	check("DBHOSTS", tc.DBHosts, []string{"moon", "sun"})
	if !tc.Swanctl {
		t.Error("SWANCTL not set")
	}
	if got := tc.Vars["DIAGRAM"]; got != "a-m-c-w-d.png" {
		t.Errorf("DIAGRAM = %q", got)
	}
	if got := tc.Vars["ESCAPED"]; got != `a "b" $c` {
		t.Errorf("ESCAPED = %q", got)
	}
	if v, ok := tc.Vars["EMPTY"]; !ok || v != "" {
		t.Errorf("EMPTY = %q, %v", v, ok)
	}
	check("AllHosts", tc.AllHosts(), []string{"alice", "moon", "carol", "winnetou", "dave", "sun"})
	if tcpdumpIface("sun:eth1") != "eth1" || tcpdumpIface("moon") != "eth0" || tcpdumpHost("sun:eth1") != "sun" {
		t.Error("TCPDUMPHOSTS host:iface split")
	}
}

func TestParseTestConfErrors(t *testing.T) {
	for _, in := range []string{`VIRTHOSTS="alice`, `X='open`} {
		if _, err := ParseTestConf(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestSplitDatLine(t *testing.T) {
	tests := []struct {
		line string
		want DatLine
	}{
		{"carol::ipsec status 2> /dev/null::home.*ESTABLISHED::YES",
			DatLine{Host: "carol", Cmd: "ipsec status 2> /dev/null", Pattern: "home.*ESTABLISHED", Hit: "YES"}},
		// leading spaces in the command stay (the shell ignores them)
		{"dave:: ipsec status::rw\\[1]: ESTABLISHED::NO",
			DatLine{Host: "dave", Cmd: " ipsec status", Pattern: "rw\\[1]: ESTABLISHED", Hit: "NO"}},
		{" moon ::tcpdump::IP a > b: ESP::3\r",
			DatLine{Host: "moon", Cmd: "tcpdump", Pattern: "IP a > b: ESP", Hit: "3"}},
		// pretest: two fields
		{"moon::ipsec start", DatLine{Host: "moon", Cmd: "ipsec start"}},
		// an escaped IPv6 address survives the split, a literal one does not
		{`alice::"ip route add fec0:\:/16 via fec1:\:1"`, DatLine{Host: "alice", Cmd: `"ip route add fec0:\:/16 via fec1:\:1"`}},
		{"alice::ping6 fec1::10::x::YES", DatLine{Host: "alice", Cmd: "ping6 fec1", Pattern: "10", Hit: "x"}},
		// a ::: run splits at the first two colons, as awk does
		{"a::b:::c::YES", DatLine{Host: "a", Cmd: "b", Pattern: ":c", Hit: "YES"}},
		{"moon::", DatLine{Host: "moon"}},
	}
	for _, tt := range tests {
		got := SplitDatLine(1, tt.line)
		tt.want.N, tt.want.Raw = 1, strings.TrimRight(tt.line, "\r\n")
		if got != tt.want {
			t.Errorf("SplitDatLine(%q)\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
	}
	c := SplitDatLine(2, "# moon::ipsec status::x::YES")
	if !c.Comment || c.Runnable() {
		t.Errorf("comment line: %+v", c)
	}
	if SplitDatLine(3, "moon::").Runnable() {
		t.Error("empty command is runnable")
	}
	if !SplitDatLine(4, "moon:: tcpdump ::x::YES").IsTcpdump() {
		t.Error("tcpdump with spaces not recognised")
	}
}

func TestParseDat(t *testing.T) {
	lines, err := ParseDat(strings.NewReader("# c\nmoon::ipsec start\n\ncarol::ipsec up home\n"))
	if err != nil {
		t.Fatal(err)
	}
	var run []string
	for _, l := range lines {
		if l.Runnable() {
			run = append(run, l.Host+"|"+l.Cmd)
		}
	}
	if !reflect.DeepEqual(run, []string{"moon|ipsec start", "carol|ipsec up home"}) || len(lines) != 4 || lines[3].N != 4 {
		t.Errorf("ParseDat: %q (%d lines)", run, len(lines))
	}
}

func TestUnescape(t *testing.T) {
	tests := map[string]string{
		`rw\[1]: ESTABLISHED`:           `rw\[1]: ESTABLISHED`, // grep sees \[
		`IP a.\\(4500\\|ipsec-nat-t\\)`: `IP a.\(4500\|ipsec-nat-t\)`,
		`say \"hi\"`:                    `say "hi"`,
		`cost \$5 \` + "`" + `x\` + "`": `cost $5 ` + "`x`",
		`end$`:                          `end$`,
		`\.`:                            `\.`,
		`trailing\`:                     `trailing\`,
	}
	for in, want := range tests {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpandPrePost(t *testing.T) {
	tests := map[string]string{
		"ipsec start": "ipsec start",
		// within the outer quotes a backslash before : stays for the host's shell
		`ipsec pool --add p --start fec3:\:1`: `ipsec pool --add p --start fec3:\:1`,
		// quotes end the outer quoting: the local shell removes \ and joins words
		`"ip route add fec0:\:/16 via fec1:\:1"`:                                        `ip route add fec0::/16 via fec1::1`,
		`sed -i "s:V:\` + "`" + `. /etc/os-release\; echo \$VERSION_ID\` + "`" + `:" f`: "sed -i s:V:`. /etc/os-release; echo $VERSION_ID`: f",
		`echo \$HOME`:               "echo $HOME",
		`cat /etc/x | grep 'a  b'`:  `cat /etc/x | grep 'a  b'`,
		`iptables-restore < /etc/x`: `iptables-restore < /etc/x`,
	}
	for in, want := range tests {
		if got := ExpandPrePost(in); got != want {
			t.Errorf("ExpandPrePost(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}

func TestSubstitutePlaceholders(t *testing.T) {
	in := "left=PH_IP_MOON\nleftsubnet=PH_IP_MOON1/32 PH_IP6_MOON1 PH_IP6_MOON\nPH_IP_CAROL1 PH_IP_CAROL PH_IPV6_BOB PH_IP_BOB PH_IP_ALICE1,PH_IP_ALICE"
	want := "left=192.168.0.1\nleftsubnet=10.1.0.1/32 fec1::1 fec0::1\n10.3.0.1 192.168.0.100 fec2::10 10.2.0.10 192.168.0.50,10.1.0.10"
	if got := SubstitutePlaceholders(in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for k, v := range Placeholders {
		if got := SubstitutePlaceholders("<" + k + ">"); got != "<"+v+">" {
			t.Errorf("%s -> %q, want %q", k, got, v)
		}
	}
	if SubstitutePlaceholders("no placeholders") != "no placeholders" {
		t.Error("changed text without placeholders")
	}
}

func TestTopology(t *testing.T) {
	moon, ok := LookupHost("moon")
	if !ok || len(moon.Ifaces) != 2 || moon.Ifaces[0].Addr.String() != "192.168.0.1/24" || moon.Ifaces[1].Addr6.String() != "fec1::1/16" {
		t.Fatalf("moon: %+v", moon)
	}
	if got := moon.Ifaces[0].MAC(); got != "fe:fd:c0:a8:00:01" {
		t.Errorf("moon eth0 MAC %s", got)
	}
	alice, _ := LookupHost("alice")
	if !alice.Ifaces[1].Down || alice.Ifaces[0].Down {
		t.Error("alice: eth1 must be down, eth0 up")
	}
	known, unknown := SortHosts([]string{"dave", "moon", "x", "dave", "alice"})
	if !reflect.DeepEqual(known, []string{"alice", "moon", "dave"}) || !reflect.DeepEqual(unknown, []string{"x"}) {
		t.Errorf("SortHosts: %v %v", known, unknown)
	}
	// every placeholder for a host interface names a configured address
	for k, v := range Placeholders {
		if strings.Contains(k, "CAROL1") || strings.Contains(k, "DAVE1") {
			continue // virtual IPs
		}
		if !mentionsAddress(v) {
			t.Errorf("%s=%s is on no lab interface", k, v)
		}
	}
}

func mentionsAddress(a string) bool { return !mentionsVirtualIP(a) }

func TestResolveScenarios(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) string {
		d := filepath.Join(root, p)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "test.conf"), []byte("VIRTHOSTS=moon\n"), 0o644)
		os.WriteFile(filepath.Join(d, "evaltest.dat"), nil, 0o644)
		return d
	}
	a := mk("tests/ikev2/a")
	b := mk("tests/ikev2/b")
	other := mk("other/ikev2-stroke/rw-cert")
	got, err := ResolveScenarios([]string{"ikev2/a", "ikev2", a, "ikev2-stroke/rw-cert"}, []string{filepath.Join(root, "other"), filepath.Join(root, "tests")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a, a, b, a, other}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, err := ResolveScenarios([]string{"ikev2/missing"}, []string{filepath.Join(root, "tests")}); err == nil {
		t.Error("missing scenario resolved")
	}
	if n := scenarioName(other); n != "ikev2-stroke/rw-cert" {
		t.Errorf("scenarioName = %q", n)
	}
}

func TestLoadScenario(t *testing.T) {
	d := filepath.Join(t.TempDir(), "g", "s")
	os.MkdirAll(d, 0o755)
	os.WriteFile(filepath.Join(d, "test.conf"), []byte(`VIRTHOSTS="moon carol"`+"\nIPSECHOSTS=\"moon\"\n"), 0o644)
	os.WriteFile(filepath.Join(d, "pretest.dat"), []byte("moon::ipsec start\n"), 0o644)
	os.WriteFile(filepath.Join(d, "evaltest.dat"), []byte("carol::ping -c 1 PH_IP_ALICE::from PH_IP_ALICE::YES\n"), 0o644)
	s, err := LoadScenario(d)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "g/s" || len(s.Pre) != 1 || len(s.Post) != 0 || s.Eval[0].Cmd != "ping -c 1 10.1.0.10" || s.Eval[0].Pattern != "from 10.1.0.10" {
		t.Errorf("scenario: %+v", s)
	}
	os.WriteFile(filepath.Join(d, "test.conf"), []byte(`VIRTHOSTS="moon mars"`), 0o644)
	if _, err := LoadScenario(d); err == nil {
		t.Error("unknown host accepted")
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		hit  string
		n    int
		pass bool
	}{
		{"YES", 1, true}, {"YES", 0, false}, {"NO", 0, true}, {"NO", 2, false},
		{"2", 2, true}, {"2", 1, false}, {"0", 0, true}, {"1", 0, false},
		{"ESP", 0, true}, {"", 0, true}, // not YES/NO/number: never fails
	}
	for _, tt := range tests {
		if got, _ := judge(tt.hit, tt.n, nil); got != tt.pass {
			t.Errorf("judge(%q, %d) = %v", tt.hit, tt.n, got)
		}
	}
}

func TestGrepLines(t *testing.T) {
	out := []byte("rw[1]: ESTABLISHED 2 seconds ago\nrw{1}:  INSTALLED, TUNNEL\nrw{2}:  INSTALLED, TUNNEL\n")
	tests := []struct {
		pattern string
		n       int
	}{
		{`rw\[1]: ESTABLISHED`, 1},
		{`rw[{][0-9]}.*INSTALLED, TUNNEL`, 2},
		{`rw{\(1\|2\)}`, 2}, // GNU BRE alternation
		{`ESP`, 0},
		{``, 3},
	}
	for _, tt := range tests {
		m, err := grepLines(tt.pattern, out)
		if err != nil || len(m) != tt.n {
			t.Errorf("grep %q: %d lines, %v", tt.pattern, len(m), err)
		}
	}
	if _, err := grepLines(`a\{1`, out); err == nil {
		t.Error("bad pattern not reported")
	}
	if m, err := grepLines("x", nil); err != nil || len(m) != 0 {
		t.Errorf("empty input: %v %v", m, err)
	}
}
