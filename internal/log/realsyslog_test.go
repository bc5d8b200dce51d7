package log

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRealSyslog logs through the host's /dev/log and checks what syslogd
// wrote to /var/log/daemon.log and auth.log. It runs only with
// GOSWAN_LOG_REAL_SYSLOG=1, meant for a lab host (Debian's rsyslogd with
// the traditional file format):
//
//	go test -c -o /var/tmp/log.test ./internal/log
//	LAB_PASSENV=GOSWAN_LOG_REAL_SYSLOG GOSWAN_LOG_REAL_SYSLOG=1 \
//	    bin/lab exec moon /var/tmp/log.test -test.run RealSyslog -test.v
func TestRealSyslog(t *testing.T) {
	if os.Getenv("GOSWAN_LOG_REAL_SYSLOG") != "1" {
		t.Skip("set GOSWAN_LOG_REAL_SYSLOG=1 on a host running syslogd")
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	mark := time.Now().Format("150405.000000")
	l := New(Options{Program: "charon"})
	defer l.Close()
	// no loggers configured: charon's defaults (daemon at 1, auth at 0)
	if err := l.Configure(nil); err != nil {
		t.Fatal(err)
	}
	ctx := Context{Thread: 5, Name: "rw", UniqueID: 1}
	l.Log(IKE, Audit, ctx, "IKE_SA rw[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.100[carol@strongswan.org] %s", mark)
	l.Log(CFG, Ctrl, Context{Thread: 12}, "first line %s\nsecond line", mark)
	l.Log(CFG, Diag, Context{Thread: 12}, "level 2 %s", mark)

	ts := `[A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] ` + regexp.QuoteMeta(host) + ` charon: `
	want := map[string][]string{
		"/var/log/daemon.log": {
			ts + `05\[IKE\] IKE_SA rw\[1\] established between 192\.168\.0\.1\[moon\.strongswan\.org\]\.\.\.192\.168\.0\.100\[carol@strongswan\.org\] ` + mark + `$`,
			ts + `12\[CFG\] first line ` + mark + `$`,
			ts + `12\[CFG\] second line$`,
		},
		"/var/log/auth.log": {
			ts + `05\[IKE\] IKE_SA rw\[1\] established .* ` + mark + `$`,
		},
	}
	for file, res := range want {
		var got []string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			b, err := os.ReadFile(file)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			got = nil
			text := string(b)
			for i, line := range strings.Split(text, "\n") {
				if strings.Contains(line, mark) || (strings.Contains(line, "second line") && i > 0 && strings.Contains(strings.Split(text, "\n")[i-1], "first line "+mark)) {
					got = append(got, line)
				}
			}
			if len(got) >= len(res) {
				break
			}
		}
		if len(got) != len(res) {
			t.Errorf("%s: got lines %q, want %d", file, got, len(res))
			continue
		}
		for i, re := range res {
			if !regexp.MustCompile("^" + re).MatchString(got[i]) {
				t.Errorf("%s line %d: %q does not match %s", file, i, got[i], re)
			} else {
				t.Logf("%s: %s", file, got[i])
			}
		}
	}
}
