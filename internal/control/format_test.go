package control

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// render renders st with the test defaults (UTC, built-in names).
func render(t *testing.T, st *Status, all bool, name string) string {
	t.Helper()
	var b strings.Builder
	if err := WriteStatus(&b, st, FormatOptions{All: all, Name: name, Location: time.UTC, Names: DefaultNames}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// captureOptions derives the command of a capture from its file name:
// HOST.status.txt, HOST.statusall-NAME.txt, HOST.connecting.status-a-b.txt.
func captureOptions(file string) (cmd string, all bool, name string) {
	base := strings.TrimSuffix(filepath.Base(file), ".txt")
	parts := strings.Split(base, ".")
	cmd = parts[len(parts)-1]
	c, arg, _ := strings.Cut(cmd, "-")
	if c == "status" || c == "statusall" {
		name, _, _ = strings.Cut(arg, "-") // "status a b": stroke uses the first argument
	}
	return c, c == "statusall", name
}

// TestGoldenCaptures parses every real strongSwan capture into the data it
// shows and requires the renderer to reproduce it byte for byte, also after
// a JSON round trip of the data (the control protocol carries it as JSON).
func TestGoldenCaptures(t *testing.T) {
	files, err := filepath.Glob("testdata/strongswan/*/*.txt")
	if err != nil || len(files) < 50 {
		t.Fatalf("captures: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "testdata/strongswan/"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := string(data)
			cmd, all, name := captureOptions(f)
			if cmd == "leases" {
				l, err := parseLeases(want)
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				WriteLeases(&b, l, "", "")
				if b.String() != want {
					t.Errorf("leases differ:\n--- got\n%s--- want\n%s", b.String(), want)
				}
				return
			}
			st, err := parseStatus(want)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(t, st, all, name); got != want {
				t.Errorf("output differs:\n%s", diffLines(got, want))
			}
			js, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			var back Status
			if err := json.Unmarshal(js, &back); err != nil {
				t.Fatal(err)
			}
			if got := render(t, &back, all, name); got != want {
				t.Errorf("output differs after JSON round trip:\n%s", diffLines(got, want))
			}
		})
	}
}

// TestGoldenFilters renders an unfiltered capture with the filters of
// captures taken in the same second and compares.
func TestGoldenFilters(t *testing.T) {
	read := func(f string) string {
		b, err := os.ReadFile("testdata/strongswan/" + f)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	parse := func(f string) *Status {
		st, err := parseStatus(read(f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		return st
	}
	for _, tc := range []struct {
		from, to string
		all      bool
		name     string
	}{
		{"custom/moon.statusall.txt", "custom/moon.status-rw6.txt", false, "rw6"},
		{"custom/moon.statusall.txt", "custom/moon.statusall-rw.txt", true, "rw"},
		{"custom/carol.connecting.statusall.txt", "custom/carol.connecting.status.txt", false, ""},
		{"custom/carol.connecting.statusall.txt", "custom/carol.connecting.status-home.txt", false, "home"},
		{"custom/carol.connecting.statusall.txt", "custom/carol.connecting.statusall-v6.txt", true, "v6"},
		{"rw-cert/carol.statusall-home.txt", "rw-cert/carol.statusall-nosuch.txt", true, "nosuch"},
		{"rw-cert/carol.statusall-home.txt", "rw-cert/carol.status-nosuch.txt", false, "nosuch"},
		{"ip-pool/moon.statusall.txt", "ip-pool/moon.status.txt", false, ""},
	} {
		st := parse(tc.from)
		if tc.all {
			// The header figures (malloc, workers) moved between the two
			// commands; take them from the target.
			to := parse(tc.to)
			st.Daemon, st.Now = to.Daemon, to.Now
		}
		if got, want := render(t, st, tc.all, tc.name), read(tc.to); got != want {
			t.Errorf("%s filtered to %s (all %v, %q):\n%s", tc.from, tc.to, tc.all, tc.name, diffLines(got, want))
		}
	}
}

func diffLines(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  got:  " + quote(gl) + "\n  want: " + quote(wl) + "\n")
		}
	}
	return b.String()
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

var (
	now   = time.Date(2026, 11, 27, 14, 56, 42, 0, time.UTC)
	moon  = netip.MustParseAddr("192.168.0.1")
	carol = netip.MustParseAddr("192.168.0.100")
)

func pfx(s string) TrafficSelector { return SubnetTS(netip.MustParsePrefix(s)) }

// TestHandBuilt covers what no capture shows, from strongSwan's format
// strings: AH, IPComp, proxy mode, REKEYED children, "rekeying active",
// queued/passive tasks, XAuth identities, OCSP/IM-CA lines, %any6.
func TestHandBuilt(t *testing.T) {
	st := &Status{
		Now: now,
		Daemon: DaemonInfo{
			Software: "goswan 0.1.0, strongSwan 5.9.8 compatible", Sysname: "Linux", Release: "6.1.0", Machine: "x86_64",
			Started: now.Add(-3 * time.Hour),
			Workers: Workers{Idle: 3, Total: 8, Working: [4]int{1, 0, 4, 0}, Scheduled: 2},
			Plugins: []string{"charon", "aes", "stroke"},
		},
		Addresses: []netip.Addr{moon, netip.MustParseAddr("fec0::1")},
		Conns: []Conn{{
			Name: "a-very-long-connection-name", Local: "%any", Remote: "gw.example.org", Version: 1,
			DPDDelay: 10 * time.Second,
			LocalAuth: []Auth{
				{ID: "C=CH, CN=me", Class: AuthPubkey, Cert: "C=CH, CN=me"},
				{Class: AuthXAuth, XAuthBackend: "pam"},
			},
			RemoteAuth: []Auth{
				{Class: AuthPubkey, CACert: "C=CH, CN=Root", IMCert: "C=CH, CN=Sub", OCSP: RequireGoodOrSkipped, CRL: RequireGood},
				{Class: AuthEAP, EAPType: "EAP_254-12345"},
				{Class: ""},
			},
			Children: []ChildConfig{{
				Name: "a-very-long-connection-name", Mode: ModeTransport,
				LocalTS:  []TrafficSelector{DynamicTS(true)},
				RemoteTS: []TrafficSelector{pfx("10.1.0.0/16"), pfx("10.2.0.0/16"), {From: netip.MustParseAddr("fec1::1"), To: netip.MustParseAddr("fec1::9"), Protocol: 17, FromPort: 1000, ToPort: 2000}},
			}},
		}},
		Up: 1, Connecting: 0,
		IKESAs: []IKESA{{
			Name: "gw", UniqueID: 7, Version: 1, State: IKERekeying,
			LocalHost: netip.IPv6Unspecified(), RemoteHost: netip.MustParseAddr("fec0::2"),
			LocalID: "%any", RemoteID: "gw.example.org", RemoteEAPID: "xuser",
			InitiatorSPI: 1, ResponderSPI: 0xfedcba9876543210,
			Proposal:     "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384",
			TasksQueued:  []string{"IKE_REKEY", "CHILD_CREATE"},
			TasksPassive: []string{"IKE_DPD"},
			Children: []ChildSA{
				{Name: "gw", UniqueID: 3, State: ChildInstalled, Mode: ModeTransport, Proxy: true, ReqID: 5, Protocol: "AH",
					SPIIn: 0xc1234567, SPIOut: 0x7654321, IPComp: true, CPIIn: 0x1234, CPIOut: 0xab,
					Algorithms: ChildAlgorithms{Integrity: "HMAC_SHA2_512_256", KE: "MODP_2048", ESN: true},
					BytesIn:    1 << 40, PacketsIn: 1, LastIn: now.Add(-75 * time.Second),
					Rekey:    now.Add(-time.Second),
					LocalTS:  []TrafficSelector{{From: moon, To: moon, Protocol: 1, FromPort: 3 << 8, ToPort: 3<<8 | 4}},
					RemoteTS: []TrafficSelector{{From: carol, To: carol, Protocol: 1, FromPort: 8 << 8, ToPort: 8 << 8}, {From: carol, To: carol, Protocol: 50, FromPort: 0xffff, ToPort: 0}}},
				{Name: "gw", UniqueID: 4, State: ChildRekeyed, Mode: ModeTunnel, ReqID: 5, Protocol: "ESP",
					Expire:   now.Add(49 * time.Hour),
					LocalTS:  []TrafficSelector{pfx("0.0.0.0/0")},
					RemoteTS: []TrafficSelector{{From: netip.MustParseAddr("10.0.0.1"), To: netip.MustParseAddr("10.0.0.6"), Protocol: 132, FromPort: 7, ToPort: 7}}},
				{Name: "gw", UniqueID: 5, State: ChildInstalled, Mode: ModeTunnel, ReqID: 6, Protocol: "ESP", Encap: true,
					Algorithms: ChildAlgorithms{Encryption: "AES_GCM_16", EncryptionKeyLen: 256},
					BytesOut:   42, PacketsOut: 2, LastOut: now,
					Rekey:   now.Add(121 * time.Second),
					LocalTS: []TrafficSelector{pfx("10.0.0.0/8")}, RemoteTS: []TrafficSelector{{From: netip.MustParseAddr("10.9.0.0"), To: netip.MustParseAddr("10.9.255.255"), Protocol: 6, FromPort: 8080, ToPort: 8080}}},
			},
		}},
	}
	want := `Status of IKE charon daemon (goswan 0.1.0, strongSwan 5.9.8 compatible, Linux 6.1.0, x86_64):
  uptime: 3 hours, since Nov 27 11:56:42 2026
  worker threads: 3 of 8 idle, 1/0/4/0 working, job queue: 0/0/0/0, scheduled: 2
  loaded plugins: charon aes stroke
Listening IP addresses:
  192.168.0.1
  fec0::1
Connections:
a-very-long-connection-name:  %any...gw.example.org  IKEv1, dpddelay=10s
a-very-long-connection-name:   local:  [C=CH, CN=me] uses public key authentication
a-very-long-connection-name:    cert:  "C=CH, CN=me"
a-very-long-connection-name:   local:  uses XAuth authentication: pam
a-very-long-connection-name:   remote: uses public key authentication
a-very-long-connection-name:    ca:    "C=CH, CN=Root"
a-very-long-connection-name:    im-ca: "C=CH, CN=Sub"
a-very-long-connection-name:    ocsp:  status must be GOOD or SKIPPED
a-very-long-connection-name:    crl:   status must be GOOD
a-very-long-connection-name:   remote: uses EAP_254-12345 authentication
a-very-long-connection-name:   remote: uses any authentication
a-very-long-connection-name:   child:  dynamic === 10.1.0.0/16 10.2.0.0/16 fec1::1..fec1::9[udp/1000-2000] TRANSPORT, dpdaction=none
Security Associations (1 up, 0 connecting):
          gw[7]: REKEYING, %any6[%any]...fec0::2[gw.example.org]
          gw[7]: Remote XAuth identity: xuser
          gw[7]: IKEv1 SPIs: 0000000000000001_i fedcba9876543210_r*
          gw[7]: IKE proposal: AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384
          gw[7]: Tasks queued: IKE_REKEY CHILD_CREATE 
          gw[7]: Tasks passive: IKE_DPD 
          gw{3}:  INSTALLED, TRANSPORT_PROXY, reqid 5, AH SPIs: c1234567_i 07654321_o, IPCOMP CPIs: 1234_i 00ab_o
          gw{3}:  HMAC_SHA2_512_256/MODP_2048/ESN, 1099511627776 bytes_i (1 pkt, 75s ago), 0 bytes_o, rekeying active
          gw{3}:   192.168.0.1/32[icmp/3-3(4)] === 192.168.0.100/32[icmp/8] 192.168.0.100/32[esp/OPAQUE]
          gw{4}:  REKEYED, TUNNEL, reqid 5, expires in 2 days
          gw{4}:   0.0.0.0/0 === 10.0.0.1..10.0.0.6[sctp/7]
          gw{5}:  INSTALLED, TUNNEL, reqid 6, ESP in UDP SPIs: 00000000_i 00000000_o
          gw{5}:  AES_GCM_16_256, 0 bytes_i, 42 bytes_o (2 pkts, 0s ago), rekeying in 2 minutes
          gw{5}:   10.0.0.0/8 === 10.9.0.0/16[tcp/8080]
`
	if got := render(t, st, true, ""); got != want {
		t.Errorf("statusall:\n%s", diffLines(got, want))
	}
	wantShort := `Security Associations (1 up, 0 connecting):
          gw[7]: REKEYING, %any6[%any]...fec0::2[gw.example.org]
          gw{3}:  INSTALLED, TRANSPORT_PROXY, reqid 5, AH SPIs: c1234567_i 07654321_o, IPCOMP CPIs: 1234_i 00ab_o
          gw{3}:   192.168.0.1/32[icmp/3-3(4)] === 192.168.0.100/32[icmp/8] 192.168.0.100/32[esp/OPAQUE]
          gw{4}:  REKEYED, TUNNEL, reqid 5, expires in 2 days
          gw{4}:   0.0.0.0/0 === 10.0.0.1..10.0.0.6[sctp/7]
          gw{5}:  INSTALLED, TUNNEL, reqid 6, ESP in UDP SPIs: 00000000_i 00000000_o
          gw{5}:   10.0.0.0/8 === 10.9.0.0/16[tcp/8080]
`
	if got := render(t, st, false, "gw"); got != wantShort {
		t.Errorf("status gw:\n%s", diffLines(got, wantShort))
	}
}

// TestChildOnlyMatch: `ipsec status CHILD` prints the IKE_SA line before
// the first matching CHILD_SA even when the IKE_SA has another name (two
// conns merged into one peer config, as in protoport-dual).
func TestChildOnlyMatch(t *testing.T) {
	data, err := os.ReadFile("testdata/strongswan/protoport-dual/carol.statusall.txt")
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseStatus(string(data))
	if err != nil {
		t.Fatal(err)
	}
	want := `Security Associations (1 up, 0 connecting):
   home-icmp[1]: ESTABLISHED 0 seconds ago, 192.168.0.100[carol@strongswan.org]...192.168.0.1[moon.strongswan.org]
    home-ssh{2}:  INSTALLED, TUNNEL, reqid 2, ESP in UDP SPIs: e733e332_i e39bf508_o
    home-ssh{2}:   192.168.0.100/32[tcp] === 10.1.0.0/16[tcp/ssh]
`
	if got := render(t, st, false, "home-ssh"); got != want {
		t.Errorf("status home-ssh:\n%s", diffLines(got, want))
	}
	// statusall home-ssh: the peer config is called home-icmp, so the
	// Connections section stays empty, as in strongSwan.
	got := render(t, st, true, "home-ssh")
	if !strings.Contains(got, "Connections:\nSecurity Associations") {
		t.Errorf("statusall home-ssh lists connections:\n%s", got)
	}
}

func TestDelta(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 seconds"}, {time.Second, "1 second"}, {-time.Second, "1 second"}, {999 * time.Millisecond, "0 seconds"},
		{120 * time.Second, "120 seconds"}, {121 * time.Second, "2 minutes"}, {7200 * time.Second, "120 minutes"},
		{7201 * time.Second, "2 hours"}, {48 * time.Hour, "48 hours"}, {48*time.Hour + time.Second, "2 days"},
		{-30 * 24 * time.Hour, "30 days"},
	} {
		if got := delta(now.Add(tc.d), now); got != tc.want {
			t.Errorf("delta(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := timeString(time.Time{}, time.UTC); got != "--- -- --:--:-- ----" {
		t.Errorf("zero time: %q", got)
	}
}

func TestTrafficSelectorFormat(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		ts   TrafficSelector
		want string
	}{
		{DynamicTS(false), "dynamic"},
		{DynamicTS(true), "dynamic"},
		{pfx("0.0.0.0/0"), "0.0.0.0/0"},
		{pfx("::/0"), "::/0"},
		{pfx("10.1.2.3/16"), "10.1.0.0/16"},
		{pfx("fec1::/16"), "fec1::/16"},
		{pfx("192.168.0.1/32"), "192.168.0.1/32"},
		{TrafficSelector{From: a("10.0.0.1"), To: a("10.0.0.1"), Dynamic: true}, "10.0.0.1/32"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("10.0.1.0")}, "10.0.0.0..10.0.1.0"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("9.0.0.0")}, "10.0.0.0..9.0.0.0"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("fec0::1")}, "10.0.0.0..fec0::1"},
		{TrafficSelector{}, "%any..%any"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("10.0.0.255"), Protocol: 6}, "10.0.0.0/24[tcp]"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("10.0.0.255"), FromPort: 53, ToPort: 53}, "10.0.0.0/24[0/domain]"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("10.0.0.255"), Protocol: 17, FromPort: 53, ToPort: 53}, "10.0.0.0/24[udp/domain]"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("10.0.0.255"), Protocol: 17, FromPort: 0, ToPort: 0xffff}, "10.0.0.0/24[udp]"},
		{TrafficSelector{From: a("10.0.0.0"), To: a("10.0.0.255"), Protocol: 200, FromPort: 1, ToPort: 1}, "10.0.0.0/24[200/1]"},
		{TrafficSelector{From: a("fec0::"), To: a("fec0::ffff"), Protocol: 58, FromPort: 135 << 8, ToPort: 136<<8 | 255}, "fec0::/112[ipv6-icmp/135-136(255)]"},
	} {
		if got := tc.ts.format(DefaultNames); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.ts, got, tc.want)
		}
	}
}

