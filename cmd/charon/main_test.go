package main

import "testing"

func TestConfigtestFlag(t *testing.T) {
	if code := run([]string{"--configtest", "--confdir", "../../configs"}); code != 0 {
		t.Fatalf("--configtest on the gateway example: exit %d", code)
	}
	t.Setenv("STRONGSWAN_CONF", "/nonexistent/strongswan.conf")
	if code := run([]string{"--configtest", "--confdir", t.TempDir()}); code != 1 {
		t.Fatalf("--configtest on an empty directory: exit %d, want 1", code)
	}
	if code := run([]string{"--no-such-flag"}); code != 2 {
		t.Fatalf("bad flag: exit %d, want 2", code)
	}
}
