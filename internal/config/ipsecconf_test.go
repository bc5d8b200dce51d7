package config

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestIPsecConfErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []wantDiag
		// invalid: starter would refuse the file; bad: these conns are ignored
		invalid bool
		bad     []string
	}{
		{name: "unknown keyword",
			files: map[string]string{"ipsec.conf": "conn a\n  auto=add\n  foo=bar\n"},
			want:  []wantDiag{{"ipsec.conf", 3, SeverityError, "unknown keyword 'foo'"}}},
		{name: "bad yes/no",
			files: map[string]string{"ipsec.conf": "conn a\n  mobike=maybe\n  installpolicy=1\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "bad option value: mobike=maybe (expected yes or no)"},
				{"ipsec.conf", 3, SeverityError, "bad value: installpolicy=1 (expected no or yes)"}},
			bad: []string{"a"}},
		{name: "bad duration",
			files: map[string]string{"ipsec.conf": "conn %default\n  ikelifetime=3x\nconn a\n  lifetime=1.5h\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "bad duration value: ikelifetime=3x"},
				{"ipsec.conf", 4, SeverityError, "bad duration value: lifetime=1.5h"}},
			bad: []string{"a"}},
		{name: "bad subnet",
			files: map[string]string{"ipsec.conf": "conn a\n  leftsubnet=10.1.0.0/16,10.2.0.0/33\n  rightsubnet=10.3.0.0/16[foo/80]\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "invalid subnet '10.2.0.0/33'"},
				{"ipsec.conf", 3, SeverityError, "invalid proto/port 'foo/80': bad protocol 'foo'"}}},
		{name: "bad sourceip",
			files: map[string]string{"ipsec.conf": "conn a\n  rightsourceip=10.3.0.9-10.3.0.1\n  leftsourceip=%\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "IP pool '10.3.0.9-10.3.0.1' invalid"},
				{"ipsec.conf", 3, SeverityError, "IP pool name missing"}}},
		{name: "unterminated quote",
			files:   map[string]string{"ipsec.conf": "conn a\n  leftid=\"C=CH, O=strongSwan\n  auto=add\n"},
			want:    []wantDiag{{"ipsec.conf", 2, SeverityError, "unterminated string detected"}},
			invalid: true},
		{name: "also loop",
			files:   map[string]string{"ipsec.conf": "conn a\n  also=b\n  auto=add\nconn b\n  also=c\nconn c\n  also=a\n"},
			want:    []wantDiag{{"ipsec.conf", 7, SeverityError, "section 'a' referenced in section 'c' causes a loop"}},
			invalid: true, bad: []string{"a", "b", "c"}},
		{name: "unknown also target",
			files:   map[string]string{"ipsec.conf": "conn a\n  auto=add\n  also=nosuch\n"},
			want:    []wantDiag{{"ipsec.conf", 3, SeverityError, "section 'nosuch' referenced in section 'a' not found"}},
			invalid: true, bad: []string{"a"}},
		{name: "include of a missing file",
			files: map[string]string{"ipsec.conf": "conn a\n  auto=add\ninclude missing.conf\n"},
			want:  []wantDiag{{"ipsec.conf", 3, SeverityWarning, "no files found matching"}}},
		{name: "indented section header",
			files:   map[string]string{"ipsec.conf": "conn a\n  auto=add\n  conn b\n  left=1.2.3.4\n"},
			want:    []wantDiag{{"ipsec.conf", 3, SeverityError, "section header 'conn b' must start in column 0"}},
			invalid: true},
		{name: "parameter in column 0",
			files:   map[string]string{"ipsec.conf": "conn a\nauto=add\n"},
			want:    []wantDiag{{"ipsec.conf", 2, SeverityError, "parameter 'auto' must be indented"}},
			invalid: true},
		{name: "section name missing",
			files:   map[string]string{"ipsec.conf": "conn\n  auto=add\n"},
			want:    []wantDiag{{"ipsec.conf", 1, SeverityError, "section name missing"}},
			invalid: true},
		{name: "equals sign in a value",
			files:   map[string]string{"ipsec.conf": "conn a\n  leftid=C=CH, O=x\n"},
			want:    []wantDiag{{"ipsec.conf", 2, SeverityError, "unexpected '=' in the value of 'leftid'"}},
			invalid: true},
		{name: "missing value",
			files:   map[string]string{"ipsec.conf": "conn a\n  left\n"},
			want:    []wantDiag{{"ipsec.conf", 2, SeverityError, "missing value for setting 'left'"}},
			invalid: true},
		{name: "keyword in the wrong section",
			files: map[string]string{"ipsec.conf": "config setup\n  left=1.2.3.4\nconn a\n  uniqueids=no\nca x\n  cacert=x.pem\n  auto=add\n  leftcert=y\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "unsupported keyword 'left' in config setup"},
				{"ipsec.conf", 4, SeverityError, "unsupported keyword 'uniqueids' in conn 'a'"},
				{"ipsec.conf", 8, SeverityError, "unsupported keyword 'leftcert' in ca 'x'"}},
			invalid: true, bad: []string{"a"}},
		{name: "obsolete keywords",
			files: map[string]string{"ipsec.conf": "config setup\n  plutostart=no\n  nat_traversal=yes\n  pkcs11module=x\nconn a\n  pfs=yes\n  leftnexthop=%defaultroute\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityWarning, "deprecated keyword 'plutostart'"},
				{"ipsec.conf", 3, SeverityWarning, "deprecated keyword 'nat_traversal'"},
				{"ipsec.conf", 4, SeverityWarning, "use the 'pkcs11' plugin instead"},
				{"ipsec.conf", 6, SeverityWarning, "PFS is enabled by specifying a DH group"},
				{"ipsec.conf", 7, SeverityWarning, "deprecated keyword 'leftnexthop' in conn 'a'"}}},
		{name: "firewall and updown",
			files: map[string]string{"ipsec.conf": "conn a\n  leftfirewall=yes\n  leftupdown=/bin/true\n"},
			want:  []wantDiag{{"ipsec.conf", 2, SeverityError, "cannot have both leftfirewall and leftupdown"}},
			bad:   []string{"a"}},
		{name: "bad values",
			files: map[string]string{"ipsec.conf": "conn a\n  auto=maybe\n  type=tunel\n  rekeyfuzz=50\n  keyingtries=often\n" +
				"  mark=0x10/xyz\n  leftprotoport=tcp/99999\n  ikedscp=2\n  leftsendcert=sometimes\n  leftikeport=70000\n  dpdaction=kill\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "bad value: auto=maybe (expected ignore, add, route or start)"},
				{"ipsec.conf", 3, SeverityError, "bad policy value: type=tunel"},
				{"ipsec.conf", 4, SeverityError, "bad percent value: rekeyfuzz=50"},
				{"ipsec.conf", 5, SeverityError, "bad integer value: keyingtries=often"},
				{"ipsec.conf", 6, SeverityError, "mark=0x10/xyz: invalid mark mask 'xyz'"},
				{"ipsec.conf", 7, SeverityError, "leftprotoport=tcp/99999: bad port '99999'"},
				{"ipsec.conf", 8, SeverityError, "bad binary value: ikedscp=2"},
				{"ipsec.conf", 9, SeverityError, "bad value: leftsendcert=sometimes"},
				{"ipsec.conf", 10, SeverityError, "bad integer value: leftikeport=70000"},
				{"ipsec.conf", 11, SeverityError, "bad value: dpdaction=kill"}},
			bad: []string{"a"}},
		{name: "error in an included file",
			files: map[string]string{
				"ipsec.conf":          "conn a\n  auto=add\ninclude conns/*.conf\n",
				"conns/b.conf":        "conn b\n  auto=add\n  lifetime=forever\n",
				"conns/c.conf":        "\nconn c\n  bogus=1\n",
				"conns/.hidden.conf":  "conn hidden\n  bogus=2\n",
				"conns/c.conf.broken": "this is not read\n"},
			want: []wantDiag{{"conns/b.conf", 3, SeverityError, "bad duration value: lifetime=forever"},
				{"conns/c.conf", 3, SeverityError, "unknown keyword 'bogus'"}},
			bad: []string{"b"}},
		{name: "all errors of a file",
			files: map[string]string{"ipsec.conf": "conn a\n  leftid=x=y\n  bogus\nauto=add\n  conn c\n  mobike=perhaps\n"},
			want: []wantDiag{{"ipsec.conf", 2, SeverityError, "unexpected '='"},
				{"ipsec.conf", 3, SeverityError, "missing value for setting 'bogus'"},
				{"ipsec.conf", 4, SeverityError, "must be indented"},
				{"ipsec.conf", 5, SeverityError, "must start in column 0"},
				{"ipsec.conf", 6, SeverityError, "bad option value: mobike=perhaps"}},
			invalid: true, bad: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			conf, ds := LoadIPsecConf(nil, filepath.Join(dir, "ipsec.conf"))
			checkDiags(t, dir, ds, tt.want)
			if conf.Invalid != tt.invalid {
				t.Errorf("Invalid = %v, want %v", conf.Invalid, tt.invalid)
			}
			for _, c := range conf.Conns {
				if c.Invalid != containsString(tt.bad, c.Name) {
					t.Errorf("conn %s: Invalid = %v", c.Name, c.Invalid)
				}
			}
			for _, d := range ds {
				if !strings.HasPrefix(d.Error(), d.File+":") {
					t.Errorf("%q does not start with file:line", d.Error())
				}
			}
		})
	}
}

