package config

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestSettingsSyntax(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"strongswan.conf": `# comment
a = b
charon {
	load = random  nonce   aes # comment
	quoted = "  keep  spaces " and more
	escaped = "tab\tnewline\nquote\" backslash\\ merged\
line"
	multi = "first
second"
	empty =
	inline { x = 1 }
	port = 0x1f4
	neg = -1
	retransmit_timeout = 1.5
	time = 5m
	long = 10 min
	days = 2d
	bad_time = 1.5h
	flag = Enabled
	off = disabled
	include conf.d/*.conf
	plugins {
		include plugins/*.conf
	}
}
charon { load = override }
include "other dir/more.conf"
`,
		"conf.d/a.conf":          "fromfile = yes\nplugins { x { load = no } }\n",
		"plugins/eap.conf":       "eap-radius {\n  secret = s\n}\n",
		"other dir/more.conf":    "a = c\nsection-two {\n\tx = 12\n}\n",
		"other dir/.hidden.conf": "hidden = yes\n",
	})
	s, ds := LoadSettings(nil, filepath.Join(dir, "strongswan.conf"))
	checkDiags(t, dir, ds, nil)
	for _, tt := range []struct{ key, want string }{
		{"a", "c"},
		{"charon.load", "override"},
		{"charon.quoted", "  keep  spaces  and more"},
		{"charon.escaped", "tab\tnewline\nquote\" backslash\\ mergedline"},
		{"charon.multi", "first\nsecond"},
		{"charon.inline.x", "1"},
		{"charon.fromfile", "yes"},
		{"charon.plugins.x.load", "no"},
		{"charon.plugins.eap-radius.secret", "s"},
		{"section-two.x", "12"},
	} {
		if got, ok := s.Get(tt.key); !ok || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.key, got, ok, tt.want)
		}
	}
	if _, ok := s.Get("charon.empty"); ok {
		t.Error("charon.empty is set")
	}
	if _, ok := s.Get("hidden"); ok {
		t.Error("a hidden file was included")
	}
	if got := s.GetString("charon.empty", "def"); got != "def" {
		t.Errorf("GetString of an empty value = %q", got)
	}
	if got := s.GetInt("charon.port", 0); got != 500 {
		t.Errorf("port = %d", got)
	}
	if got := s.GetInt("charon.neg", 0); got != -1 {
		t.Errorf("neg = %d", got)
	}
	if got := s.GetInt("charon.load", 7); got != 7 {
		t.Errorf("GetInt of a word = %d", got)
	}
	if got := s.GetFloat("charon.retransmit_timeout", 0); got != 1.5 {
		t.Errorf("retransmit_timeout = %v", got)
	}
	for key, want := range map[string]time.Duration{
		"charon.time": 5 * time.Minute, "charon.long": 10 * time.Minute, "charon.days": 48 * time.Hour,
		"charon.bad_time": time.Second, "charon.port": 0, "charon.missing": time.Second,
	} {
		if key == "charon.port" {
			continue // 0x1f4 is not a time
		}
		if got := s.GetDuration(key, time.Second); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if !s.GetBool("charon.flag", false) || s.GetBool("charon.off", true) || !s.GetBool("charon.load", true) {
		t.Error("GetBool")
	}
	if got := s.Sections("charon"); !reflect.DeepEqual(got, []string{"inline", "plugins"}) {
		t.Errorf("sections of charon = %v", got)
	}
	if got := s.Sections(""); !reflect.DeepEqual(got, []string{"charon", "section-two"}) {
		t.Errorf("top sections = %v", got)
	}
	wantKeys := []string{"load", "quoted", "escaped", "multi", "port", "neg", "retransmit_timeout", "time", "long",
		"days", "bad_time", "flag", "off", "fromfile"}
	if got := s.Keys("charon"); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("keys of charon = %v", got)
	}
	if pos, ok := s.Origin("charon.plugins.eap-radius.secret"); !ok || pos.Line != 2 ||
		pos.File != filepath.Join(dir, "plugins/eap.conf") {
		t.Errorf("origin = %v", pos)
	}
	if pos, _ := s.Origin("charon.load"); pos.Line != 26 {
		t.Errorf("charon.load from line %d, want 26", pos.Line)
	}
	if len(s.Files) != 4 {
		t.Errorf("files = %v", s.Files)
	}
}

