package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegration builds the lab, runs the project's scenarios in a lab of
// its own (netns prefix gt-, state in a temporary directory, so it can run
// beside a lab that is up) and tears it down again. It needs root and
// LAB_INTEGRATION=1; the hosts run what IPSEC_BIN says (strongSwan by
// default, with the libipsec evaltest rewrites chosen automatically).
func TestIntegration(t *testing.T) {
	if os.Geteuid() != 0 || os.Getenv("LAB_INTEGRATION") != "1" {
		t.Skip("needs root and LAB_INTEGRATION=1")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "lab")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = "/usr/local/go/bin/go"
	}
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	testingDir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// not below /tmp: the hosts mount their own /tmp
	state, err := os.MkdirTemp("/var/tmp", "goswan-lab-itest-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(state)
	env := append(os.Environ(), "LAB_PREFIX=gt-", "LAB_STATE="+state, "LAB_TESTING="+testingDir, "LAB_COMPAT=auto")
	lab := func(args ...string) (string, error) {
		c := exec.Command(bin, args...)
		c.Env = env
		out, err := c.CombinedOutput()
		return string(out), err
	}
	defer func() {
		if out, err := lab("down"); err != nil {
			t.Errorf("lab down: %v\n%s", err, out)
		} else if !strings.Contains(out, "nothing left") {
			t.Errorf("lab down:\n%s", out)
		}
		for _, n := range netnsNames() {
			if strings.HasPrefix(n, "gt-") {
				t.Errorf("netns %s left behind", n)
			}
		}
		if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), state) {
			t.Errorf("mounts below %s left behind", state)
		}
	}()

	out, err := lab("run", filepath.Join(testingDir, "tests", "ikev2", "rw-cert"))
	t.Logf("lab run:\n%s", out)
	if err != nil || !strings.Contains(out, " 0 failed") {
		t.Errorf("lab run failed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(state, "pki", "ca", "strongswanCert.pem")); err != nil {
		t.Errorf("PKI cache: %v", err)
	}
	if out, err := lab("exec", "carol", "sh", "-c", "hostname; cat /etc/resolv.conf"); err != nil || !strings.HasPrefix(out, "carol\n") || !strings.Contains(out, "nameserver 127.0.0.1") {
		t.Errorf("lab exec: %v\n%s", err, out)
	}
}

func netnsNames() []string {
	ents, _ := os.ReadDir("/run/netns")
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}
