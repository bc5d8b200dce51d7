package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPoolCommand(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "strongswan.conf")
	os.WriteFile(conf, []byte("pool {\n  database = sqlite://"+filepath.Join(dir, "ipsec.db")+"\n}\n"), 0o644)
	t.Setenv("STRONGSWAN_CONF", conf)

	if out, code := runIPsec(t, "pool", "--add", "bigpool", "--start", "10.3.0.1", "--end", "10.3.0.254", "--timeout", "48"); code != 0 ||
		out != "allocating 254 addresses... done.\n" {
		t.Fatalf("--add: %d %q", code, out)
	}
	out, code := runIPsec(t, "pool", "--status")
	if code != 0 || !strings.Contains(out, " bigpool        10.3.0.1      10.3.0.254      48h    254     0 ( 0%)     0 ( 0%) \n") {
		t.Errorf("--status: %d\n%s", code, out)
	}
	if out, code := runIPsec(t, "pool", "--help"); code != 0 || !strings.HasPrefix(out, "Usage:\n  ipsec pool --status|") {
		t.Errorf("--help: %d %q", code, out)
	}
	if out, code := runIPsec(t, "pool", "--add", "bigpool", "--start", "10.3.0.1", "--end", "10.3.0.2"); code != 1 || out != "pool 'bigpool' exists.\n" {
		t.Errorf("duplicate: %d %q", code, out)
	}
	if out, code := runIPsec(t, "pool", "--bogus"); code != 1 || !strings.HasPrefix(out, "pool: unrecognized option '--bogus'\nUsage:") {
		t.Errorf("bad option: %d %q", code, out[:min(len(out), 80)])
	}
	t.Setenv("STRONGSWAN_CONF", "")
	if out, code := runIPsec(t, "pool", "--status"); code != 66 || out != "database URI pool.database not set.\n" {
		t.Errorf("no database: %d %q", code, out)
	}
}
