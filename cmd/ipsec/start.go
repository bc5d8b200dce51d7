package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
	"github.com/goswan/goswan/internal/version"
)

// Exit codes of strongSwan's starter (LSB).
const (
	exitFailure    = 1
	exitBadConfig  = 2
	exitNotAllowed = 4
)

// stopWait is how long `ipsec stop` waits before it kills, as strongSwan's
// script (110 x 0.1 s).
var stopWait = 11 * time.Second

func newStartCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "start [--nofork] [CHARON-ARGS...]",
		Short: "start the IKE daemon",
		Long: `start runs the charon daemon found beside this ipsec binary
($GOSWAN_CHARON overrides), detached from the terminal in a new session with
standard input and output on /dev/null, and returns once it answers on its
control socket; it fails with the daemon's early output if it quits or does
not answer within 30s ($GOSWAN_START_TIMEOUT). With --nofork charon runs in
the foreground instead, logging to the terminal. Other arguments are passed
to charon.

If charon already runs, start says so and exits 0, as strongSwan's does.
Exit status 2 when ipsec.conf has fatal errors, 4 when not run as root.

goswan has no separate starter: charon writes both /var/run/charon.pid and
/var/run/starter.charon.pid.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStart(cmd, args)
		},
	}
}

func newStopCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "stop the IKE daemon and wait until it is gone",
		Long: `stop asks charon to shut down (over its control socket, else with SIGTERM),
waits until the process has exited, killing it after 11 seconds, and removes
pid files and socket it may have left. Stopping a daemon that does not run
succeeds, as in strongSwan.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStop(cmd)
		},
	}
}

func newRestartCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "restart [--nofork] [CHARON-ARGS...]",
		Short:              "stop and start the IKE daemon",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := runStop(cmd); err != nil {
				return err
			}
			return runStart(cmd, args)
		},
	}
}

func runStart(cmd *cobra.Command, args []string) error {
	stderr := cmd.ErrOrStderr()
	nofork := false
	var charonArgs []string
	for _, a := range args {
		switch a {
		case "--nofork":
			nofork = true
		case "-h", "--help":
			return cmd.Help()
		default:
			charonArgs = append(charonArgs, a)
		}
	}
	fmt.Fprintf(stderr, "Starting goswan %s IPsec [starter]...\n", version.String())
	// A private pid directory ($GOSWAN_PIDDIR) allows unprivileged use.
	if os.Geteuid() != 0 && os.Getenv(service.EnvPidDir) == "" {
		fmt.Fprintln(stderr, "permission denied (must be superuser)")
		return exitError(exitNotAllowed)
	}
	p := paths()
	charonRuns := false
	if service.RunningPID(p.pidFile) != 0 {
		fmt.Fprintf(stderr, "charon is already running (%s exists) -- skipping daemon start\n", p.pidFile)
		charonRuns = true
	}
	if conf := ipsecConfPath(charonArgs); conf != "" {
		c, diags := config.LoadIPsecConf(nil, conf)
		if c == nil || c.Invalid {
			for _, d := range diags {
				if d.Severity == config.SeverityError {
					fmt.Fprintf(stderr, "%s: %s\n", d.Pos(), d.Msg)
				}
			}
			fmt.Fprintln(stderr, "unable to start strongSwan -- fatal errors in config")
			return exitError(exitBadConfig)
		}
	}
	if service.RunningPID(p.starterFile) != 0 {
		fmt.Fprintf(stderr, "starter is already running (%s exists) -- no fork done\n", p.starterFile)
		return nil
	}
	if charonRuns {
		return nil
	}
	for _, f := range []string{p.pidFile, p.starterFile} {
		if exists(f) {
			fmt.Fprintf(stderr, "removing pidfile '%s', process not running\n", f)
			os.Remove(f)
		}
	}
	charon, err := charonBinary()
	if err != nil {
		fmt.Fprintf(stderr, "IKE daemon not found: %v\n", err)
		return exitError(exitFailure)
	}
	if fi, err := os.Stat(charon); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		fmt.Fprintf(stderr, "IKE daemon '%s' not found\n", charon)
		return exitError(exitFailure)
	}
	if nofork {
		// In the foreground: become charon.
		argv := append([]string{charon}, charonArgs...)
		err := syscall.Exec(charon, argv, os.Environ())
		fmt.Fprintf(stderr, "can't execv(%s,...): %v\n", charon, err)
		return exitError(exitFailure)
	}
	return spawn(cmd, charon, charonArgs, p.socket)
}