func TestSettingsReferences(t *testing.T) {
	s, ds := ParseSettings(memFS{}, "/etc/strongswan.conf", []byte(`
conn-defaults {
	version = 2
	local { auth = pubkey }
}
eap-defaults {
	remote { auth = eap }
	version = 1
}
connections {
	a : conn-defaults, eap-defaults {
		version = 3
		remote { id = x }
	}
	b : conn-defaults {
		local {
			auth =
		}
	}
	c : connections.a {
	}
	loop1 : connections.loop2 { }
	loop2 : connections.loop1 { v = 1 }
}
libstrongswan {
	plugins { random { urandom = /dev/u } }
	crypto_test { on_add = yes }
}
libhydra {
	plugins { attr-sql { database = sqlite:///db } }
}
charon {
	plugins { attr-sql { } }
	crypto_test { on_add = no }
}
`))
	noErrors(t, ds)
	for _, tt := range []struct{ key, want string }{
		{"connections.a.version", "3"},
		{"connections.a.local.auth", "pubkey"},
		{"connections.a.remote.auth", "eap"},
		{"connections.a.remote.id", "x"},
		{"connections.b.version", "2"},
		{"connections.c.version", "3"},
		{"connections.c.remote.auth", "eap"},
		{"connections.loop1.v", "1"},
	} {
		if got, ok := s.Get(tt.key); !ok || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.key, got, ok, tt.want)
		}
	}
	// an empty value hides the inherited one
	if v, ok := s.Get("connections.b.local.auth"); ok {
		t.Errorf("connections.b.local.auth = %q, want unset", v)
	}
	if got := s.Sections("connections.a"); !reflect.DeepEqual(got, []string{"remote", "local"}) {
		t.Errorf("sections of a = %v", got)
	}
	if got := s.Keys("connections.c"); !reflect.DeepEqual(got, []string{"version"}) {
		t.Errorf("keys of c = %v", got)
	}
	if _, ok := s.Get("charon.plugins.attr-sql.database"); ok {
		t.Error("fallback active before it is installed")
	}
	f := s.WithDaemonFallbacks("charon")
	if got := f.GetString("charon.plugins.attr-sql.database", ""); got != "sqlite:///db" {
		t.Errorf("attr-sql database = %q", got)
	}
	if got := f.GetString("charon.plugins.random.urandom", ""); got != "/dev/u" {
		t.Errorf("libstrongswan fallback: %q", got)
	}
	if f.GetBool("charon.crypto_test.on_add", true) {
		t.Error("charon's own value must win over the libstrongswan fallback")
	}
	if got := f.Sections("charon.plugins"); !reflect.DeepEqual(got, []string{"attr-sql", "random"}) {
		t.Errorf("plugins = %v", got)
	}
	// the original is unchanged
	if _, ok := s.Get("charon.plugins.random.urandom"); ok {
		t.Error("WithFallback modified its receiver")
	}
	if _, ok := s.Get("charon.plugins.attr-sql.database"); ok {
		t.Error("WithFallback modified its receiver")
	}
}

func TestSettingsErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{"unbalanced braces", "charon {\n  a = b\n  plugins {\n  }\n", []wantDiag{
			{"strongswan.conf", 1, SeverityError, "section 'charon' is not closed"}}},
		{"extra brace", "charon {\n}\n}\nx = 1\n", []wantDiag{{"strongswan.conf", 3, SeverityError, "unexpected '}'"}}},
		{"quote in a name", "charon {\n  \"load\" = x\n}\n", []wantDiag{{"strongswan.conf", 2, SeverityError, "unexpected string detected"}}},
		{"unterminated string", "charon {\n  load = \"x\n}\n", []wantDiag{{"strongswan.conf", 2, SeverityError, "unterminated string detected"},
			{"strongswan.conf", 1, SeverityError, "section 'charon' is not closed"}}},
		{"missing equals", "charon {\n  load x\n  ok = 1\n}\n", []wantDiag{{"strongswan.conf", 2, SeverityError, "expected '=', '{' or ':' after 'load'"}}},
		{"dotted key", "charon.load = x\n", []wantDiag{{"strongswan.conf", 1, SeverityError, "names cannot contain dots"}}},
		{"bad reference", "a : {\n}\n", []wantDiag{{"strongswan.conf", 1, SeverityError, "expected a section name"}}},
		{"missing include", "include nosuch.conf\n", []wantDiag{{"strongswan.conf", 1, SeverityWarning, "no files found matching"}}},
		{"several errors", "a {\n b c\n}\n}\nd.e = 1\n", []wantDiag{
			{"strongswan.conf", 2, SeverityError, "after 'b'"},
			{"strongswan.conf", 4, SeverityError, "unexpected '}'"},
			{"strongswan.conf", 5, SeverityError, "names cannot contain dots"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"strongswan.conf": tt.src})
			s, ds := LoadSettings(nil, filepath.Join(dir, "strongswan.conf"))
			checkDiags(t, dir, ds, tt.want)
			if s.Invalid != HasErrors(ds) {
				t.Errorf("Invalid = %v", s.Invalid)
			}
		})
	}
}

func TestSettingsRecovery(t *testing.T) {
	s, _ := ParseSettings(memFS{}, "/s.conf", []byte("a {\n b c {\n  x = 1\n }\n y = 2\n}\nz = 3\n"))
	if got := s.GetString("a.y", ""); got != "2" {
		t.Errorf("a.y = %q after an error in a sub-section", got)
	}
	if got := s.GetString("z", ""); got != "3" {
		t.Errorf("z = %q", got)
	}
	if _, ok := s.Get("a.c.x"); ok {
		t.Error("contents of a broken section were kept")
	}
}

func TestStrongswanConfPath(t *testing.T) {
	t.Setenv("STRONGSWAN_CONF", "/tmp/x.conf")
	if got := StrongswanConfPath(); got != "/tmp/x.conf" {
		t.Errorf("path = %q", got)
	}
	t.Setenv("STRONGSWAN_CONF", "")
	if got := StrongswanConfPath(); got != "" {
		t.Errorf("path = %q, want the empty path", got)
	}
	s, ds := LoadSettings(nil, "")
	if len(ds) != 0 || len(s.Sections("")) != 0 {
		t.Errorf("empty path: %v %v", ds, s.Sections(""))
	}
	_, ds = LoadSettings(nil, filepath.Join(t.TempDir(), "none.conf"))
	if !HasErrors(ds) {
		t.Error("a missing strongswan.conf is not an error")
	}
}

func TestParseHelpers(t *testing.T) {
	for v, want := range map[string]bool{"yes": true, "TRUE": true, "Enabled": true, "1": true, "no": false, "False": false, "disabled": false, "0": false} {
		if got, ok := ParseBool(v); !ok || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", v, got, ok)
		}
	}
	if _, ok := ParseBool("maybe"); ok {
		t.Error("ParseBool(maybe) ok")
	}
	for v, want := range map[string]time.Duration{"30": 30 * time.Second, "30s": 30 * time.Second, "2m": 2 * time.Minute,
		"1h": time.Hour, "1d": 24 * time.Hour, " 7 d": 7 * 24 * time.Hour} {
		if got, ok := ParseTimespan(v); !ok || got != want {
			t.Errorf("ParseTimespan(%q) = %v, %v", v, got, ok)
		}
	}
	for _, v := range []string{"", "m", "1x", "1.5h"} {
		if _, ok := ParseTimespan(v); ok {
			t.Errorf("ParseTimespan(%q) ok", v)
		}
	}
}
