package lab

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An ipsec command below /tmp (a checkout there) is copied, with its
// charon, to the state directory, which the hosts see; others are used
// where they are.
func TestVisibleIpsecBin(t *testing.T) {
	state := t.TempDir()
	src := t.TempDir() // below /tmp (or $TMPDIR)
	for _, n := range []string{"ipsec", "charon"} {
		if err := os.WriteFile(filepath.Join(src, n), []byte("#!/bin/sh\necho "+n+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"IPSEC_BIN": filepath.Join(src, "ipsec"), "IPSEC_BIN_sun": "/usr/sbin/ipsec"}
	l := &Lab{Cfg: Config{State: state, Getenv: func(k string) string { return env[k] }}, out: io.Discard}
	got := l.visibleIpsecBin("moon")
	if !hostPrivate(src) {
		if got != env["IPSEC_BIN"] {
			t.Fatalf("%s is visible in the hosts, but became %s", env["IPSEC_BIN"], got)
		}
		t.Skipf("TMPDIR %s is not below a host-private directory", src)
	}
	if !strings.HasPrefix(got, filepath.Join(state, "bin")+"/") || filepath.Base(got) != "ipsec" {
		t.Fatalf("staged as %s", got)
	}
	for _, n := range []string{"ipsec", "charon"} {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(got), n))
		if err != nil || string(b) != "#!/bin/sh\necho "+n+"\n" {
			t.Fatalf("%s: %q %v", n, b, err)
		}
	}
	if again := l.visibleIpsecBin("moon"); again != got {
		t.Fatalf("staged again as %s", again)
	}
	if s := l.visibleIpsecBin("sun"); s != "/usr/sbin/ipsec" {
		t.Fatalf("sun's ipsec became %s", s)
	}
}
