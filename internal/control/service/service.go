// Package service is the process plumbing of the charon daemon around the
// control socket: pid files, the control listener, signals and an orderly
// shutdown. It also holds the conventions `ipsec start`/`ipsec stop` share
// with the daemon (paths, environment, pid file rules).
//
// goswan has no separate starter process: `ipsec start` launches charon
// detached and charon is its own starter. The daemon therefore writes both
// pid files strongSwan tools look for, /var/run/charon.pid and
// /var/run/starter.charon.pid, with its own pid; `ipsec stop`, `ipsec
// reload` and scripts that signal the starter all reach charon.
//
// Use from charon's main:
//
//	svc, err := service.Start(service.DefaultConfig(logf))  // early: before binding IKE ports
//	if err != nil { ... exit 1 }                             // e.g. *RunningError
//	defer svc.Close()                                        // removes the pid files
//	... load the configuration, start the IKE core (backend) ...
//	err = svc.Serve(ctx, backend)   // control socket + signals; returns after backend.Shutdown
//
// Signals while serving: SIGTERM and SIGINT shut down (a second one aborts
// the shutdown), SIGHUP and SIGUSR1 reload the configuration (charon's and
// starter's reload signals). `ipsec stop` on the socket shuts down like
// SIGTERM.
//
// The package may import x/sys/unix; it must not import internal/ike/....
package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/version"
)

// Environment shared by `ipsec` and charon.
const (
	// EnvPidDir overrides the pid file directory (/var/run).
	EnvPidDir = "GOSWAN_PIDDIR"
	// EnvSocket overrides the control socket path (/var/run/charon.ctl).
	EnvSocket = "GOSWAN_CTL"
	// EnvStarter is set to "1" by `ipsec start` in the daemon's
	// environment: the daemon then points its standard input, output and
	// error at /dev/null once it serves (until then `ipsec start` reads
	// them to report start-up failures).
	EnvStarter = "GOSWAN_STARTER"
)

// DefaultPidDir is where pid files go unless EnvPidDir says otherwise.
const DefaultPidDir = "/var/run"

// Config configures the daemon's process plumbing.
type Config struct {
	// Name is the daemon name in pid file names: NAME.pid and
	// starter.NAME.pid. Default "charon".
	Name string
	// PidDir holds the pid files. Default $GOSWAN_PIDDIR or /var/run.
	PidDir string
	// Socket is the control socket. Default $GOSWAN_CTL or
	// /var/run/charon.ctl.
	Socket string
	// ShutdownTimeout bounds Backend.Shutdown. Default 8s (`ipsec stop`
	// waits 11s before it kills, as strongSwan's does).
	ShutdownTimeout time.Duration
	// Logf logs the daemon's messages (charon's DMN group), one line each.
	Logf func(format string, args ...any)
	// MaxClients bounds the control connections handled at once (see
	// control.Server); 0 for the default.
	MaxClients int
}

