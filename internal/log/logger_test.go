package log

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	rw1    = Context{Thread: 5, Name: "rw", UniqueID: 1}
	noName = Context{Thread: 12, UniqueID: 7}
	dmn    = Context{Thread: 0}
)

const established = "IKE_SA rw[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.100[carol@strongswan.org]"

// TestSyslogPayload checks the bytes sent to /dev/log against what glibc
// 2.36's syslog() sends for charon's sys_logger (verified with a C program
// calling syslog(LOG_DAEMON|LOG_INFO, "%.2d[%s]%s %s\n", ...) against a
// socket bound at /dev/log: "<30>Nov 27 15:43:47 charon: 05[IKE] hello
// world\n").
func TestSyslogPayload(t *testing.T) {
	srv := newSyslogServer(t)
	l, _, _ := newTestLogger(t, srv, Options{})
	err := l.Configure(parseSettings(t, `
charon {
	syslog {
		daemon {
			ike = 2
		}
		auth {
			default = -1
			ike = 0
			cfg = 4
			ike_name = yes
			log_level = yes
			map_level = 4
		}
		local0 {
			default = 4
		}
	}
}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		g    Group
		lv   Level
		ctx  Context
		msg  string
		want []string
	}{
		{IKE, Audit, rw1, established, []string{
			"<30>Nov 27 15:40:08 charon: 05[IKE] " + established + "\n",
			"<84>Nov 27 15:40:08 charon: 05[IKE0] <rw|1> " + established + "\n",
		}},
		{IKE, Diag, rw1, "sending packet", []string{
			"<30>Nov 27 15:40:08 charon: 05[IKE] sending packet\n",
		}},
		{IKE, Raw, rw1, "raw", nil},
		{CFG, Ctrl, noName, "line one\nline two", []string{
			"<30>Nov 27 15:40:08 charon: 12[CFG] line one\n",
			"<30>Nov 27 15:40:08 charon: 12[CFG] line two\n",
			"<85>Nov 27 15:40:08 charon: 12[CFG1] <7> line one\n",
			"<85>Nov 27 15:40:08 charon: 12[CFG1] <7> line two\n",
		}},
		{CFG, Private, dmn, "secret", []string{
			"<87>Nov 27 15:40:08 charon: 00[CFG4] secret\n",
		}},
		{CFG, Ctrl, Context{Thread: 123}, "trailing newline\n", []string{
			"<30>Nov 27 15:40:08 charon: 123[CFG] trailing newline\n",
			"<30>Nov 27 15:40:08 charon: 123[CFG] \n",
			"<85>Nov 27 15:40:08 charon: 123[CFG1] trailing newline\n",
			"<85>Nov 27 15:40:08 charon: 123[CFG1] \n",
		}},
		{CFG, Ctrl, dmn, "", nil},
		{CFG, Ctrl, dmn, "cut at\x00NUL", []string{
			"<30>Nov 27 15:40:08 charon: 00[CFG] cut at\n",
			"<85>Nov 27 15:40:08 charon: 00[CFG1] cut at\n",
		}},
	}
	for _, tt := range tests {
		l.LogText(tt.g, tt.lv, tt.ctx, tt.msg)
		got := srv.all()
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%v %d %q:\n got %q\nwant %q", tt.g, tt.lv, tt.msg, got, tt.want)
		}
	}
}

func TestSyslogIdentifier(t *testing.T) {
	srv := newSyslogServer(t)
	l, _, _ := newTestLogger(t, srv, Options{})
	if err := l.Configure(conf(t, "charon.syslog.identifier = ipsec-gw", "charon.syslog.daemon {}")); err != nil {
		t.Fatal(err)
	}
	l.Log(DMN, Ctrl, dmn, "Starting IKE charon daemon (strongSwan %s)", "5.9.8")
	if got, want := srv.next(t), "<30>Nov 27 15:40:08 ipsec-gw: 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8)\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// removing the identifier returns to the program name
	if err := l.Configure(conf(t, "charon.syslog.daemon {}")); err != nil {
		t.Fatal(err)
	}
	l.LogText(DMN, Ctrl, dmn, "x")
	if got, want := srv.next(t), "<30>Nov 27 15:40:08 charon: 00[DMN] x\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// other daemon names read their own section
	l2, _, _ := newTestLogger(t, srv, Options{Namespace: "charon-cmd", Program: "charon-cmd"})
	l2.Configure(conf(t, "charon.syslog.daemon.default = 4", "charon-cmd.syslog.daemon.default = 0"))
	l2.LogText(IKE, Ctrl, rw1, "not logged")
	l2.LogText(IKE, Audit, rw1, "logged")
	if got, want := srv.all(), []string{"<30>Nov 27 15:40:08 charon-cmd: 05[IKE] logged\n"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSyslogDefaultProgram(t *testing.T) {
	srv := newSyslogServer(t)
	l := New(Options{SyslogPath: srv.path, Now: fixedNow})
	defer l.Close()
	l.Configure(conf(t, "charon.syslog.daemon {}"))
	l.LogText(DMN, Ctrl, dmn, "x")
	want := fmt.Sprintf("<30>Nov 27 15:40:08 %s: 00[DMN] x\n", filepath.Base(os.Args[0]))
	if got := srv.next(t); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSyslogDayPadding(t *testing.T) {
	srv := newSyslogServer(t)
	l, _, _ := newTestLogger(t, srv, Options{Now: func() time.Time { return time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC) }})
	l.Configure(conf(t, "charon.syslog.daemon {}"))
	l.LogText(IKE, Ctrl, rw1, "x")
	if got, want := srv.next(t), "<30>Mar  5 07:08:09 charon: 05[IKE] x\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestSyslogReconnect: like glibc, a failed send reconnects once; a
// message that cannot be sent is lost and the next one tries again.
func TestSyslogReconnect(t *testing.T) {
	srv := newSyslogServer(t)
	l, _, _ := newTestLogger(t, srv, Options{})
	l.Configure(conf(t, "charon.syslog.daemon {}"))
	l.LogText(IKE, Ctrl, rw1, "one")
	if got := srv.next(t); !strings.HasSuffix(got, "one\n") {
		t.Fatalf("got %q", got)
	}
	// syslogd restarts: the old socket is gone, a new one appears
	srv.conn.Close()
	os.Remove(srv.path)
	l.LogText(IKE, Ctrl, rw1, "lost")
	var err error
	srv.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: srv.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	l.LogText(IKE, Ctrl, rw1, "two")
	if got := srv.next(t); !strings.HasSuffix(got, "two\n") {
		t.Fatalf("got %q", got)
	}
}

// TestSyslogStream: a syslogd listening on a stream socket gets the
// messages with glibc's terminating NUL.
func TestSyslogStream(t *testing.T) {
	dir, err := os.MkdirTemp("", "logtest")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "log")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		var all []byte
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil || strings.Count(string(all), "\x00") == 2 {
				break
			}
		}
		got <- string(all)
	}()
	l, _, _ := newTestLogger(t, nil, Options{SyslogPath: path})
	l.Configure(conf(t, "charon.syslog.daemon {}"))
	l.LogText(IKE, Ctrl, rw1, "a\nb")
	want := "<30>Nov 27 15:40:08 charon: 05[IKE] a\n\x00<30>Nov 27 15:40:08 charon: 05[IKE] b\n\x00"
	if g := <-got; g != want {
		t.Errorf("got %q, want %q", g, want)
	}
}

// TestFilelogFormat checks file_logger.c's line format with each option.
func TestFilelogFormat(t *testing.T) {
	tests := []struct {
		name, opts string
		want       string
	}{
		{"plain", "", lines(
			"05[IKE] "+established,
			"12[CFG] line one",
			"12[CFG] line two",
			"00[DMN] x",
		)},
		{"time_format", "time_format = %b %e %T", lines(
			"Nov 27 15:40:08 05[IKE] "+established,
			"Nov 27 15:40:08 12[CFG] line one",
			"Nov 27 15:40:08 12[CFG] line two",
			"Nov 27 15:40:08 00[DMN] x",
		)},
		{"time_add_ms", "time_format = %F %T\ntime_add_ms = yes", lines(
			"2023-11-27 15:40:08.123 05[IKE] "+established,
			"2023-11-27 15:40:08.123 12[CFG] line one",
			"2023-11-27 15:40:08.123 12[CFG] line two",
			"2023-11-27 15:40:08.123 00[DMN] x",
		)},
		{"time_add_ms without time_format", "time_add_ms = yes", lines(
			"05[IKE] "+established,
			"12[CFG] line one",
			"12[CFG] line two",
			"00[DMN] x",
		)},
		{"ike_name", "ike_name = yes", lines(
			"05[IKE] <rw|1> "+established,
			"12[CFG] <7> line one",
			"12[CFG] <7> line two",
			"00[DMN] x",
		)},
		{"log_level", "log_level = yes", lines(
			"05[IKE0] "+established,
			"12[CFG2] line one",
			"12[CFG2] line two",
			"00[DMN1] x",
		)},
		{"all", "time_format = %b %e %T\ntime_add_ms = yes\nike_name = yes\nlog_level = yes", lines(
			"Nov 27 15:40:08.123 05[IKE0] <rw|1> "+established,
			"Nov 27 15:40:08.123 12[CFG2] <7> line one",
			"Nov 27 15:40:08.123 12[CFG2] <7> line two",
			"Nov 27 15:40:08.123 00[DMN1] x",
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "charon.log")
			l, _, _ := newTestLogger(t, nil, Options{})
			err := l.Configure(parseSettings(t, fmt.Sprintf("charon {\nfilelog {\ntest {\npath = %s\ndefault = 2\n%s\n}\n}\n}\n", path, tt.opts)))
			if err != nil {
				t.Fatal(err)
			}
			l.LogText(IKE, Audit, rw1, established)
			l.LogText(CFG, Diag, noName, "line one\nline two")
			l.LogText(CFG, Raw, noName, "not logged")
			l.LogText(DMN, Ctrl, dmn, "x")
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFilelogLongNames(t *testing.T) {
	l, out, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.stdout.ike_name = yes", "charon.filelog.stdout.log_level = yes", "charon.filelog.stdout.default = 4"))
	long := strings.Repeat("n", 200)
	l.LogText(IKE, Private, Context{Thread: -3, Name: long, UniqueID: 3_000_000_000}, "x")
	// charon: "%N%d" into char[5], " <%s|%d>" into char[128], %d of a u_int
	want := "-03[IKE4] <" + long[:125] + " x\n"
	if got := out.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	out.Reset()
	l.LogText(IKE, Private, Context{Thread: 1, Name: "a", UniqueID: 3_000_000_000}, "x")
	if got, want := out.String(), "01[IKE4] <a|-1294967296> x\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFilelogPathFromName: without path, the section name is the file;
// stdout and stderr are the streams (also as path).
func TestFilelogPathFromName(t *testing.T) {
	dir := t.TempDir()
	l, stdout, stderr := newTestLogger(t, nil, Options{})
	t.Chdir(dir)
	err := l.Configure(parseSettings(t, `
charon {
	filelog {
		charon-debug {
		}
		stdout {
			default = 0
		}
		err {
			path = stderr
			ike = 0
			default = -1
		}
	}
}`))
	if err != nil {
		t.Fatal(err)
	}
	l.LogText(IKE, Audit, rw1, "a")
	l.LogText(KNL, Audit, rw1, "b")
	l.LogText(KNL, Ctrl, rw1, "c")
	l.Close()
	if got, want := readFile(t, filepath.Join(dir, "charon-debug")), lines("05[IKE] a", "05[KNL] b", "05[KNL] c"); got != want {
		t.Errorf("file: got %q, want %q", got, want)
	}
	if got, want := stdout.String(), lines("05[IKE] a", "05[KNL] b"); got != want {
		t.Errorf("stdout: got %q, want %q", got, want)
	}
	if got, want := stderr.String(), lines("05[IKE] a"); got != want {
		t.Errorf("stderr: got %q, want %q", got, want)
	}
}

func TestFilelogAppendAndReload(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	os.WriteFile(a, []byte("old a\n"), 0o644)
	os.WriteFile(b, []byte("old b\n"), 0o644)
	settings := conf(t, "charon.filelog.a.path = "+a, "charon.filelog.b.path = "+b, "charon.filelog.b.append = no")
	l, _, _ := newTestLogger(t, nil, Options{})
	if err := l.Configure(settings); err != nil {
		t.Fatal(err)
	}
	l.LogText(IKE, Ctrl, rw1, "first")
	// a reload reopens the files: b is truncated again, after the lines
	// buffered for it were written
	if err := l.Configure(settings); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, b), ""; got != want {
		t.Errorf("b after reload: got %q, want %q", got, want)
	}
	l.LogText(IKE, Ctrl, rw1, "second")
	l.Flush()
	if got, want := readFile(t, a), lines("old a", "05[IKE] first", "05[IKE] second"); got != want {
		t.Errorf("a: got %q, want %q", got, want)
	}
	if got, want := readFile(t, b), lines("05[IKE] second"); got != want {
		t.Errorf("b: got %q, want %q", got, want)
	}
	// a logger no longer configured is closed; with nothing configured
	// the default loggers take over
	if err := l.Configure(conf(t, "charon.filelog.a.path = "+a)); err != nil {
		t.Fatal(err)
	}
	l.LogText(IKE, Ctrl, rw1, "third")
	l.Close()
	if got, want := readFile(t, b), lines("05[IKE] second"); got != want {
		t.Errorf("b: got %q, want %q", got, want)
	}
	if got, want := readFile(t, a), lines("old a", "05[IKE] first", "05[IKE] second", "05[IKE] third"); got != want {
		t.Errorf("a: got %q, want %q", got, want)
	}
}

// TestFilelogBuffering: without flush_line the file is block-buffered
// like a stdio stream; with it every message is written at once.
func TestFilelogBuffering(t *testing.T) {
	dir := t.TempDir()
	buffered, flushed := filepath.Join(dir, "buffered"), filepath.Join(dir, "flushed")
	l, _, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.b.path = "+buffered, "charon.filelog.f.path = "+flushed, "charon.filelog.f.flush_line = yes"))
	l.LogText(IKE, Ctrl, rw1, "x")
	if got := readFile(t, buffered); got != "" {
		t.Errorf("buffered file already has %q", got)
	}
	if got, want := readFile(t, flushed), "05[IKE] x\n"; got != want {
		t.Errorf("flush_line file: got %q, want %q", got, want)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := readFile(t, buffered), "05[IKE] x\n"; got != want {
		t.Errorf("after Flush: got %q, want %q", got, want)
	}
}

func TestFilelogOpenFailure(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.log")
	bad := filepath.Join(dir, "missing", "bad.log")
	l, _, _ := newTestLogger(t, nil, Options{})
	err := l.Configure(conf(t, "charon.filelog.good.path = "+good, "charon.filelog.good.flush_line = yes", "charon.filelog.bad.path = "+bad))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Configure: %v, want a not-exist error", err)
	}
	want := fmt.Sprintf("00[DMN] opening file %s for logging failed: No such file or directory\n", bad)
	if got := readFile(t, good); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// a logger whose file failed to open still counts: no default loggers
	if st := l.stdoutLevels(); st != nil {
		t.Errorf("default stdout logger installed")
	}
}

// stdoutLevels returns the levels of a file logger on stdout, nil if none.
func (l *Logger) stdoutLevels() *Levels {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, s := range l.files {
		if s.target == "stdout" {
			ls := s.levels
			return &ls
		}
	}
	return nil
}

func TestLevels(t *testing.T) {
	l, out, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t,
		"charon.filelog.stdout.default = 2",
		"charon.filelog.stdout.ike = 4",
		"charon.filelog.stdout.knl = -1",
		"charon.filelog.stdout.enc = 0",
		"charon.filelog.stdout.lib = garbage",
	))
	for _, tt := range []struct {
		g    Group
		lv   Level
		want bool
	}{
		{IKE, Audit, true}, {IKE, Private, true},
		{CHD, Diag, true}, {CHD, Raw, false},
		{KNL, Audit, false},
		{ENC, Audit, true}, {ENC, Ctrl, false},
		{LIB, Diag, true}, {LIB, Raw, false},
		{IKE, Silent, false}, {Any, Audit, false}, {Group(200), Audit, false},
	} {
		if got := l.Enabled(tt.g, tt.lv); got != tt.want {
			t.Errorf("Enabled(%v, %d) = %v, want %v", tt.g, tt.lv, got, tt.want)
		}
		out.Reset()
		l.LogText(tt.g, tt.lv, rw1, "m")
		if got := out.String() != ""; got != tt.want {
			t.Errorf("Log(%v, %d) wrote %q", tt.g, tt.lv, out.String())
		}
	}
	// "ipsec stroke loglevel knl 3"
	l.SetLevel(KNL, Raw)
	if !l.Enabled(KNL, Raw) || l.Enabled(KNL, Private) {
		t.Errorf("SetLevel(KNL, 3) not applied")
	}
	l.SetLevel(Any, Silent)
	for g := range NumGroups {
		if l.Enabled(Group(g), Audit) {
			t.Errorf("SetLevel(Any, -1): %v still enabled", Group(g))
		}
	}
	// reloading restores the configured levels
	l.Configure(conf(t, "charon.filelog.stdout.default = 1"))
	if !l.Enabled(IKE, Ctrl) || l.Enabled(IKE, Diag) {
		t.Errorf("levels not restored by Configure")
	}
}

// TestDefaultLoggers reproduces daemon.c load_loggers without configured
// loggers: syslog daemon at the --debug levels, stdout at those levels only
// without --use-syslog, syslog auth at 0 for every group.
func TestDefaultLoggers(t *testing.T) {
	for _, text := range []string{
		"",
		"charon { syslog { identifier = charon\n} }\n",
		"charon { syslog { local0 { default = 4\n}\n}\n}\n", // unsupported facility
		"charon { filelog {\n}\nsyslog {\n}\n}\n",
	} {
		for _, fg := range []bool{false, true} {
			srv := newSyslogServer(t)
			levels, err := ParseCharonDebug("ike 2, knl 0")
			if err != nil {
				t.Fatal(err)
			}
			l, stdout, _ := newTestLogger(t, srv, Options{DefaultLevels: &levels, Foreground: fg})
			if err := l.Configure(parseSettings(t, text)); err != nil {
				t.Fatal(err)
			}
			l.LogText(IKE, Diag, rw1, "ike 2")
			l.LogText(IKE, Raw, rw1, "ike 3")
			l.LogText(KNL, Audit, rw1, "knl 0")
			l.LogText(KNL, Ctrl, rw1, "knl 1")
			l.LogText(CFG, Ctrl, dmn, "cfg 1")
			got := srv.all()
			want := []string{
				"<30>Nov 27 15:40:08 charon: 05[IKE] ike 2\n",
				"<30>Nov 27 15:40:08 charon: 05[KNL] knl 0\n",
				"<86>Nov 27 15:40:08 charon: 05[KNL] knl 0\n",
				"<30>Nov 27 15:40:08 charon: 00[CFG] cfg 1\n",
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Errorf("%q foreground=%v: syslog got\n%q\nwant\n%q", text, fg, got, want)
			}
			wantOut := ""
			if fg {
				wantOut = lines("05[IKE] ike 2", "05[KNL] knl 0", "00[CFG] cfg 1")
			}
			if got := stdout.String(); got != wantOut {
				t.Errorf("%q foreground=%v: stdout got %q, want %q", text, fg, got, wantOut)
			}
		}
	}
}

// TestDefaultLoggersKeepOptions: charon reuses a logger of the previous
// configuration for the defaults without resetting its options (and, for
// stdout without --nofork, its levels).
func TestDefaultLoggersKeepOptions(t *testing.T) {
	srv := newSyslogServer(t)
	l, stdout, _ := newTestLogger(t, srv, Options{})
	l.Configure(conf(t, "charon.syslog.daemon.ike_name = yes", "charon.filelog.stdout.default = 0"))
	l.Configure(nil)
	l.LogText(IKE, Audit, rw1, "x")
	if got, want := srv.all(), []string{
		"<30>Nov 27 15:40:08 charon: 05[IKE] <rw|1> x\n",
		"<86>Nov 27 15:40:08 charon: 05[IKE] x\n",
	}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := stdout.String(), "05[IKE] x\n"; got != want {
		t.Errorf("stdout: got %q, want %q", got, want)
	}
}

// TestBootstrap: before Configure, messages up to level 1 go to stderr as
// charon's dbg_stderr prints them.
func TestBootstrap(t *testing.T) {
	l, _, stderr := newTestLogger(t, nil, Options{})
	l.Log(LIB, Ctrl, rw1, "loading '%s' failed", "/etc/strongswan.conf")
	l.LogText(CFG, Diag, rw1, "not logged")
	l.LogText(CFG, Audit, rw1, "a\nb")
	want := "00[LIB] loading '/etc/strongswan.conf' failed\n00[CFG] a\nb\n"
	if got := stderr.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	l.Configure(conf(t, "charon.filelog.stdout {}"))
	stderr.Reset()
	l.LogText(CFG, Audit, rw1, "after")
	if got := stderr.String(); got != "" {
		t.Errorf("stderr after Configure: %q", got)
	}
}

func TestNilLogger(t *testing.T) {
	var l *Logger
	l.Log(IKE, Audit, rw1, "x %d", 1)
	l.LogText(IKE, Audit, rw1, "x")
	l.SetLevel(IKE, 4)
	if l.Enabled(IKE, Audit) || l.Configure(nil) != nil || l.Flush() != nil || l.Close() != nil {
		t.Fatal("nil Logger does something")
	}
	s := l.Subscribe(Filter{Level: 4})
	if _, ok := <-s.Records(); ok {
		t.Fatal("nil Logger subscription delivers")
	}
	s.Cancel()
	l.With(rw1).Log(IKE, Audit, "x")
}

func TestClose(t *testing.T) {
	l, out, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.stdout {}"))
	sub := l.Subscribe(Filter{Level: Ctrl})
	l.Close()
	l.LogText(IKE, Audit, rw1, "after close")
	if out.String() != "" || l.Enabled(IKE, Audit) {
		t.Errorf("logging after Close")
	}
	if _, ok := <-sub.Records(); ok {
		t.Errorf("subscription still open")
	}
	if l.Configure(nil) == nil {
		t.Errorf("Configure after Close succeeded")
	}
	if s := l.Subscribe(Filter{}); s == nil {
		t.Errorf("Subscribe after Close: nil")
	} else if _, ok := <-s.Records(); ok {
		t.Errorf("Subscribe after Close delivers")
	}
	l.Close()
}

func TestScope(t *testing.T) {
	l, out, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.stdout.ike_name = yes"))
	s := l.With(rw1)
	s.Log(IKE, Ctrl, "initiating IKE_SA %s[%d] to %s", "rw", 1, "192.168.0.1")
	s.Log(IKE, Diag, "hidden")
	if s.Enabled(IKE, Diag) {
		t.Error("Scope.Enabled(IKE, 2)")
	}
	if got, want := out.String(), "05[IKE] <rw|1> initiating IKE_SA rw[1] to 192.168.0.1\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestConcurrent logs from many goroutines while reconfiguring and
// subscribing: every line arrives whole (run with -race).
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "charon.log")
	srv := newSyslogServer(t)
	l, _, _ := newTestLogger(t, srv, Options{})
	settings := conf(t, "charon.filelog.f.path = "+path, "charon.filelog.f.time_format = %T", "charon.filelog.f.ike_name = yes", "charon.syslog.daemon.default = 0")
	if err := l.Configure(settings); err != nil {
		t.Fatal(err)
	}
	const workers, msgs = 8, 500
	sub := l.Subscribe(Filter{Level: Ctrl, Buffer: workers * msgs * 2})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := Context{Thread: w + 1, Name: "conn", UniqueID: uint32(w + 1)}
			for i := range msgs {
				l.Log(IKE, Ctrl, ctx, "message %d of worker %d\nsecond line %d", i, w, i)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			if err := l.Configure(settings); err != nil {
				t.Error(err)
			}
			s := l.Subscribe(Filter{UniqueID: 3, Level: 4})
			l.SetLevel(CHD, Diag)
			s.Cancel()
		}
	}()
	go func() { // drain syslog
		for range srv.all() {
		}
	}()
	wg.Wait()
	l.Close()
	text := readFile(t, path)
	got := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(got) != 2*workers*msgs {
		t.Fatalf("%d lines in the file, want %d", len(got), 2*workers*msgs)
	}
	for i := 0; i < len(got); i += 2 {
		var th, id, n, w, n2 int
		var name string
		if _, err := fmt.Sscanf(got[i], "15:40:08 %02d[IKE] <%4s|%d> message %d of worker %d", &th, &name, &id, &n, &w); err != nil {
			t.Fatalf("line %d %q: %v", i, got[i], err)
		}
		if _, err := fmt.Sscanf(got[i+1], fmt.Sprintf("15:40:08 %02d[IKE] <conn|%d> second line %%d", th, id), &n2); err != nil || n2 != n {
			t.Fatalf("line %d %q does not continue %q", i+1, got[i+1], got[i])
		}
	}
	count := 0
	for range sub.Records() {
		count++
	}
	if count != workers*msgs || sub.Dropped() != 0 {
		t.Errorf("subscriber got %d records, dropped %d; want %d", count, sub.Dropped(), workers*msgs)
	}
}
