package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds returns the project's example files named name, plus extra
// inline seeds.
func fuzzSeeds(f *testing.F, names []string, extra ...string) {
	for _, n := range names {
		if data, err := os.ReadFile(filepath.Join(configsDir, n)); err == nil {
			f.Add(data)
		}
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// fuzzLimits lowers the include budget while fuzzing: an input including
// itself twice reaches the limit, and should not make an execution slow.
func fuzzLimits(f *testing.F) {
	files, bytes := maxIncludedFiles, maxIncludedBytes
	maxIncludedFiles, maxIncludedBytes = 30, 1<<20
	f.Cleanup(func() { maxIncludedFiles, maxIncludedBytes = files, bytes })
}

// fuzzFS serves the input as the main file and as an included file, so
// that includes (also of the file itself) are exercised.
func fuzzFS(main string, data []byte) memFS {
	return memFS{main: string(data), "/etc/inc/a.conf": string(data), "/etc/inc/b.conf": "conn inc\n  auto=add\n"}
}

func FuzzIPsecConf(f *testing.F) {
	fuzzLimits(f)
	fuzzSeeds(f, []string{"ipsec.conf", "roadwarrior/ipsec.conf"},
		"version 2\nconfig setup\n  uniqueids=never\nconn %default\n  keylife=20m\nconn a\n  also=b\n  auto=add\nconn b\n  leftsubnet=10.0.0.1[tcp/http],fec1::/64[udp/%any]\n",
		"conn a\n  leftid=\"C=CH, O=x\\\"y\\\n\"\n  rightprotoport=0x11/1024-65535\n  mark=%unique-dir/0xff\ninclude inc/*.conf\n",
		"conn a\n  include  =x\n  include \"inc/a.conf\" x\n\tleftsourceip=%config,%pool,10.0.0.1-10.0.0.9\nca c\n  cacert=x\n  auto=start\n",
		"conn x\r\n  left=%1.2.3.4\r\n  @#ff=1\n  authby=xauthpsk\n  xauth=server\n  leftfirewall=yes\n  leftupdown=x\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		const main = "/etc/ipsec.conf"
		conf, ds := ParseIPsecConf(fuzzFS(main, data), main, data)
		checkFuzzDiags(t, ds)
		if err := conf.Dump(io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := conf.DumpRaw(io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, c := range conf.Conns {
			if c.Name == "" || c.Name == "%default" {
				t.Fatalf("bad conn name %q", c.Name)
			}
			if len(c.Left.TS) == 0 || len(c.Right.TS) == 0 || c.Left.Auth == "" {
				t.Fatalf("conn %s not completed", c.Name)
			}
		}
	})
}

func FuzzSecrets(f *testing.F) {
	fuzzLimits(f)
	fuzzSeeds(f, []string{"ipsec.secrets", "roadwarrior/ipsec.secrets"},
		"@moon @sun : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n: PSK 'a \"b\" c'\n\"C=CH, CN=x\" : EAP 0x01:02:3\n",
		": RSA key.pem %prompt\n: P12 /x.p12 \"a b\" c\n: PIN %smartcard1@mod:01 1234\n: PIN %smartcard:01 %prompt\n",
		"include inc/*.conf\ninclude /etc/ipsec.secrets\n: XAUTH x\n: NTLM 0s====\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		const main = "/etc/ipsec.secrets"
		s, ds := ParseSecrets(fuzzFS(main, data), main, data, "/etc/ipsec.d/private")
		checkFuzzDiags(t, ds)
		if err := s.Dump(io.Discard); err != nil {
			t.Fatal(err)
		}
		for _, e := range s.Entries {
			if e.Type.IsKeyFile() && (e.File == "" || !strings.HasSuffix(e.Path, e.File)) {
				t.Fatalf("key entry without file: %+v", e)
			}
		}
	})
}

func FuzzStrongswanConf(f *testing.F) {
	fuzzLimits(f)
	fuzzSeeds(f, []string{"strongswan.conf"},
		"a = b\nc { d = \"e\\\nf\" g\n  h : c, x.y { i = }\n}\ninclude inc/*.conf\n",
		"x : x { y : x { } }\nlibhydra { plugins { attr-sql { database = z } } }\ncharon { plugins { attr-sql { } } }\n",
		"include \"inc/a.conf\"\ninclude  =\n\"x\" = 1\n}{\na.b = c\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		const main = "/etc/strongswan.conf"
		s, ds := ParseSettings(fuzzFS(main, data), main, data)
		checkFuzzDiags(t, ds)
		s = s.WithDaemonFallbacks("charon")
		for _, key := range []string{"charon.plugins.attr-sql.database", "a", "c.h.i", "x.y.z", "", ".", "a..b"} {
			s.Get(key)
			s.GetBool(key, false)
			s.GetInt(key, 0)
			s.GetDuration(key, 0)
		}
		for _, sec := range s.Sections("") {
			s.Keys(sec)
			for _, sub := range s.Sections(sec) {
				s.KeyValues(sec + "." + sub)
			}
		}
		if err := s.Dump(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
}

func checkFuzzDiags(t *testing.T, ds []Diagnostic) {
	t.Helper()
	for _, d := range ds {
		if d.File == "" || d.Line < 0 || d.Msg == "" || (d.Severity != SeverityError && d.Severity != SeverityWarning) {
			t.Fatalf("malformed diagnostic %#v", d)
		}
	}
}

// TestFuzzRegressions replays inputs the fuzzers found problems with.
func TestFuzzRegressions(t *testing.T) {
	tests := []struct {
		name   string
		parser string // conf, secrets, settings
		input  string
	}{
		// an error at the end of the file had no file name
		{"settings name at EOF", "settings", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.input)
			var ds []Diagnostic
			switch tt.parser {
			case "conf":
				_, ds = ParseIPsecConf(fuzzFS("/etc/ipsec.conf", data), "/etc/ipsec.conf", data)
			case "secrets":
				_, ds = ParseSecrets(fuzzFS("/etc/ipsec.secrets", data), "/etc/ipsec.secrets", data, "/p")
			case "settings":
				_, ds = ParseSettings(fuzzFS("/etc/strongswan.conf", data), "/etc/strongswan.conf", data)
			}
			checkFuzzDiags(t, ds)
		})
	}
}