func parseConf(t *testing.T, src string) (*IPsecConf, []Diagnostic) {
	t.Helper()
	return ParseIPsecConf(memFS{}, "/etc/ipsec.conf", []byte(src))
}

// TestAlsoOrder checks starter's linearization: own settings first, the
// last also= before earlier ones, each parent's parents after it, only the
// last occurrence of a section, %default last.
func TestAlsoOrder(t *testing.T) {
	conf, ds := parseConf(t, `
conn %default
	keyexchange=ikev1
	lifetime=5m
conn A
	lifetime=1m
	ikelifetime=1h
	rekeymargin=1m
conn B
	also=A
	lifetime=2m
conn C
	also=A
	lifetime=3m
	ikelifetime=3h
conn D
	also=C
	also=B
	auto=add
conn E
	also=B
	ikelifetime=
	keyexchange=
`)
	noErrors(t, ds)
	d := conf.Conn("D")
	if want := []string{"B", "C", "A", "%default"}; !reflect.DeepEqual(d.Parents, want) {
		t.Errorf("D parents = %v, want %v", d.Parents, want)
	}
	if d.Lifetime != 2*time.Minute || d.IKELifetime != 3*time.Hour || d.RekeyMargin != time.Minute || d.KeyExchange != KeyExchangeIKEv1 {
		t.Errorf("D: lifetime %v ikelifetime %v margin %v keyexchange %v", d.Lifetime, d.IKELifetime, d.RekeyMargin, d.KeyExchange)
	}
	// an empty value clears what is inherited: the built-in default applies
	e := conf.Conn("E")
	if e.IKELifetime != DefaultIKELifetime || e.KeyExchange != KeyExchangeIKE || e.Lifetime != 2*time.Minute {
		t.Errorf("E: ikelifetime %v keyexchange %v lifetime %v", e.IKELifetime, e.KeyExchange, e.Lifetime)
	}
	if pos, _ := d.Origin("lifetime"); pos.Line != 11 {
		t.Errorf("D lifetime from line %d, want 11", pos.Line)
	}
}

