package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/control"
)

type backend struct {
	mu       sync.Mutex
	reloads  int
	shutdown int
	reloaded chan struct{}
}

func (b *backend) Initiate(context.Context, string, string, control.LogWriter) error { return nil }
func (b *backend) TerminateIKE(context.Context, uint32, control.LogWriter) error     { return nil }
func (b *backend) TerminateChild(context.Context, uint32, control.LogWriter) error   { return nil }
func (b *backend) Status(context.Context, control.StatusQuery) (*control.Status, error) {
	return &control.Status{}, nil
}
func (b *backend) Reload(context.Context) error {
	b.mu.Lock()
	b.reloads++
	b.mu.Unlock()
	b.reloaded <- struct{}{}
	return nil
}
func (b *backend) RereadSecrets(context.Context) error { return nil }
func (b *backend) RereadAll(context.Context) error     { return nil }
func (b *backend) List(context.Context, control.ListOptions, io.Writer) error {
	return nil
}
func (b *backend) Leases(context.Context, string, string) (*control.Leases, error) {
	return nil, control.ErrUnsupported
}
func (b *backend) Shutdown(context.Context) error {
	b.mu.Lock()
	b.shutdown++
	b.mu.Unlock()
	return nil
}

type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func testConfig(t *testing.T) (Config, *logs) {
	dir := t.TempDir()
	lg := &logs{}
	return Config{PidDir: filepath.Join(dir, "run"), Socket: filepath.Join(dir, "run", "charon.ctl"), Logf: lg.logf}, lg
}

// zombie returns the pid of an exited, unreaped child.
func zombie(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { cmd.Wait() })
	for range 500 {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if strings.Contains(string(b), ") Z") {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no zombie")
	return 0
}

func TestAlive(t *testing.T) {
	if !Alive(os.Getpid()) || !Alive(1) {
		t.Error("live processes reported dead")
	}
	if Alive(0) || Alive(-1) || Alive(1<<22+12345) {
		t.Error("impossible pids reported alive")
	}
	if z := zombie(t); Alive(z) {
		t.Errorf("zombie %d reported alive", z)
	}
}

func TestStartPidFiles(t *testing.T) {
	cfg, lg := testConfig(t)
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	daemonFile, starterFile := PidFiles(cfg.PidDir, "charon")
	for _, f := range []string{daemonFile, starterFile} {
		b, err := os.ReadFile(f)
		if err != nil || string(b) != strconv.Itoa(os.Getpid())+"\n" {
			t.Errorf("%s: %q %v", f, b, err)
		}
		if fi, _ := os.Stat(f); fi == nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v", f, fi)
		}
	}
	if entries, _ := os.ReadDir(cfg.PidDir); len(entries) != 2 {
		t.Errorf("extra files: %v", entries)
	}
	s.Close()
	for _, f := range []string{daemonFile, starterFile} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", f, err)
		}
	}

	// A live process in either file: already running.
	for _, f := range []string{daemonFile, starterFile} {
		os.WriteFile(f, []byte("1\n"), 0o644)
		_, err := Start(cfg)
		var re *RunningError
		if !errors.As(err, &re) || re.PID != 1 || re.File != f {
			t.Errorf("%s naming pid 1: %v", f, err)
		}
		if !strings.Contains(err.Error(), "charon already running ('"+f+"' exists") {
			t.Errorf("message: %v", err)
		}
		if b, _ := os.ReadFile(f); string(b) != "1\n" {
			t.Errorf("live pid file overwritten: %q", b)
		}
		os.Remove(f)
		if _, err := os.Stat(daemonFile); err == nil && f == starterFile {
			t.Error("Start left its own pid file behind after failing")
		}
	}

	// Stale files (dead process, garbage, zombie) are replaced.
	os.WriteFile(daemonFile, []byte(strconv.Itoa(zombie(t))+"\n"), 0o644)
	os.WriteFile(starterFile, []byte("garbage"), 0o644)
	s, err = Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(lg.String(), "removing pidfile '"+daemonFile+"', process not running") {
		t.Errorf("log: %s", lg)
	}
	// Close leaves a file that meanwhile names another process.
	os.WriteFile(daemonFile, []byte("1\n"), 0o644)
	s.Close()
	if _, err := os.Stat(daemonFile); err != nil {
		t.Error("Close removed a foreign pid file")
	}
}

