package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
)

// fakeDaemonEnv makes `ipsec start` run this test binary as a fake charon
// in mode, with a private pid directory, socket and ipsec.conf.
func fakeDaemonEnv(t *testing.T, mode string) daemonPaths {
	t.Helper()
	p := privateRun(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(envCharon, exe)
	t.Setenv(envFakeCharon, mode)
	os.WriteFile(filepath.Join(confDir(), "ipsec.conf"), []byte("conn home\n\tright=192.168.0.1\n\tauto=add\n"), 0o644)
	t.Cleanup(func() {
		// Never leave a daemon behind.
		if pid, err := service.ReadPID(p.pidFile); err == nil && service.Alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return p
}

func fdTarget(pid, fd int) string {
	s, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	return s
}

// procStat returns the fields of /proc/PID/stat after the command name.
func procStat(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		return strings.Fields(s[i+1:])
	}
	return nil
}

func TestStartStop(t *testing.T) {
	p := fakeDaemonEnv(t, "serve")
	t0 := time.Now()
	out, errOut, code := run(t, nil, "start")
	if code != 0 || out != "" || !strings.HasPrefix(errOut, "Starting goswan ") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("start: %d %q %q", code, out, errOut)
	}
	t.Logf("start took %v", time.Since(t0))
	// It answers at once: start returned only when it did.
	h, err := control.Ping(context.Background(), p.socket)
	if err != nil {
		t.Fatalf("daemon not answering after start: %v", err)
	}
	pid := h.PID
	for _, f := range []string{p.pidFile, p.starterFile} {
		if got, err := service.ReadPID(f); err != nil || got != pid {
			t.Errorf("%s: %d %v, want %d", f, got, err, pid)
		}
	}
	// Detached: stdio on /dev/null, own session, no stray descriptors from us.
	for fd := 0; fd <= 2; fd++ {
		if got := fdTarget(pid, fd); got != "/dev/null" {
			t.Errorf("daemon fd %d -> %q", fd, got)
		}
	}
	if st := procStat(pid); len(st) < 4 || st[3] != strconv.Itoa(pid) {
		t.Errorf("daemon is not a session leader: %v", st)
	}
	if fi, err := os.Lstat(p.socket); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket: %v %v", fi, err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/environ"); err == nil {
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if !strings.Contains(string(env), "--use-syslog") {
			t.Errorf("daemon arguments: %q", env)
		}
	}

	if out, _, code := run(t, nil, "status"); code != 0 || !strings.Contains(out, "home[1]: ESTABLISHED") {
		t.Errorf("status of the started daemon: %d %q", code, out)
	}

	// Starting again: strongSwan's messages, exit 0, nothing started.
	_, errOut, code = run(t, nil, "start")
	wantAgain := "charon is already running (" + p.pidFile + " exists) -- skipping daemon start\n" +
		"starter is already running (" + p.starterFile + " exists) -- no fork done\n"
	if code != 0 || !strings.HasSuffix(errOut, wantAgain) {
		t.Errorf("second start: %d %q", code, errOut)
	}

	_, errOut, code = run(t, nil, "stop")
	if code != 0 || errOut != "Stopping strongSwan IPsec...\n" {
		t.Errorf("stop: %d %q", code, errOut)
	}
	if service.Alive(pid) {
		t.Error("stop returned while the daemon runs")
	}
	for _, f := range []string{p.pidFile, p.starterFile, p.socket} {
		if exists(f) {
			t.Errorf("%s left after stop", f)
		}
	}
	if _, errOut, _ := run(t, nil, "stop"); errOut != "Stopping strongSwan IPsec failed: starter is not running\n" {
		t.Errorf("second stop: %q", errOut)
	}
}

func TestRestart(t *testing.T) {
	p := fakeDaemonEnv(t, "serve")
	if _, errOut, code := run(t, nil, "start"); code != 0 {
		t.Fatalf("start: %s", errOut)
	}
	pid1, _ := service.ReadPID(p.pidFile)
	_, errOut, code := run(t, nil, "restart")
	if code != 0 || !strings.Contains(errOut, "Stopping strongSwan IPsec...\nStarting goswan ") {
		t.Fatalf("restart: %d %q", code, errOut)
	}
	pid2, _ := service.ReadPID(p.pidFile)
	if pid2 == pid1 || service.Alive(pid1) || !service.Alive(pid2) {
		t.Errorf("restart: old %d (alive %v), new %d (alive %v)", pid1, service.Alive(pid1), pid2, service.Alive(pid2))
	}
	run(t, nil, "stop")
}

