package config

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// configsDir holds the project's example configuration.
var configsDir = filepath.Join("..", "..", "configs")

func noErrors(t *testing.T, ds []Diagnostic) {
	t.Helper()
	for _, d := range ds {
		if d.Severity == SeverityError {
			t.Errorf("unexpected error: %v", d)
		}
	}
}

func TestExampleGateway(t *testing.T) {
	path := filepath.Join(configsDir, "ipsec.conf")
	conf, ds := LoadIPsecConf(nil, path)
	noErrors(t, ds)
	if len(ds) != 1 || !strings.Contains(ds[0].Msg, "deprecated keyword 'plutostart'") ||
		ds[0].Severity != SeverityWarning || ds[0].Line != 8 {
		t.Errorf("want exactly the plutostart warning at line 8, got %v", ds)
	}
	if conf.Invalid {
		t.Fatal("config marked invalid")
	}
	var names []string
	for _, c := range conf.Conns {
		names = append(names, c.Name)
	}
	if want := []string{"rw", "rw-allow", "rw-isolate", "rw-eap"}; !reflect.DeepEqual(names, want) {
		t.Errorf("conns = %v, want %v", names, want)
	}

	c := conf.Conn("rw-allow")
	checks := []struct {
		name      string
		got, want any
	}{
		{"Auto", c.Auto, AutoAdd},
		{"Parents", c.Parents, []string{"rw-eap"}},
		{"Left.Host", c.Left.Host, "192.168.0.1"},
		{"Left.Hosts", c.Left.Hosts, []HostSpec{{Kind: HostAddr, Raw: "192.168.0.1", Addr: netip.MustParseAddr("192.168.0.1")}}},
		{"Left.Auth", c.Left.Auth, "eap-ttls"},
		{"Right.Auth", c.Right.Auth, "eap-radius"},
		{"Left.TS", c.Left.TS, []TrafficSelector{{Prefix: netip.MustParsePrefix("10.1.0.0/16"), ToPort: 0xffff}}},
		{"Right.TS", c.Right.TS, []TrafficSelector{{Dynamic: true, ToPort: 0xffff}}},
		{"Right.Groups", c.Right.Groups, []string{"allow"}},
		{"Left.ID", c.Left.ID, "@moon.strongswan.org"},
		{"Left.Certs", c.Left.Certs, []string{"moonCert.pem"}},
		{"Left.Updown", c.Left.Updown, UpdownFirewall},
		{"Right.ID", c.Right.ID, "*@strongswan.org"},
		{"Right.Host", c.Right.Host, "%any"},
		{"Right.SendCert", c.Right.SendCert, SendCertNever},
		// defaults
		{"KeyExchange", c.KeyExchange, KeyExchangeIKE},
		{"Mode", c.Mode, ModeTunnel},
		{"IKELifetime", c.IKELifetime, 3 * time.Hour},
		{"Lifetime", c.Lifetime, time.Hour},
		{"RekeyMargin", c.RekeyMargin, 9 * time.Minute},
		{"RekeyFuzz", c.RekeyFuzz, uint32(100)},
		{"KeyingTries", c.KeyingTries, uint32(3)},
		{"DPDDelay", c.DPDDelay, 30 * time.Second},
		{"DPDTimeout", c.DPDTimeout, 150 * time.Second},
		{"DPDAction", c.DPDAction, ActionNone},
		{"Mobike", c.Mobike, true},
		{"Reauth", c.Reauth, true},
		{"Rekey", c.Rekey, true},
		{"Fragmentation", c.Fragmentation, FragmentationYes},
		{"InstallPolicy", c.InstallPolicy, true},
		{"ReplayWindow", c.ReplayWindow, int64(-1)},
		{"Left.SendCert", c.Left.SendCert, SendCertIfAsked},
		{"Left.IKEPort", c.Left.IKEPort, uint16(500)},
		{"Right.AllowAny", c.Right.AllowAny, false},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("rw-allow %s = %#v, want %#v", ck.name, ck.got, ck.want)
		}
	}
	for kw, line := range map[string]int{"leftsubnet": 22, "rightgroups": 21, "left": 33, "leftauth": 36, "rightauth": 38, "auto": 24} {
		pos, ok := c.Origin(kw)
		if !ok || pos.Line != line || pos.File != path {
			t.Errorf("rw-allow %s from %v, want %s:%d", kw, pos, path, line)
		}
	}
	if _, ok := c.Origin("ikelifetime"); ok {
		t.Error("ikelifetime has an origin, want the default")
	}

	if iso := conf.Conn("rw-isolate"); !reflect.DeepEqual(iso.Right.Groups, []string{"isolate"}) ||
		iso.Left.TS[0].Prefix != netip.MustParsePrefix("10.2.0.0/16") || iso.Left.Auth != "eap-ttls" {
		t.Errorf("rw-isolate: groups %v, ts %v, auth %s", iso.Right.Groups, iso.Left.TS, iso.Left.Auth)
	}
	if eap := conf.Conn("rw-eap"); eap.Auto != AutoIgnore || eap.Invalid {
		t.Errorf("rw-eap: auto=%v invalid=%v, want ignore and valid", eap.Auto, eap.Invalid)
	}
	rw := conf.Conn("rw")
	if rw.KeyExchange != KeyExchangeIKEv2 || len(rw.Right.SourceIPs) != 1 ||
		rw.Right.SourceIPs[0].Kind != SourceIPPrefix || rw.Right.SourceIPs[0].Prefix != netip.MustParsePrefix("10.3.0.0/24") {
		t.Errorf("rw: keyexchange %v, rightsourceip %+v", rw.KeyExchange, rw.Right.SourceIPs)
	}
	if rw.Left.Auth != "pubkey" || rw.Right.Auth != "pubkey" {
		t.Errorf("rw: auth %s/%s, want the pubkey default", rw.Left.Auth, rw.Right.Auth)
	}
}