func serve(t *testing.T, cfg Config, b *backend) (*Service, context.CancelFunc, chan error) {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, b) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if h, err := control.Ping(context.Background(), cfg.Socket); err == nil {
			if h.PID != os.Getpid() || !strings.Contains(h.Software, "strongSwan 5.9.8 compatible") {
				t.Errorf("hello %+v", h)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("daemon does not answer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s, cancel, done
}

func wait(t *testing.T, done chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestServeStopOverSocket(t *testing.T) {
	cfg, lg := testConfig(t)
	b := &backend{reloaded: make(chan struct{}, 4)}
	s, cancel, done := serve(t, cfg, b)
	defer cancel()
	res, err := control.Call(context.Background(), cfg.Socket, control.Request{Cmd: control.CmdStop}, nil)
	if err != nil || !res.OK {
		t.Fatalf("stop: %+v %v", res, err)
	}
	wait(t, done)
	s.Close()
	if b.shutdown != 1 {
		t.Errorf("Shutdown called %d times", b.shutdown)
	}
	if _, err := os.Lstat(cfg.Socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left: %v", err)
	}
	if entries, _ := os.ReadDir(cfg.PidDir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
	if !strings.Contains(lg.String(), "stop requested") {
		t.Errorf("log: %s", lg)
	}
}

func TestServeSignals(t *testing.T) {
	cfg, lg := testConfig(t)
	b := &backend{reloaded: make(chan struct{}, 4)}
	s, cancel, done := serve(t, cfg, b)
	defer cancel()
	defer s.Close()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1} {
		syscall.Kill(os.Getpid(), sig)
		select {
		case <-b.reloaded:
		case <-time.After(5 * time.Second):
			t.Fatalf("%v did not reload", sig)
		}
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	wait(t, done)
	log := lg.String()
	for _, want := range []string{
		"signal of type SIGHUP received. Reloading configuration",
		"signal of type SIGUSR1 received. Reloading configuration",
		"SIGTERM received, shutting down",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if b.shutdown != 1 {
		t.Errorf("Shutdown called %d times", b.shutdown)
	}
}

func TestServeContext(t *testing.T) {
	cfg, _ := testConfig(t)
	b := &backend{reloaded: make(chan struct{}, 4)}
	s, cancel, done := serve(t, cfg, b)
	defer s.Close()
	cancel()
	wait(t, done)
	if b.shutdown != 1 {
		t.Errorf("Shutdown called %d times", b.shutdown)
	}
}

// TestStartSocketInUse: a daemon that answers on the socket (here a fake
// one with pid 4242) makes Start fail even without pid files.
func TestStartSocketInUse(t *testing.T) {
	cfg, _ := testConfig(t)
	os.MkdirAll(cfg.PidDir, 0o755)
	l, err := net.Listen("unix", cfg.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			bufio.NewReader(c).ReadString('\n')
			c.Write([]byte(`{"type":"result","ok":true,"data":{"protocol":1,"software":"x","pid":4242}}` + "\n"))
			c.Close()
		}
	}()
	var re *RunningError
	if _, err := Start(cfg); !errors.As(err, &re) || re.PID != 4242 || re.File != "" {
		t.Fatalf("Start: %v", err)
	}
	if entries, _ := os.ReadDir(cfg.PidDir); len(entries) != 1 {
		t.Errorf("pid files left after refusing: %v", entries)
	}
	// Serve on a live socket fails too.
	s := &Service{cfg: cfg.withDefaults(), pid: os.Getpid()}
	if err := s.Serve(context.Background(), &backend{}); !errors.Is(err, control.ErrInUse) {
		t.Errorf("Serve: %v", err)
	}
}

func TestDaemonInfo(t *testing.T) {
	started := time.Now()
	d := DaemonInfo(started)
	if d.Sysname != "Linux" || d.Release == "" || d.Machine == "" || !d.Started.Equal(started) || d.Memory == nil || d.Memory.Sbrk == 0 {
		t.Errorf("%+v", d)
	}
	if !strings.HasPrefix(d.Software, "goswan ") {
		t.Errorf("software %q", d.Software)
	}
}

func TestRuntimeWorkers(t *testing.T) {
	w := RuntimeWorkers(2, 3, 4)
	if w.Total < 2 || w.Idle != w.Total-2 || w.Working != [4]int{0, 0, 2, 0} || w.Queued != [4]int{0, 0, 3, 0} || w.Scheduled != 4 {
		t.Errorf("%+v", w)
	}
}