// TestStartPipes: a caller that reads start's output through a pipe (a
// test runner, `$(ipsec start)`) sees EOF when start returns, because the
// daemon does not hold the pipe.
func TestStartPipes(t *testing.T) {
	p := fakeDaemonEnv(t, "serve")
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "start")
	cmd.Env = append(os.Environ(), envAsIPsec+"=1")
	done := make(chan error, 1)
	var out []byte
	go func() {
		var err error
		out, err = cmd.CombinedOutput()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("start: %v %s", err, out)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("start's output pipe was not closed: the daemon inherited it")
	}
	pid, err := service.ReadPID(p.pidFile)
	if err != nil || !service.Alive(pid) {
		t.Fatalf("daemon not running: %v", err)
	}
	// The daemon is not our child any more: stop must still wait for it.
	if _, errOut, _ := run(t, nil, "stop"); errOut != "Stopping strongSwan IPsec...\n" {
		t.Errorf("stop: %q", errOut)
	}
	if service.Alive(pid) {
		t.Error("daemon still alive after stop")
	}
}

func TestStartNoFork(t *testing.T) {
	p := fakeDaemonEnv(t, "serve")
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "start", "--nofork")
	cmd.Env = append(os.Environ(), envAsIPsec+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var h *control.Hello
	for {
		var err error
		if h, err = control.Ping(context.Background(), p.socket); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no daemon: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// ipsec became charon: same process, still attached to us.
	if h.PID != cmd.Process.Pid {
		t.Errorf("daemon pid %d, ipsec pid %d", h.PID, cmd.Process.Pid)
	}
	run(t, nil, "stop")
	if err := cmd.Wait(); err != nil {
		t.Errorf("foreground charon: %v %s", err, stderr.String())
	}
	if !strings.HasPrefix(stderr.String(), "Starting goswan ") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestStartFailures(t *testing.T) {
	t.Run("daemon quits", func(t *testing.T) {
		fakeDaemonEnv(t, "fail")
		_, errOut, code := run(t, nil, "start")
		if code != 1 || !strings.Contains(errOut, "charon: bad things happened\ncharon has quit (exit status 3)") {
			t.Errorf("%d %q", code, errOut)
		}
	})
	t.Run("daemon hangs", func(t *testing.T) {
		fakeDaemonEnv(t, "hang")
		t.Setenv(envStartTimeout, "1s")
		t0 := time.Now()
		_, errOut, code := run(t, nil, "start")
		if code != 1 || !strings.Contains(errOut, "hanging around\ncharon (") || !strings.Contains(errOut, "did not answer on") {
			t.Errorf("%d %q", code, errOut)
		}
		if d := time.Since(t0); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("no daemon binary", func(t *testing.T) {
		fakeDaemonEnv(t, "serve")
		t.Setenv(envCharon, "/nonexistent/charon")
		if _, errOut, code := run(t, nil, "start"); code != 1 || !strings.Contains(errOut, "IKE daemon '/nonexistent/charon' not found") {
			t.Errorf("%d %q", code, errOut)
		}
	})
	t.Run("fatal config errors", func(t *testing.T) {
		fakeDaemonEnv(t, "serve")
		os.WriteFile(filepath.Join(confDir(), "ipsec.conf"), []byte("conn home\n\talso=nowhere\n  bad indentation\n"), 0o644)
		_, errOut, code := run(t, nil, "start")
		if code != 2 || !strings.HasSuffix(errOut, "unable to start strongSwan -- fatal errors in config\n") {
			t.Errorf("%d %q", code, errOut)
		}
	})
	t.Run("stale pid files", func(t *testing.T) {
		p := fakeDaemonEnv(t, "serve")
		os.WriteFile(p.pidFile, []byte("999999999\n"), 0o644)
		os.WriteFile(p.starterFile, []byte("junk"), 0o644)
		_, errOut, code := run(t, nil, "start")
		if code != 0 || !strings.Contains(errOut, "removing pidfile '"+p.pidFile+"', process not running\nremoving pidfile '"+p.starterFile+"', process not running\n") {
			t.Errorf("%d %q", code, errOut)
		}
		run(t, nil, "stop")
	})
}

// TestStopKills: a daemon that does not finish its shutdown is killed
// after the wait, and its files are cleaned up.
func TestStopKills(t *testing.T) {
	p := fakeDaemonEnv(t, "stubborn")
	if _, errOut, code := run(t, nil, "start"); code != 0 {
		t.Fatalf("start: %s", errOut)
	}
	pid, _ := service.ReadPID(p.pidFile)
	old := stopWait
	stopWait = time.Second
	defer func() { stopWait = old }()
	t0 := time.Now()
	if _, errOut, code := run(t, nil, "stop"); code != 0 || errOut != "Stopping strongSwan IPsec...\n" {
		t.Errorf("stop: %d %q", code, errOut)
	}
	if d := time.Since(t0); d < time.Second || d > 5*time.Second {
		t.Errorf("stop took %v", d)
	}
	if service.Alive(pid) {
		t.Error("daemon survived stop")
	}
	for _, f := range []string{p.pidFile, p.starterFile, p.socket} {
		if exists(f) {
			t.Errorf("%s left after kill", f)
		}
	}
}