func TestExampleRoadwarrior(t *testing.T) {
	conf, ds := LoadIPsecConf(nil, filepath.Join(configsDir, "roadwarrior", "ipsec.conf"))
	noErrors(t, ds)
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	home := conf.Conn("home")
	if home == nil || home.Auto != AutoStart || home.KeyExchange != KeyExchangeIKEv2 {
		t.Fatalf("home = %+v", home)
	}
	if len(home.Left.SourceIPs) != 1 || home.Left.SourceIPs[0].Kind != SourceIPConfig {
		t.Errorf("leftsourceip = %+v", home.Left.SourceIPs)
	}
	if home.Right.Host != "moon.strongswan.org" || home.Right.Hosts[0].Kind != HostName {
		t.Errorf("right = %q %+v", home.Right.Host, home.Right.Hosts)
	}
	if home.Right.TS[0].Prefix != netip.MustParsePrefix("10.1.0.0/16") || !home.Left.TS[0].Dynamic {
		t.Errorf("ts = %v / %v", home.Left.TS, home.Right.TS)
	}
	if home.Left.ID != "carol@strongswan.org" || home.Right.ID != "@moon.strongswan.org" {
		t.Errorf("ids = %q %q", home.Left.ID, home.Right.ID)
	}
}

func TestExampleSecrets(t *testing.T) {
	s, ds := LoadSecrets(nil, filepath.Join(configsDir, "ipsec.secrets"), "/etc/ipsec.d/private")
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	want := []SecretEntry{{Pos: Pos{filepath.Join(configsDir, "ipsec.secrets"), 4}, Type: SecretRSA,
		File: "moonKey.pem", Path: "/etc/ipsec.d/private/moonKey.pem"}}
	if !reflect.DeepEqual(s.Entries, want) {
		t.Errorf("entries = %+v, want %+v", s.Entries, want)
	}

	s, ds = LoadSecrets(nil, filepath.Join(configsDir, "roadwarrior", "ipsec.secrets"), "/etc/ipsec.d/private")
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	if len(s.Entries) != 1 {
		t.Fatalf("entries = %+v", s.Entries)
	}
	e := s.Entries[0]
	if e.Type != SecretRSA || e.Path != "/etc/ipsec.d/private/carolKey.pem" ||
		!reflect.DeepEqual(e.Passphrases, [][]byte{[]byte("nH5ZQEWtku0RJEZ6")}) || e.Prompt {
		t.Errorf("entry = %+v", e)
	}
}

