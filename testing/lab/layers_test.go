package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFixStrongswanConf(t *testing.T) {
	in := `charon {
  load = random nonce openssl pem pkcs1 stroke kernel-netlink socket-default updown

  integrity_test = yes
  crypto_test {
    on_add = yes
  }
}
pki {
  load = random pem x509
}
`
	got := FixStrongswanConf(in, SystemFacts{HasKDFPlugin: true})
	for _, w := range []string{
		"  load = kdf random nonce openssl pem pkcs1 stroke kernel-libipsec kernel-netlink socket-default updown\n",
		"  integrity_test = no\n",
		"  load = random pem x509\n", // not a charon list: untouched
		"    on_add = yes\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	// idempotent
	if again := FixStrongswanConf(got, SystemFacts{HasKDFPlugin: true}); again != got {
		t.Errorf("second pass changed:\n%s", again)
	}
	// without the kdf plugin and with libchecksum, only the order changes
	got = FixStrongswanConf(in, SystemFacts{HasChecksum: true})
	if !strings.Contains(got, "load = random nonce openssl pem pkcs1 stroke kernel-libipsec kernel-netlink") || !strings.Contains(got, "integrity_test = yes") {
		t.Errorf("got\n%s", got)
	}
	// kernel-libipsec already listed (after netlink): left as is
	in2 := "charon {\n  load = kdf kernel-netlink kernel-libipsec\n}\n"
	if got := FixStrongswanConf(in2, SystemFacts{HasKDFPlugin: true}); got != in2 {
		t.Errorf("changed an explicit list:\n%s", got)
	}
}

func TestFixTestingConf(t *testing.T) {
	in := "charon {\n  retransmit_tries = 2\n}\n\ninclude strongswan.conf\n"
	got := FixTestingConf(in)
	i := strings.Index(got, "fwmark = !0x42")
	j := strings.Index(got, "include strongswan.conf")
	if i < 0 || j < 0 || i > j || !strings.Contains(got, "socket-default {\n      fwmark = 0x42") || !strings.Contains(got, "allow_peer_ts = yes") {
		t.Errorf("got\n%s", got)
	}
	if FixTestingConf(got) != got {
		t.Error("not idempotent")
	}
	if got := FixTestingConf("charon {\n}"); !strings.HasSuffix(got, testingConfAdditions) {
		t.Error("additions not appended without include line")
	}
}

func TestAddTunAccept(t *testing.T) {
	in := "*nat\n-F\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -i eth0 -p esp -j ACCEPT\nCOMMIT\n*mangle\nCOMMIT\n"
	got := AddTunAccept(in)
	want := "*nat\n-F\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -i eth0 -p esp -j ACCEPT\n" +
		"# added by the lab: libipsec traffic uses the TUN device\n" +
		strings.Join(tunAcceptRules, "\n") + "\nCOMMIT\n*mangle\nCOMMIT\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if AddTunAccept("*nat\nCOMMIT\n") != "*nat\nCOMMIT\n" {
		t.Error("changed input without *filter")
	}
}

