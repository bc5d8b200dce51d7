package updown

import (
	"log/syslog"
	"sync"
)

// SyslogVPN returns an Options.VPNLog that sends the lines where the
// default script's "logger -t vpn -p local0.notice" does: to the local
// syslog with tag "vpn", facility local0, priority notice.
func SyslogVPN() func(line string) {
	var mu sync.Mutex
	var w *syslog.Writer
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		if w == nil {
			var err error
			if w, err = syslog.New(syslog.LOG_LOCAL0|syslog.LOG_NOTICE, "vpn"); err != nil {
				w = nil
				return
			}
		}
		_ = w.Notice(line)
	}
}