// TestStarterQuirks covers behaviour that follows from starter's order of
// evaluation (own settings sorted by name, then inherited ones).
func TestStarterQuirks(t *testing.T) {
	conf, ds := parseConf(t, `
conn %default
	keylife=20m
	type=transport
conn a
	lifetime=1h
	leftsourceip=%config
conn b
	type=transport
	rightsourceip=10.3.0.0/24
conn c
	mark=5
	mark_in=7/0xff
`)
	noErrors(t, ds)
	// keylife in %default is read after lifetime in a and wins
	if a := conf.Conn("a"); a.Lifetime != 20*time.Minute || a.Mode != ModeTransport {
		t.Errorf("a: lifetime %v mode %v", a.Lifetime, a.Mode)
	}
	// rightsourceip forces tunnel mode, but it sorts before type, which is
	// read later and wins
	if b := conf.Conn("b"); b.Mode != ModeTransport {
		t.Errorf("b: mode %v", b.Mode)
	}
	c := conf.Conn("c")
	if c.MarkIn != (Mark{Value: 7, Mask: 0xff}) || c.MarkOut != (Mark{Value: 5, Mask: 0xffffffff}) {
		t.Errorf("c: marks %v %v", c.MarkIn, c.MarkOut)
	}
}

func TestConnValues(t *testing.T) {
	conf, ds := parseConf(t, `
config setup
	uniqueids=never
	strictcrlpolicy=ifuri
	cachecrls=yes
	charondebug="ike 2, knl 3"
conn v
	left=%192.168.0.1
	right=%defaultroute
	leftsubnet=10.0.0.1[tcp/http],10.0.0.2[6/80], fec1::1[udp],10.0.0.0/16[/53]
	rightsubnet=%dynamic[udp/%any],0.0.0.0/0[%any/1701]
	leftprotoport=17/%any
	rightprotoport=tcp/1024-65535
	leftsourceip=%config4,%poolname,10.3.0.1-10.3.0.100,fec3::/120
	leftdns=%config6,8.8.8.8
	leftcert=a.pem, b.pem
	rightgroups="x y",z
	keyingtries=%forever
	rekeyfuzz=250%
	lifebytes=1000000
	ikedscp=101110
	mark_out=%unique-dir/0xf0
	mark_in=%unique
	tfc=%mtu
	replay_window=-1
	reqid=42
	leftsendcert=yes
	rightsendcert=no
	type=transport_proxy
	fragmentation=force
	dpdaction=restart
	closeaction=hold
	modeconfig=push
	xauth=server
	compress=yes
	rekey=no
	reauth=no
	mobike=no
	forceencaps=yes
	leftikeport=4500
	dpddelay=10
	dpdtimeout=2m
	inactivity=1d
`)
	noErrors(t, ds)
	if s := conf.Setup; s.UniqueIDs != UniqueIDsNever || s.StrictCRLPolicy != StrictCRLIfURI || !s.CacheCRLs || s.CharonDebug != "ike 2, knl 3" {
		t.Errorf("setup = %+v", s)
	}
	c := conf.Conn("v")
	if c.Left.Host != "192.168.0.1" || !c.Left.AllowAny || c.Right.Host != "%any" || c.Right.AllowAny {
		t.Errorf("hosts: %q %v %q %v", c.Left.Host, c.Left.AllowAny, c.Right.Host, c.Right.AllowAny)
	}
	var ts []string
	for _, x := range c.Left.TS {
		ts = append(ts, x.String())
	}
	if want := "10.0.0.1/32[6/80] 10.0.0.2/32[6/80] fec1::1/128[17/%any] 10.0.0.0/16[%any/53]"; strings.Join(ts, " ") != want {
		t.Errorf("left ts = %s, want %s", strings.Join(ts, " "), want)
	}
	ts = nil
	for _, x := range c.Right.TS {
		ts = append(ts, x.String())
	}
	if want := "%dynamic[17/%any] 0.0.0.0/0[%any/1701]"; strings.Join(ts, " ") != want {
		t.Errorf("right ts = %s, want %s", strings.Join(ts, " "), want)
	}
	if c.Right.Protocol != 6 || c.Right.FromPort != 1024 || c.Right.ToPort != 65535 {
		t.Errorf("rightprotoport = %d %d-%d", c.Right.Protocol, c.Right.FromPort, c.Right.ToPort)
	}
	wantSIP := []SourceIP{
		{Kind: SourceIPConfig4, Raw: "%config4"},
		{Kind: SourceIPPool, Raw: "%poolname", Pool: "poolname"},
		{Kind: SourceIPRange, Raw: "10.3.0.1-10.3.0.100", From: netip.MustParseAddr("10.3.0.1"), To: netip.MustParseAddr("10.3.0.100")},
		{Kind: SourceIPPrefix, Raw: "fec3::/120", Prefix: netip.MustParsePrefix("fec3::/120")},
	}
	if !reflect.DeepEqual(c.Left.SourceIPs, wantSIP) {
		t.Errorf("sourceips = %+v", c.Left.SourceIPs)
	}
	if want := []DNSServer{{Request: true, Addr: netip.IPv6Unspecified()}, {Addr: netip.MustParseAddr("8.8.8.8")}}; !reflect.DeepEqual(c.Left.DNS, want) {
		t.Errorf("dns = %v", c.Left.DNS)
	}
	if !reflect.DeepEqual(c.Left.Certs, []string{"a.pem", "b.pem"}) || !reflect.DeepEqual(c.Right.Groups, []string{"x y", "z"}) {
		t.Errorf("certs %q groups %q", c.Left.Certs, c.Right.Groups)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"KeyingTries", c.KeyingTries, uint32(0)},
		{"RekeyFuzz", c.RekeyFuzz, uint32(250)},
		{"LifeBytes", c.LifeBytes, uint64(1000000)},
		{"IKEDSCP", c.IKEDSCP, uint8(0x2e)},
		{"MarkOut", c.MarkOut, Mark{Mask: 0xf0, Unique: MarkUniqueDir}},
		{"MarkIn", c.MarkIn, Mark{Mask: 0xffffffff, Unique: MarkUniqueSA}},
		{"TFC", c.TFC, TFCMTU},
		{"ReplayWindow", c.ReplayWindow, int64(-1)},
		{"ReqID", c.ReqID, uint32(42)},
		{"Left.SendCert", c.Left.SendCert, SendCertAlways},
		{"Right.SendCert", c.Right.SendCert, SendCertNever},
		{"Mode", c.Mode, ModeTransport},
		{"ProxyMode", c.ProxyMode, true},
		{"Fragmentation", c.Fragmentation, FragmentationForce},
		{"DPDAction", c.DPDAction, ActionRestart},
		{"CloseAction", c.CloseAction, ActionHold},
		{"ModeConfigPush", c.ModeConfigPush, true},
		{"XAuthServer", c.XAuthServer, true},
		{"Compress", c.Compress, true},
		{"Rekey", c.Rekey, false},
		{"Reauth", c.Reauth, false},
		{"Mobike", c.Mobike, false},
		{"ForceEncaps", c.ForceEncaps, true},
		{"Left.IKEPort", c.Left.IKEPort, uint16(4500)},
		{"DPDDelay", c.DPDDelay, 10 * time.Second},
		{"DPDTimeout", c.DPDTimeout, 2 * time.Minute},
		{"Inactivity", c.Inactivity, 24 * time.Hour},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
}