func TestCompatLibipsec(t *testing.T) {
	lines := []DatLine{
		SplitDatLine(1, "moon::tcpdump::IP carol.strongswan.org > moon.strongswan.org: ESP::YES"),
		SplitDatLine(2, "moon::tcpdump::IP moon.strongswan.org > carol.strongswan.org: ESP.*length 184::YES"),
		SplitDatLine(3, "moon::tcpdump::IP6 ip6-sun.strongswan.org > ip6-moon.strongswan.org: ESP::YES"),
		SplitDatLine(4, "carol::ip addr list dev eth0::10.3.0.1::YES"),
		SplitDatLine(5, `dave:: ip addr list dev eth0::inet fec3:\:2::YES`),
		SplitDatLine(6, "carol::ip addr list dev eth0::192.168.0.100::YES"), // a real address: unchanged
		SplitDatLine(7, "moon::tcpdump::IP sun.strongswan.org.\\(4500\\|ipsec-nat-t\\) > moon.strongswan.org.*: UDP-encap: ESP::YES"),
		SplitDatLine(8, "moon::ipsec status::ESP::YES"),
		SplitDatLine(9, "# moon::tcpdump::IP a > b: ESP::YES"),
	}
	got, n := ApplyCompat(lines, []string{"libipsec"})
	want := []string{
		`moon::tcpdump::IP carol.strongswan.org.\(4500\|ipsec-nat-t\) > moon.strongswan.org.\(4500\|ipsec-nat-t\): UDP-encap: ESP::YES`,
		`moon::tcpdump::IP moon.strongswan.org.\(4500\|ipsec-nat-t\) > carol.strongswan.org.\(4500\|ipsec-nat-t\): UDP-encap: ESP.*length 184::YES`,
		`moon::tcpdump::IP6 ip6-sun.strongswan.org.\(4500\|ipsec-nat-t\) > ip6-moon.strongswan.org.\(4500\|ipsec-nat-t\): UDP-encap: ESP::YES`,
		`carol::ip addr list dev ipsec0::10.3.0.1::YES`,
		`dave:: ip addr list dev ipsec0::inet fec3:\:2::YES`,
		`carol::ip addr list dev eth0::192.168.0.100::YES`,
		lines[6].String(),
		lines[7].String(),
		lines[8].Raw,
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("line %d\n got %s\nwant %s", i+1, got[i].String(), want[i])
		}
	}
	if n != 5 {
		t.Errorf("%d lines changed, want 5", n)
	}
	// the rewritten tcpdump pattern matches what libipsec produces
	out := []byte("14:52:07.1 IP carol.strongswan.org.ipsec-nat-t > moon.strongswan.org.ipsec-nat-t: UDP-encap: ESP(spi=0x4d798bff,seq=0x1), length 136\n")
	if m, err := grepLines(Unescape(got[0].Pattern), out); err != nil || len(m) != 1 {
		t.Errorf("rewritten pattern does not match libipsec output: %v %v", m, err)
	}
	if _, err := ParseCompat("libipsec,none"); err != nil {
		t.Error(err)
	}
	if _, err := ParseCompat("bogus"); err == nil {
		t.Error("unknown set accepted")
	}
}

// In a mixed run the virtual IP rule rewrites only the lines of hosts that
// run strongSwan; the ESP rule rewrites every line (the peers see ESP in UDP).
func TestCompatPerHost(t *testing.T) {
	lines := []DatLine{
		SplitDatLine(1, "carol::ip addr list dev eth0::10.3.0.1::YES"),
		SplitDatLine(2, "dave::ip addr list dev eth0::10.3.0.2::YES"),
		SplitDatLine(3, "moon::tcpdump::IP carol.strongswan.org > moon.strongswan.org: ESP::YES"),
	}
	got, n := ApplyCompatHosts(lines, []string{"libipsec"}, func(h string) bool { return h == "dave" })
	want := []string{
		"carol::ip addr list dev eth0::10.3.0.1::YES",
		"dave::ip addr list dev ipsec0::10.3.0.2::YES",
		`moon::tcpdump::IP carol.strongswan.org.\(4500\|ipsec-nat-t\) > moon.strongswan.org.\(4500\|ipsec-nat-t\): UDP-encap: ESP::YES`,
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("line %d\n got %s\nwant %s", i+1, got[i].String(), want[i])
		}
	}
	if n != 2 {
		t.Errorf("%d lines changed, want 2", n)
	}
}

