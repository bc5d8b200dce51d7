package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runIPsec(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		return out.String(), exitCode(err)
	}
	return out.String(), 0
}

func TestConfigtestExamples(t *testing.T) {
	for _, dir := range []string{"../../configs", "../../configs/roadwarrior"} {
		out, code := runIPsec(t, "configtest", "--confdir", dir)
		if code != 0 || !strings.Contains(out, "configuration OK") {
			t.Errorf("%s: exit %d\n%s", dir, code, out)
		}
	}
}

func TestConfigtestErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ipsec.conf"), []byte("conn a\n\tleft=1.2.3.4\n\tbogus=1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "strongswan.conf"), []byte("charon {\n"), 0o644)
	out, code := runIPsec(t, "configtest", "--confdir", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		filepath.Join(dir, "ipsec.conf") + ":3: error: unknown keyword 'bogus'",
		filepath.Join(dir, "strongswan.conf") + ":",
		"configuration has 2 errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestVersionAndUnknown(t *testing.T) {
	out, code := runIPsec(t, "version")
	if code != 0 || !strings.HasPrefix(out, "goswan ") || !strings.Contains(out, "strongSwan 5.9.8") {
		t.Fatalf("version: %d %q", code, out)
	}
	if _, code := runIPsec(t, "frobnicate"); code == 0 {
		t.Fatal("unknown command succeeded")
	}
}