func TestExampleStrongswanConf(t *testing.T) {
	s, ds := LoadSettings(nil, filepath.Join(configsDir, "strongswan.conf"))
	if len(ds) != 0 {
		t.Errorf("diagnostics: %v", ds)
	}
	if _, ok := s.Get("charon.plugins.attr-sql.database"); ok {
		t.Error("attr-sql database found without the daemon's fallbacks")
	}
	s = s.WithDaemonFallbacks("charon")
	if v, ok := s.Get("charon.plugins.attr-sql.database"); !ok || v != "sqlite:///etc/ipsec.d/ipsec.db" {
		t.Errorf("charon.plugins.attr-sql.database = %q, %v", v, ok)
	}
	if pos, _ := s.Origin("charon.plugins.attr-sql.database"); pos.Line != 21 {
		t.Errorf("database defined at %v, want line 21", pos)
	}
	if !s.GetBool("charon.plugins.eap-radius.filter_id", false) {
		t.Error("filter_id not true")
	}
	if got := s.GetString("charon.plugins.eap-radius.server", ""); got != "10.1.0.10" {
		t.Errorf("server = %q", got)
	}
	if got := s.Keys("charon.plugins.attr-sql"); !reflect.DeepEqual(got, []string{"database"}) {
		t.Errorf("keys of charon.plugins.attr-sql = %v", got)
	}
	if got := s.GetString("charon.load", ""); !strings.HasPrefix(got, "random nonce aes") || strings.Contains(got, "  ") {
		t.Errorf("charon.load = %q", got)
	}
}

func TestExampleLoad(t *testing.T) {
	cfg, ds := Load(Options{ConfDir: configsDir, StrongswanConf: filepath.Join(configsDir, "strongswan.conf")})
	noErrors(t, ds)
	if v, _ := cfg.Settings.Get("charon.plugins.attr-sql.database"); v != "sqlite:///etc/ipsec.d/ipsec.db" {
		t.Errorf("database = %q", v)
	}
	if cfg.IPsecConf.Conn("rw-allow") == nil || len(cfg.Secrets.Entries) != 1 {
		t.Error("configuration incomplete")
	}
	// the example has no ipsec.d: charon would log the missing files
	var certs, keys int
	for _, d := range ds {
		switch {
		case strings.HasPrefix(d.Msg, "loading certificate from 'moonCert.pem'"):
			certs++
		case strings.HasPrefix(d.Msg, "loading private key"):
			keys++
		}
	}
	if certs != 2 || keys != 1 {
		t.Errorf("missing-file warnings: %d certificates, %d keys; diagnostics %v", certs, keys, ds)
	}
	var sb strings.Builder
	if err := Dump(&sb, cfg); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conn rw-allow", "leftauth=eap-ttls", "rightgroups=allow",
		"database = sqlite:///etc/ipsec.d/ipsec.db", ": RSA ", "ikelifetime=3h"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("dump lacks %q", want)
		}
	}
}

func TestLoadSecretsFileSetting(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ipsec.conf":      "conn a\n  auto=add\n",
		"ipsec.secrets":   ": PSK default\n",
		"other.secrets":   ": PSK other\n: PSK two\n",
		"strongswan.conf": "charon {\n}\n",
	})
	ss := filepath.Join(dir, "strongswan.conf")
	cfg, ds := Load(Options{ConfDir: dir, StrongswanConf: ss})
	noErrors(t, ds)
	if len(cfg.Secrets.Entries) != 1 || cfg.Secrets.File != filepath.Join(dir, "ipsec.secrets") {
		t.Errorf("default secrets: %d entries from %s", len(cfg.Secrets.Entries), cfg.Secrets.File)
	}
	writeFile(t, ss, "charon {\n  plugins {\n    stroke {\n      secrets_file = "+filepath.Join(dir, "other.secrets")+"\n    }\n  }\n}\n")
	cfg, ds = Load(Options{ConfDir: dir, StrongswanConf: ss})
	noErrors(t, ds)
	if len(cfg.Secrets.Entries) != 2 || cfg.Options.IPsecSecrets != filepath.Join(dir, "other.secrets") {
		t.Errorf("secrets from %s: %d entries", cfg.Secrets.File, len(cfg.Secrets.Entries))
	}
}

func TestDumpRawAndRedaction(t *testing.T) {
	conf, _ := ParseIPsecConf(memFS{}, "/etc/ipsec.conf", []byte("conn a\n  also=b\n  leftid=\"x y\"\n  left=\nconn b\n  auto=add\n"))
	var sb strings.Builder
	if err := conf.DumpRaw(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"conn a", `leftid="x y"`, "left=  ", "also=b", "# /etc/ipsec.conf:2", "conn b"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("raw dump lacks %q:\n%s", want, sb.String())
		}
	}
	s, _ := ParseSecrets(memFS{}, "/etc/ipsec.secrets", []byte("@a : PSK \"topsecret\"\n: RSA k.pem \"hidden pass\"\n"), "/p")
	sb.Reset()
	if err := s.Dump(&sb); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sb.String(), "topsecret") || strings.Contains(sb.String(), "hidden pass") ||
		!strings.Contains(sb.String(), "<9 bytes hidden>") || !strings.Contains(sb.String(), "/p/k.pem") {
		t.Errorf("secrets dump:\n%s", sb.String())
	}
}