// DefaultConfig returns the configuration from the environment.
func DefaultConfig(logf func(format string, args ...any)) Config {
	return Config{Logf: logf}.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "charon"
	}
	if c.PidDir == "" {
		c.PidDir = PidDir()
	}
	if c.Socket == "" {
		c.Socket = SocketPath()
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 8 * time.Second
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// PidDir returns $GOSWAN_PIDDIR or /var/run.
func PidDir() string {
	if d := os.Getenv(EnvPidDir); d != "" {
		return d
	}
	return DefaultPidDir
}

// SocketPath returns $GOSWAN_CTL or /var/run/charon.ctl.
func SocketPath() string {
	if p := os.Getenv(EnvSocket); p != "" {
		return p
	}
	return control.DefaultSocket
}

// PidFiles returns the daemon's pid file and the starter pid file for
// daemon name in dir.
func PidFiles(dir, name string) (daemon, starter string) {
	return filepath.Join(dir, name+".pid"), filepath.Join(dir, "starter."+name+".pid")
}

// Service is a started daemon process.
type Service struct {
	cfg   Config
	pid   int
	files []string
	once  sync.Once
}

// Start claims the daemon's pid files: if a live process holds either, or
// a daemon answers on the control socket, it returns a *RunningError;
// stale files are removed (and logged, as charon does).
func Start(cfg Config) (*Service, error) {
	cfg = cfg.withDefaults()
	s := &Service{cfg: cfg, pid: os.Getpid()}
	daemonFile, starterFile := PidFiles(cfg.PidDir, cfg.Name)
	for _, f := range []string{daemonFile, starterFile} {
		if err := s.claim(f); err != nil {
			s.Close()
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if h, err := control.Ping(ctx, cfg.Socket); err == nil && h.PID != s.pid {
		s.Close()
		return nil, &RunningError{PID: h.PID}
	}
	return s, nil
}

func (s *Service) claim(path string) error {
	for range 3 {
		err := writePIDFile(path, s.pid)
		if err == nil {
			s.files = append(s.files, path)
			return nil
		}
		if !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("unable to create pidfile '%s': %w", path, err)
		}
		pid, rerr := ReadPID(path)
		if rerr == nil && pid != s.pid && Alive(pid) {
			return &RunningError{PID: pid, File: path}
		}
		if rerr != nil && !isStale(rerr) {
			return fmt.Errorf("unable to read pidfile '%s': %w", path, rerr)
		}
		s.cfg.Logf("removing pidfile '%s', process not running", path)
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("unable to remove pidfile '%s': %w", path, err)
		}
	}
	return fmt.Errorf("unable to create pidfile '%s': it keeps reappearing", path)
}

// Close removes the pid files if they still name this process. It is safe
// to call more than once.
func (s *Service) Close() error {
	s.once.Do(func() {
		for _, f := range s.files {
			removePIDFile(f, s.pid)
		}
	})
	return nil
}

// stopper wraps the backend: a stop request on the socket asks Serve to
// shut down instead of calling Backend.Shutdown from the request handler.
type stopper struct {
	control.Backend
	stop chan<- struct{}
}

func (w stopper) Shutdown(context.Context) error {
	select {
	case w.stop <- struct{}{}:
	default:
	}
	return nil
}

// Serve listens on the control socket and serves b until a shutdown is
// requested (SIGTERM, SIGINT, `ipsec stop`) or ctx is canceled; then it
// stops the control server (canceling running commands), calls
// b.Shutdown with ShutdownTimeout and returns. SIGHUP and SIGUSR1 call
// b.Reload. An error means the socket could not be set up (wrapping
// control.ErrInUse when another daemon listens) or the server failed.
func (s *Service) Serve(ctx context.Context, b control.Backend) error {
	cfg := s.cfg
	// Take the signals before the socket answers: whoever talks to the
	// daemon may signal it next.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	l, err := control.Listen(cfg.Socket)
	if err != nil {
		return err
	}

	stopReq := make(chan struct{}, 1)
	srv := &control.Server{
		Backend:    stopper{Backend: b, stop: stopReq},
		MaxClients: cfg.MaxClients,
		Software:   Software(),
		Logf:       cfg.Logf,
	}
	srvCtx, stopServer := context.WithCancel(context.Background())
	defer stopServer()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(srvCtx, l) }()

	if os.Getenv(EnvStarter) == "1" {
		os.Unsetenv(EnvStarter) // not for the daemon's children (updown scripts)
		if err := detachStdio(); err != nil {
			cfg.Logf("detaching from the terminal failed: %v", err)
		}
	}

	var reloading sync.Mutex
	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			cfg.Logf("shutting down")
			break loop
		case <-stopReq:
			cfg.Logf("stop requested on the control socket, shutting down")
			break loop
		case err := <-served:
			serveErr = err
			served = nil
			if err != nil {
				cfg.Logf("control socket failed: %v; shutting down", err)
			}
			break loop
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP, syscall.SIGUSR1:
				cfg.Logf("signal of type %s received. Reloading configuration", signalName(sig))
				go func() {
					reloading.Lock()
					defer reloading.Unlock()
					if err := b.Reload(context.Background()); err != nil {
						cfg.Logf("reloading config failed, keeping old: %v", err)
					}
				}()
			default:
				cfg.Logf("%s received, shutting down", signalName(sig))
				break loop
			}
		}
	}

	// Stop taking requests first; commands in flight are canceled.
	stopServer()
	if served != nil {
		select {
		case err := <-served:
			serveErr = err
		case <-time.After(5 * time.Second):
			cfg.Logf("control server did not stop in time")
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGTERM || sig == syscall.SIGINT {
					cfg.Logf("%s received again, not waiting for the shutdown", signalName(sig))
					cancel()
					return
				}
			case <-sctx.Done():
				return
			}
		}
	}()
	if err := b.Shutdown(sctx); err != nil {
		cfg.Logf("shutdown: %v", err)
	}
	return serveErr
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}

// detachStdio points fds 0, 1 and 2 at /dev/null, as strongSwan's starter
// does for the daemon.
func detachStdio() error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(null.Fd()), fd, 0); err != nil {
			return err
		}
	}
	return nil
}

// Software is how the daemon names itself in status output and ping:
// "goswan 0.1.0, strongSwan 5.9.8 compatible".
func Software() string {
	return "goswan " + version.String() + ", strongSwan " + version.Compat + " compatible"
}

// DaemonInfo fills the statusall header fields that come from the
// process: name, uname, start time and memory. Workers (see
// RuntimeWorkers) and Plugins are the daemon's to fill.
func DaemonInfo(started time.Time) control.DaemonInfo {
	d := control.DaemonInfo{Software: Software(), Started: started, Memory: RuntimeMemory()}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		d.Sysname = cstr(u.Sysname[:])
		d.Release = cstr(u.Release[:])
		d.Machine = cstr(u.Machine[:])
	}
	return d
}

func cstr(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s
}

// RuntimeMemory maps the Go runtime's memory statistics onto the
// "malloc:" line: sbrk = heap obtained from the OS, mmap = other runtime
// memory (stacks, GC metadata), used = heap in use, free = idle heap.
func RuntimeMemory() *control.Memory {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return &control.Memory{
		Sbrk: m.HeapSys,
		Mmap: m.Sys - m.HeapSys,
		Used: m.HeapInuse,
		Free: m.HeapIdle,
	}
}

// RuntimeWorkers fills the "worker threads" line with goroutine figures in
// charon's shape: total = the process's goroutines, idle = those not busy,
// busy goes to the "medium" priority column (charon's ordinary jobs), queued
// are messages/commands waiting in IKE_SA mailboxes and scheduled the armed
// timers (retransmits, rekeying, DPD). The daemon counts busy, queued and
// scheduled; zeros are fine.
func RuntimeWorkers(busy, queued, scheduled int) control.Workers {
	total := max(runtime.NumGoroutine(), busy)
	return control.Workers{
		Idle:      total - busy,
		Total:     total,
		Working:   [4]int{0, 0, busy, 0},
		Queued:    [4]int{0, 0, queued, 0},
		Scheduled: scheduled,
	}
}