// layerSources builds a fake testing/ dir and PKI dir.
func layerSources(t *testing.T) LayerSources {
	t.Helper()
	root := t.TempDir()
	write := func(p, s string, mode os.FileMode) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("testing/hosts/default/etc/hosts", "192.168.0.1 moon\n", 0o644)
	write("testing/hosts/default/etc/strongswan.conf", "charon {\n  load = pem stroke kernel-netlink\n}\n", 0o644)
	write("testing/hosts/default/etc/strongswan.conf.testing", "charon {\n}\ninclude strongswan.conf\n", 0o644)
	write("testing/hosts/moon/etc/ipsec.secrets", ": RSA moonKey.pem\n", 0o644)
	write("testing/hosts/moon/etc/note", "left=PH_IP_MOON\n", 0o644)
	write("pki/hosts/moon/ipsec.d/private/moonKey.pem", "KEY", 0o644)
	write("pki/hosts/moon/ipsec.d/cacerts/strongswanCert.pem", "CA", 0o644)
	// a fake "real /etc" with links as Debian has them
	write("realetc/freeradius/3.0/mods-config/files/authorize", "default users\n", 0o644)
	os.Symlink("mods-config/files/authorize", filepath.Join(root, "realetc/freeradius/3.0/users"))
	os.Symlink("freeradius/3.0", filepath.Join(root, "realetc/raddb"))
	os.Symlink("/usr/share/elsewhere", filepath.Join(root, "realetc/outside"))
	return LayerSources{
		TestingDir: filepath.Join(root, "testing"),
		PKIDir:     filepath.Join(root, "pki"),
		RealEtc:    filepath.Join(root, "realetc"),
		Sys:        SystemFacts{HasKDFPlugin: true},
	}
}

func TestBuildBase(t *testing.T) {
	src := layerSources(t)
	for _, ss := range []bool{true, false} {
		dst := filepath.Join(t.TempDir(), "base")
		if err := BuildBase(dst, "moon", src, ss); err != nil {
			t.Fatal(err)
		}
		read := func(p string) string {
			b, err := os.ReadFile(filepath.Join(dst, p))
			if err != nil {
				t.Error(err)
			}
			return string(b)
		}
		if read("hosts") != "192.168.0.1 moon\n" || read("hostname") != "moon\n" || !strings.Contains(read("resolv.conf"), "nameserver 127.0.0.1") {
			t.Error("default files or generated files wrong")
		}
		if read("note") != "left=192.168.0.1\n" {
			t.Error("placeholders not substituted in the host layer")
		}
		if read("ipsec.d/private/moonKey.pem") != "KEY" || read("ipsec.d/cacerts/strongswanCert.pem") != "CA" {
			t.Error("PKI files missing")
		}
		for _, p := range []string{"ipsec.secrets", "ipsec.d/private/moonKey.pem"} {
			if fi, err := os.Stat(filepath.Join(dst, p)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s not private: %v", p, fi.Mode())
			}
		}
		conf, testing := read("strongswan.conf"), read("strongswan.conf.testing")
		if ss {
			if !strings.Contains(conf, "load = kdf pem stroke kernel-libipsec kernel-netlink") || !strings.Contains(testing, "fwmark = 0x42") {
				t.Errorf("strongSwan host: adjustments missing:\n%s\n%s", conf, testing)
			}
		} else if strings.Contains(conf, "libipsec") || strings.Contains(testing, "fwmark") {
			t.Errorf("plain host: files modified:\n%s\n%s", conf, testing)
		}
	}
}

func TestBuildScenarioLayer(t *testing.T) {
	src := layerSources(t)
	scen := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(scen, "hosts/moon/etc", p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(s), 0o644)
	}
	write("ipsec.conf", "conn rw\n\tleft=PH_IP_MOON\n\tleftsubnet=PH_IP_MOON1/16\n")
	write("strongswan.conf", "charon {\n  load = openssl kernel-netlink\n  integrity_test = yes\n}\n")
	write("ipsec.secrets", ": PSK x\n")
	write("freeradius/3.0/users", "carol Cleartext-Password := \"x\"\n") // lands on a link: follow it
	write("raddb/clients.conf", "client moon {}\n")                      // a link to a directory
	write("outside/file", "x\n")                                         // link leaves /etc: not followed
	base := filepath.Join(t.TempDir(), "base")
	if err := BuildBase(base, "moon", src, true); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "scen")
	if err := BuildScenarioLayer(dst, "moon", scen, []string{base, src.RealEtc}, true, src.Sys); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dst, p))
		if err != nil {
			t.Error(err)
		}
		return string(b)
	}
	if got := read("ipsec.conf"); got != "conn rw\n\tleft=192.168.0.1\n\tleftsubnet=10.1.0.1/16\n" {
		t.Errorf("ipsec.conf: %q", got)
	}
	if got := read("strongswan.conf"); !strings.Contains(got, "load = kdf openssl kernel-libipsec kernel-netlink") || !strings.Contains(got, "integrity_test = no") {
		t.Errorf("strongswan.conf not adjusted: %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dst, "ipsec.secrets")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Error("ipsec.secrets not private")
	}
	if got := read("freeradius/3.0/mods-config/files/authorize"); !strings.HasPrefix(got, "carol") {
		t.Errorf("users not written through the link: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(dst, "freeradius/3.0/users")); err == nil {
		t.Error("users written over the link")
	}
	if got := read("freeradius/3.0/clients.conf"); got != "client moon {}\n" {
		t.Errorf("raddb/ link to a directory not followed: %q", got)
	}
	if read("outside/file") != "x\n" {
		t.Error("file below a link leaving /etc not kept in place")
	}
	// a host without files in the scenario gets an empty layer
	empty := filepath.Join(t.TempDir(), "scen")
	if err := BuildScenarioLayer(empty, "carol", scen, nil, true, src.Sys); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("carol's layer not empty: %v", ents)
	}
}

