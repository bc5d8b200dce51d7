package log

import (
	"log/slog"
	"testing"
)

func TestSlogHandler(t *testing.T) {
	l, out, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.stdout.default = 2"))
	sl := slog.New(l.SlogHandler(CFG, Context{Thread: 3}))
	sl.Info("radius server reachable", "server", "10.1.0.10", "port", 1812)
	sl.Debug("not logged")
	sl.With("client", "moon").WithGroup("req").Warn("timeout", "id", 7, slog.Group("g", "a", 1))
	want := lines(
		"03[CFG] radius server reachable server=10.1.0.10 port=1812",
		"03[CFG] timeout client=moon req.id=7 req.g.a=1",
	)
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, tt := range []struct {
		in   slog.Level
		want Level
	}{{slog.LevelError, Ctrl}, {slog.LevelWarn, Ctrl}, {slog.LevelInfo, Diag}, {slog.LevelDebug, Raw}, {slog.LevelDebug - 4, Private}} {
		if got := SlogLevel(tt.in); got != tt.want {
			t.Errorf("SlogLevel(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
