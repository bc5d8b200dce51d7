package log

import (
	"path/filepath"
	"testing"
)

var benchCtx = Context{Thread: 5, Name: "rw", UniqueID: 1}

// BenchmarkFiltered: a message no logger wants. With constant or pointer
// arguments nothing is allocated.
func BenchmarkFiltered(b *testing.B) {
	l, _, _ := newTestLogger(b, nil, Options{})
	l.Configure(conf(b, "charon.filelog.stdout.default = 1"))
	b.ReportAllocs()
	for b.Loop() {
		l.Log(IKE, Diag, benchCtx, "sending packet: from %s[%d] to %s[%d] (%d bytes)", "192.168.0.1", 500, "192.168.0.2", 500, 1232)
	}
}

// BenchmarkFilteredBoxed: variables passed to ...any are boxed by the
// caller (the arguments escape into fmt), filtered or not.
func BenchmarkFilteredBoxed(b *testing.B) {
	l, _, _ := newTestLogger(b, nil, Options{})
	l.Configure(conf(b, "charon.filelog.stdout.default = 1"))
	src, n := "192.168.0.1", 1232
	b.ReportAllocs()
	for b.Loop() {
		l.Log(IKE, Diag, benchCtx, "sending packet: from %s[%d] (%d bytes)", src, 500, n)
	}
}

// BenchmarkFilteredGuarded: the same behind Enabled allocates nothing.
func BenchmarkFilteredGuarded(b *testing.B) {
	l, _, _ := newTestLogger(b, nil, Options{})
	l.Configure(conf(b, "charon.filelog.stdout.default = 1"))
	src, n := "192.168.0.1", 1232
	b.ReportAllocs()
	for b.Loop() {
		if l.Enabled(IKE, Diag) {
			l.Log(IKE, Diag, benchCtx, "sending packet: from %s[%d] (%d bytes)", src, 500, n)
		}
	}
}

// BenchmarkLoggedFile: a message written to a block-buffered log file
// with charon's usual time_format.
func BenchmarkLoggedFile(b *testing.B) {
	l, _, _ := newTestLogger(b, nil, Options{})
	path := filepath.Join(b.TempDir(), "charon.log")
	l.Configure(conf(b, "charon.filelog.f.path = "+path, "charon.filelog.f.time_format = %b %e %T", "charon.filelog.f.ike_name = yes"))
	b.ReportAllocs()
	for b.Loop() {
		l.Log(IKE, Ctrl, benchCtx, "sending packet: from %s[%d] to %s[%d] (%d bytes)", "192.168.0.1", 500, "192.168.0.2", 500, 1232)
	}
}

// BenchmarkLoggedFileParallel: the same from all CPUs.
func BenchmarkLoggedFileParallel(b *testing.B) {
	l, _, _ := newTestLogger(b, nil, Options{})
	path := filepath.Join(b.TempDir(), "charon.log")
	l.Configure(conf(b, "charon.filelog.f.path = "+path, "charon.filelog.f.time_format = %b %e %T"))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Log(IKE, Ctrl, benchCtx, "sending packet: from %s[%d] to %s[%d] (%d bytes)", "192.168.0.1", 500, "192.168.0.2", 500, 1232)
		}
	})
}

// BenchmarkLoggedSyslog: a message sent to a syslog socket.
func BenchmarkLoggedSyslog(b *testing.B) {
	srv := newSyslogServer(b)
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := srv.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	l, _, _ := newTestLogger(b, srv, Options{})
	l.Configure(conf(b, "charon.syslog.daemon {}"))
	b.ReportAllocs()
	for b.Loop() {
		l.Log(IKE, Ctrl, benchCtx, "sending packet: from %s[%d] to %s[%d] (%d bytes)", "192.168.0.1", 500, "192.168.0.2", 500, 1232)
	}
}

// TestFilteredAllocs pins the zero-allocation promise.
func TestFilteredAllocs(t *testing.T) {
	l, _, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.stdout.default = 1"))
	p := &benchCtx
	src, n := "192.168.0.1", 1232
	allocs := testing.AllocsPerRun(1000, func() {
		l.Log(IKE, Diag, benchCtx, "constant %s %d, pointer %p", "x", 500, p)
		l.LogText(IKE, Raw, benchCtx, "text")
		if l.Enabled(IKE, Diag) {
			l.Log(IKE, Diag, benchCtx, "boxed %s %d", src, n)
		}
		l.With(benchCtx).Log(IKE, Diag, "scoped %d", 1)
	})
	if allocs != 0 {
		t.Errorf("%v allocations for filtered messages", allocs)
	}
}