func TestAuthByMapping(t *testing.T) {
	conf, ds := parseConf(t, `
conn psk
	authby=secret
conn rsa
	authby=rsasig
conn xauth
	authby=xauthpsk
conn xauthserver
	authby=xauthrsasig
	xauth=server
conn explicit
	authby=psk
	leftauth=eap-md5
conn never
	authby=never
`)
	noErrors(t, ds)
	for _, tt := range []struct {
		conn                       string
		left, right, left2, right2 string
	}{
		{"psk", "psk", "psk", "", ""},
		{"rsa", "pubkey", "pubkey", "", ""},
		{"xauth", "psk", "psk", "xauth", ""},
		{"xauthserver", "pubkey", "pubkey", "", "xauth"},
		{"explicit", "eap-md5", "pubkey", "", ""},
		{"never", "pubkey", "pubkey", "", ""},
	} {
		c := conf.Conn(tt.conn)
		if c.Left.Auth != tt.left || c.Right.Auth != tt.right || c.Left.Auth2 != tt.left2 || c.Right.Auth2 != tt.right2 {
			t.Errorf("%s: auth %q %q %q %q, want %q %q %q %q", tt.conn, c.Left.Auth, c.Right.Auth, c.Left.Auth2, c.Right.Auth2,
				tt.left, tt.right, tt.left2, tt.right2)
		}
	}
	if pos, ok := conf.Conn("psk").Origin("leftauth"); !ok || pos.Line != 3 {
		t.Errorf("leftauth of psk from %v", pos)
	}
}

