package log

import (
	"testing"
)

func TestSubscribe(t *testing.T) {
	l, _, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.syslog.daemon.default = -1")) // nothing but the subscribers
	if l.Enabled(IKE, Audit) {
		t.Fatal("enabled without loggers")
	}
	// "ipsec up home": the messages of IKE_SA #1 up to level 1
	up := l.Subscribe(Filter{UniqueID: 1, Level: Ctrl})
	all := l.Subscribe(Filter{Level: Diag, Buffer: 2})
	if !l.Enabled(IKE, Ctrl) || !l.Enabled(KNL, Diag) || l.Enabled(KNL, Raw) {
		t.Fatal("subscriptions do not raise the levels")
	}
	home := Context{Thread: 7, Name: "home", UniqueID: 1}
	l.Log(IKE, Ctrl, home, "initiating IKE_SA %s[%d] to %s", "home", 1, "192.168.0.1")
	l.LogText(ENC, Diag, home, "generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]")
	l.LogText(IKE, Ctrl, Context{Thread: 8, Name: "other", UniqueID: 2}, "other SA")
	l.LogText(CFG, Audit, Context{Thread: 9}, "no SA")
	l.LogText(IKE, Audit, home, "IKE_SA home[1] established\nsecond line")

	up.Cancel()
	up.Cancel() // twice is fine
	var got []Record
	for r := range up.Records() {
		got = append(got, r)
	}
	want := []string{"initiating IKE_SA home[1] to 192.168.0.1", "IKE_SA home[1] established\nsecond line"}
	if len(got) != len(want) {
		t.Fatalf("got %d records %v, want %q", len(got), got, want)
	}
	for i, r := range got {
		if r.String() != want[i] || r.Context != home || !r.Time.Equal(testTime) {
			t.Errorf("record %d: %+v, want message %q", i, r, want[i])
		}
	}
	if got[1].Group != IKE || got[1].Level != Audit {
		t.Errorf("record 1: %v %d", got[1].Group, got[1].Level)
	}
	if b := got[1].AppendPrefixed(nil, true, true); string(b) != "07[IKE0] <home|1> IKE_SA home[1] established\n07[IKE0] <home|1> second line\n" {
		t.Errorf("AppendPrefixed: %q", b)
	}
	if b := got[0].AppendPrefixed([]byte("> "), false, false); string(b) != "> 07[IKE] initiating IKE_SA home[1] to 192.168.0.1\n" {
		t.Errorf("AppendPrefixed: %q", b)
	}
	if l.Enabled(IKE, Diag) != true || l.Enabled(IKE, Raw) {
		t.Error("levels after cancelling one subscription")
	}

	// the other subscription queued two and dropped the rest
	if all.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", all.Dropped())
	}
	all.Cancel()
	n := 0
	for range all.Records() {
		n++
	}
	if n != 2 {
		t.Errorf("%d records queued, want 2", n)
	}
	if l.Enabled(IKE, Audit) {
		t.Error("enabled after all subscriptions ended")
	}
}

// TestSubscribeBeforeConfigure: the control socket may subscribe before
// the loggers are loaded.
func TestSubscribeBeforeConfigure(t *testing.T) {
	l, _, stderr := newTestLogger(t, nil, Options{})
	s := l.Subscribe(Filter{Level: Private})
	l.LogText(IKE, Private, rw1, "key")
	s.Cancel()
	if r, ok := <-s.Records(); !ok || r.Message != "key" {
		t.Errorf("got %+v %v", r, ok)
	}
	if stderr.String() != "" {
		t.Errorf("level 4 on stderr: %q", stderr.String())
	}
}