// ipsecConfPath is the ipsec.conf charon will read: from its --confdir
// argument, else $GOSWAN_CONFDIR or /etc.
func ipsecConfPath(charonArgs []string) string {
	dir := confDir()
	for i, a := range charonArgs {
		if v, ok := strings.CutPrefix(a, "--confdir="); ok {
			dir = v
		} else if a == "--confdir" && i+1 < len(charonArgs) {
			dir = charonArgs[i+1]
		}
	}
	return filepath.Join(dir, "ipsec.conf")
}

// spawn starts charon detached and waits until it answers on socket.
func spawn(cmd *cobra.Command, charon string, charonArgs []string, socket string) error {
	stderr := cmd.ErrOrStderr()
	// Until charon serves, its stdout and stderr go to an unlinked
	// temporary file we can show if it fails; then it switches to
	// /dev/null itself (service.EnvStarter).
	early, err := os.CreateTemp("", "goswan-start-")
	if err != nil {
		fmt.Fprintf(stderr, "can't start charon: %v\n", err)
		return exitError(exitFailure)
	}
	os.Remove(early.Name())
	defer early.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(stderr, "can't start charon: %v\n", err)
		return exitError(exitFailure)
	}
	defer devnull.Close()
	closeInheritedFDs()

	c := exec.Command(charon, append([]string{"--use-syslog"}, charonArgs...)...)
	c.Stdin, c.Stdout, c.Stderr = devnull, early, early
	c.Env = append(os.Environ(), service.EnvStarter+"=1")
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.Start(); err != nil {
		fmt.Fprintf(stderr, "can't start charon: %v\n", err)
		return exitError(exitFailure)
	}
	pid := c.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()

	deadline := time.Now().Add(startTimeout())
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		h, err := control.Ping(ctx, socket)
		cancel()
		if err == nil && h.PID == pid {
			return nil
		}
		select {
		case werr := <-exited:
			showEarly(stderr, early)
			fmt.Fprintf(stderr, "charon has quit (%v) -- see above and the daemon log (syslog, facility daemon)\n", exitText(werr))
			return exitError(exitFailure)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			showEarly(stderr, early)
			fmt.Fprintf(stderr, "charon (%d) did not answer on %s within %v -- stopping it; see the daemon log (syslog, facility daemon)\n", pid, socket, startTimeout())
			c.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(2 * time.Second):
				c.Process.Kill()
				<-exited
			}
			return exitError(exitFailure)
		}
	}
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// showEarly copies what the daemon printed before it failed (at most
// 64 KiB).
func showEarly(w io.Writer, f *os.File) {
	b := make([]byte, 64<<10)
	n, _ := f.ReadAt(b, 0)
	if n > 0 {
		w.Write(b[:n])
		if b[n-1] != '\n' {
			io.WriteString(w, "\n")
		}
	}
}

// closeInheritedFDs marks every descriptor above stderr close-on-exec, so
// the daemon inherits nothing this command inherited (a test runner's
// pipes, say) and does not keep it open.
func closeInheritedFDs() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

func runStop(cmd *cobra.Command) error {
	stderr := cmd.ErrOrStderr()
	p := paths()
	file := p.starterFile
	if !exists(file) {
		file = p.pidFile
	}
	if !exists(file) {
		fmt.Fprintln(stderr, "Stopping strongSwan IPsec failed: starter is not running")
		removeStaleSocket(p.socket)
		return nil
	}
	fmt.Fprintln(stderr, "Stopping strongSwan IPsec...")
	pid, _ := service.ReadPID(file)
	if service.Alive(pid) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		res, err := control.Call(ctx, p.socket, control.Request{Cmd: control.CmdStop}, nil)
		cancel()
		if err != nil || !res.OK {
			syscall.Kill(pid, syscall.SIGTERM)
		}
		if !waitGone(pid, stopWait) {
			syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 2*time.Second)
		}
	}
	// The daemon removes these itself; after a crash or a kill they
	// remain.
	for _, f := range []string{p.pidFile, p.starterFile} {
		if got, err := service.ReadPID(f); exists(f) && (err != nil || got == pid || !service.Alive(got)) {
			os.Remove(f)
		}
	}
	removeStaleSocket(p.socket)
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for service.Alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// removeStaleSocket removes the control socket if nobody accepts on it.
func removeStaleSocket(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		return
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
	}
}

func contextTimeout(cmd *cobra.Command, d time.Duration) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, d)
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