func TestLeases(t *testing.T) {
	l := &Leases{Pools: []PoolLeases{
		{Pool: Pool{Name: "10.3.0.0/28", Size: 14, Online: 1, Offline: 1}, Leases: []Lease{
			{Address: netip.MustParseAddr("10.3.0.1"), Online: true, Identity: "carol@strongswan.org"},
			{Address: netip.MustParseAddr("10.3.0.2"), Identity: "dave@strongswan.org"},
		}},
		{Pool: Pool{Name: "v6", Size: 255}, Leases: []Lease{{Address: netip.MustParseAddr("fec3::1"), Identity: "x"}}},
	}}
	for _, tc := range []struct{ pool, addr, want string }{
		{"", "", "Leases in pool '10.3.0.0/28', usage: 2/14, 1 online\n         10.3.0.1   online   'carol@strongswan.org'\n         10.3.0.2   offline   'dave@strongswan.org'\nLeases in pool 'v6', usage: 0/255, 0 online\n          fec3::1   offline   'x'\n"},
		{"10.3.0.0/28", "10.3.0.2", "Leases in pool '10.3.0.0/28', usage: 2/14, 1 online\n         10.3.0.2   offline   'dave@strongswan.org'\n"},
		{"10.3.0.0/28", "10.3.0.9", "Leases in pool '10.3.0.0/28', usage: 2/14, 1 online\n  no matching leases found\n"},
		{"v6", "garbage", "Leases in pool 'v6', usage: 0/255, 0 online\n          fec3::1   offline   'x'\n"},
		{"nope", "", "pool 'nope' not found\n"},
	} {
		var b strings.Builder
		WriteLeases(&b, l, tc.pool, tc.addr)
		if b.String() != tc.want {
			t.Errorf("leases %q %q:\n%s", tc.pool, tc.addr, diffLines(b.String(), tc.want))
		}
	}
	var b strings.Builder
	WriteLeases(&b, &Leases{}, "", "")
	if b.String() != "no pools found\n" {
		t.Errorf("no pools: %q", b.String())
	}
}

func TestEmptyStatus(t *testing.T) {
	got := render(t, &Status{Now: now, Daemon: DaemonInfo{Started: now}}, true, "")
	want := "Status of IKE charon daemon ():\n  uptime: 0 seconds, since Nov 27 14:56:42 2026\n" +
		"  worker threads: 0 of 0 idle, 0/0/0/0 working, job queue: 0/0/0/0, scheduled: 0\n  loaded plugins: \n" +
		"Listening IP addresses:\nConnections:\nSecurity Associations (0 up, 0 connecting):\n  none\n"
	if got != want {
		t.Errorf("empty status:\n%s", diffLines(got, want))
	}
}