func TestResolveInLowers(t *testing.T) {
	top, bottom := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(bottom, "a/b"), 0o755)
	os.Symlink("b", filepath.Join(bottom, "a/link"))
	os.Symlink("/etc/a/b/c", filepath.Join(bottom, "abs"))
	os.Symlink("../../escape", filepath.Join(bottom, "a/esc"))
	// the top layer has a real directory where the bottom has a link: the
	// top one wins
	os.MkdirAll(filepath.Join(top, "shadow"), 0o755)
	os.Symlink("a", filepath.Join(bottom, "shadow"))
	tests := map[string]string{
		"plain/file":  "plain/file",
		"a/link/x":    "a/b/x",
		"abs":         "a/b/c",
		"a/esc":       "a/esc",
		"shadow/file": "shadow/file",
	}
	for in, want := range tests {
		if got := ResolveInLowers(in, []string{top, bottom}); got != want {
			t.Errorf("ResolveInLowers(%q) = %q, want %q", in, got, want)
		}
	}
	// a loop terminates
	os.Symlink("loop2", filepath.Join(bottom, "loop1"))
	os.Symlink("loop1", filepath.Join(bottom, "loop2"))
	_ = ResolveInLowers("loop1/x", []string{bottom})
}

func TestConfigPerHost(t *testing.T) {
	env := map[string]string{
		"IPSEC_BIN":          "/opt/goswan/ipsec",
		"IPSEC_BIN_carol":    "/usr/sbin/ipsec",
		"LAB_SS_FIXUPS_dave": "1",
		"LAB_FW_TUN_moon":    "0",
	}
	c := Config{Prefix: "gs-", State: "/var/tmp/x", Getenv: func(k string) string { return env[k] }}
	if c.IpsecBin("moon") != "/opt/goswan/ipsec" || c.IpsecBin("carol") != "/usr/sbin/ipsec" {
		t.Error("IPSEC_BIN per host")
	}
	if c.RunsStrongSwan("moon") || !c.RunsStrongSwan("carol") || !c.RunsStrongSwan("dave") {
		t.Errorf("RunsStrongSwan: moon %v carol %v dave %v", c.RunsStrongSwan("moon"), c.RunsStrongSwan("carol"), c.RunsStrongSwan("dave"))
	}
	if c.FwTun("moon") || !c.FwTun("carol") {
		t.Error("LAB_FW_TUN per host")
	}
	if err := (Config{Prefix: "ss-", State: "/var/tmp/x"}).check(); err == nil {
		t.Error("the reference lab's prefix accepted")
	}
	for _, st := range []string{"relative", "/", "/tmp/lab", "/run/lab", "/var/log/x"} {
		if err := (Config{Prefix: "gs-", State: st}).check(); err == nil {
			t.Errorf("state dir %s accepted", st)
		}
	}
	if err := (Config{Prefix: "gs-", State: "/var/tmp/goswan-lab"}).check(); err != nil {
		t.Error(err)
	}
}

func TestUnescapeMountPath(t *testing.T) {
	if got := unescapeMountPath(`/var/tmp/a\040b`); got != "/var/tmp/a b" {
		t.Errorf("got %q", got)
	}
}