func TestLexerDetails(t *testing.T) {
	conf, ds := parseConf(t, "version 2.0\n"+
		"# comment\n"+
		"   # indented comment\n"+
		"conn   quoted-and-escaped   \n"+
		"\tleftid=\"C=CH, O=strong  Swan\\\", CN=x\"\n"+
		"\trightid=a   b\t c # comment\n"+
		"\tleftupdown=\"multi\\\nline\\tx\"\n"+
		"\trightupdown=\"spans\nlines\"\n"+
		"\teap_identity=@#0a0b\n"+
		"\taaa_identity=x#comment\n"+
		"\t\n"+
		"\n"+
		"conn \"quoted name\"\n"+
		"\tauto=add\r\n")
	noErrors(t, ds)
	c := conf.Conn("quoted-and-escaped")
	if c == nil {
		t.Fatalf("conns: %v", conf.Conns)
	}
	for _, ck := range []struct{ got, want string }{
		{c.Left.ID, `C=CH, O=strong  Swan", CN=x`},
		{c.Right.ID, "a b c"},
		{c.Left.Updown, "multiline\tx"},
		{c.Right.Updown, "spans\nlines"},
		{c.EAPIdentity, "@#0a0b"},
		{c.AAAIdentity, "x"},
	} {
		if ck.got != ck.want {
			t.Errorf("got %q, want %q", ck.got, ck.want)
		}
	}
	if pos, _ := c.Origin("rightupdown"); pos.Line != 9 {
		t.Errorf("rightupdown from line %d", pos.Line)
	}
	if pos, _ := c.Origin("eap_identity"); pos.Line != 11 {
		t.Errorf("eap_identity from line %d (a quoted newline counts)", pos.Line)
	}
	if q := conf.Conn("quoted name"); q == nil || q.Auto != AutoAdd {
		t.Errorf("quoted name: %+v", q)
	}
}

