package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestNamedPoolWarnings: %name refers to a conn's in-memory pool or to an
// SQL pool; only a name neither can serve deserves a warning.
func TestNamedPoolWarnings(t *testing.T) {
	const conf = `conn rw
	right=%any
	rightsourceip=10.3.0.0/24
	auto=add

conn shared
	right=%any
	rightsourceip=%rw
	auto=add

conn sql
	right=%any
	rightsourceip=%bigpool
	auto=add
`
	for _, tc := range []struct {
		name     string
		settings string
		warn     bool
	}{
		{"no database", "charon {\n}\n", true},
		{"legacy database", "libhydra {\n  plugins {\n    attr-sql {\n      database = sqlite:///etc/ipsec.d/ipsec.db\n    }\n  }\n}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"ipsec.conf": conf, "strongswan.conf": tc.settings, "ipsec.secrets": ""})
			_, ds := Load(Options{ConfDir: dir, StrongswanConf: filepath.Join(dir, "strongswan.conf")})
			var pool []Diagnostic
			for _, d := range ds {
				if strings.Contains(d.Msg, "external pool") {
					pool = append(pool, d)
				}
			}
			if HasErrors(ds) {
				t.Fatalf("errors: %v", ds)
			}
			if !tc.warn {
				if len(pool) != 0 {
					t.Fatalf("unexpected pool warnings: %v", pool)
				}
				return
			}
			if len(pool) != 1 || pool[0].Line != 13 || !strings.Contains(pool[0].Msg, "%bigpool") {
				t.Fatalf("want one warning for %%bigpool at line 13, got %v", pool)
			}
		})
	}
}
