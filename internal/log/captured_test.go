package log

import (
	"path/filepath"
	"testing"
	"time"
)

// TestCharonCaptured reproduces lines captured from strongSwan 5.9.8's
// charon (Debian 12 package) in the lab, with a file logger configured as
//
//	path = /var/log/all.log, time_format = %b %e %T, time_add_ms = yes,
//	ike_name = yes, log_level = yes, default = 4
//
// (only the pointer of the hex dump differs) and the syslog lines rsyslogd
// wrote for "syslog.daemon { ike_name = yes  log_level = yes }".
func TestCharonCaptured(t *testing.T) {
	at := time.Date(2023, 11, 27, 15, 53, 27, 243_900_000, time.UTC)
	path := filepath.Join(t.TempDir(), "all.log")
	l, _, _ := newTestLogger(t, nil, Options{Now: func() time.Time { return at }})
	l.Configure(conf(t,
		"charon.filelog.all.path = "+path,
		"charon.filelog.all.time_format = %b %e %T",
		"charon.filelog.all.time_add_ms = yes",
		"charon.filelog.all.ike_name = yes",
		"charon.filelog.all.log_level = yes",
		"charon.filelog.all.default = 4",
	))
	getlink := []byte{0x11, 0, 0, 0, 0x12, 0, 1, 3, 0xc9, 0, 0, 0, 0x1b, 1, 0, 0, 0}
	l.Log(KNL, Raw, Context{}, "sending RTM_GETLINK %d: %B", 201, Hex(getlink))
	l.Log(IKE, Diag, Context{Thread: 11, Name: "home", UniqueID: 1}, "queueing %s task", "IKE_VENDOR")
	l.Log(NET, Ctrl, Context{Thread: 9, UniqueID: 5}, "received packet: from %s[%d] to %s[%d] (%d bytes)", "192.168.0.100", 500, "192.168.0.1", 500, 592)
	l.Close()
	want := lines(
		"Nov 27 15:53:27.243 00[KNL3] sending RTM_GETLINK 201: => 17 bytes @ ADDR",
		"Nov 27 15:53:27.243 00[KNL3]    0: 11 00 00 00 12 00 01 03 C9 00 00 00 1B 01 00 00  ................",
		"Nov 27 15:53:27.243 00[KNL3]   16: 00                                               .",
		"Nov 27 15:53:27.243 11[IKE2] <home|1> queueing IKE_VENDOR task",
		"Nov 27 15:53:27.243 09[NET1] <5> received packet: from 192.168.0.100[500] to 192.168.0.1[500] (592 bytes)",
	)
	if got := addrRE.ReplaceAllString(readFile(t, path), "@ ADDR"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