func TestIncludeResolution(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"etc/ipsec.conf":        "config setup\n  include ipsec.d/*.conf\nconn main\n  auto=add\n",
		"etc/ipsec.d/10-a.conf": "conn a\n  also=b\n  auto=add\ninclude sub/b.inc\n",
		"etc/ipsec.d/sub/b.inc": "conn b\n  left=10.0.0.1\n",
		"etc/ipsec.d/20-c.conf": "include \"/nonexistent dir/*.conf\"\n",
		"etc/ipsec.d/30-d.conf": "conn d\n  include  ../shared.inc\n",
		"etc/shared.inc":        "  leftid=@d\n",
		"etc/ipsec.d/40-e.conf": "conn e\n  also=a\n  include ../../etc/ipsec.d/40-e.conf\n",
	})
	conf, ds := LoadIPsecConf(nil, filepath.Join(dir, "etc/ipsec.conf"))
	// the paths are not cleaned: names are those glob(3) returns
	checkDiags(t, dir, ds, []wantDiag{
		{"etc/ipsec.d/20-c.conf", 1, SeverityWarning, "no files found matching '/nonexistent dir/*.conf'"},
		{"etc/ipsec.d/../../etc/ipsec.d/40-e.conf", 3, SeverityError, "nested too deeply"},
	})
	var names []string
	for _, c := range conf.Conns {
		names = append(names, c.Name)
	}
	if want := []string{"a", "b", "d", "e", "main"}; !reflect.DeepEqual(names, want) {
		t.Errorf("conns %v, want %v", names, want)
	}
	if a := conf.Conn("a"); a.Left.Host != "10.0.0.1" {
		t.Errorf("a: left %q", a.Left.Host)
	}
	d := conf.Conn("d")
	if pos, _ := d.Origin("leftid"); d.Left.ID != "@d" || filepath.Clean(pos.File) != filepath.Join(dir, "etc/shared.inc") || pos.Line != 1 {
		t.Errorf("d: leftid %q from %v", d.Left.ID, pos)
	}
}

func TestKeywordsList(t *testing.T) {
	supported, obsolete := Keywords()
	has := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, kw := range []string{"leftsubnet", "rightsourceip", "keylife", "margintime", "also", "auto", "leftrsasigkey", "me_peerid", "mediation"} {
		if !has(supported, kw) {
			t.Errorf("%s not supported", kw)
		}
	}
	for _, kw := range []string{"plutostart", "pfs", "nat_traversal", "charonstart", "plutodebug", "leftnexthop", "eap", "ldaphost"} {
		if !has(obsolete, kw) {
			t.Errorf("%s not obsolete", kw)
		}
	}
}
