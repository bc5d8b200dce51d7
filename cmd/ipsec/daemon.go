package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
)

// Environment of the ipsec command besides service.EnvPidDir and
// service.EnvSocket.
const (
	// envCharon names the daemon binary `ipsec start` runs; default
	// "charon" beside the ipsec binary.
	envCharon = "GOSWAN_CHARON"
	// envConfDir is where ipsec.conf is read for shell completion and the
	// start-up check; default /etc (or charon's --confdir).
	envConfDir = "GOSWAN_CONFDIR"
	// envStartTimeout bounds how long `ipsec start` waits for the daemon
	// to answer (a Go duration); default 30s.
	envStartTimeout = "GOSWAN_START_TIMEOUT"
)

// Exit codes of strongSwan's ipsec script and stroke.
const (
	exitNotRunning  = 7   // LSB "program is not running": no charon.pid
	exitStrokeError = 255 // stroke could not talk to the daemon
)

// daemonPaths are the files through which the CLI finds the daemon.
type daemonPaths struct {
	pidFile     string // charon.pid
	starterFile string // starter.charon.pid
	socket      string
}

func paths() daemonPaths {
	d, s := service.PidFiles(service.PidDir(), "charon")
	return daemonPaths{pidFile: d, starterFile: s, socket: service.SocketPath()}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// socketURI is the socket as stroke names it in its messages.
func socketURI(p string) string { return "unix://" + p }

// sysErrText renders a system error as strerror(3) does ("Connection
// refused").
func sysErrText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

// printer copies streamed frames to the user as stroke does.
func printer(w io.Writer) func(control.Frame) {
	return func(f control.Frame) {
		switch f.Type {
		case control.FrameLog:
			io.WriteString(w, f.Msg+"\n")
		case control.FrameOutput:
			io.WriteString(w, f.Text)
		}
	}
}

// call runs a request against the daemon as `ipsec` runs stroke: with no
// charon.pid it does nothing and returns exit status 7; when the socket
// cannot be reached it prints stroke's messages and returns 255. Streamed
// frames go to the command's standard output.
func call(cmd *cobra.Command, req control.Request) (*control.Result, int) {
	p := paths()
	if !exists(p.pidFile) {
		return nil, exitNotRunning
	}
	return callSocket(cmd, p.socket, req)
}

func callSocket(cmd *cobra.Command, socket string, req control.Request) (*control.Result, int) {
	stderr := cmd.ErrOrStderr()
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	c, err := control.Dial(ctx, socket)
	if err != nil {
		fmt.Fprintf(stderr, "connecting to '%s' failed: %s\n", socketURI(socket), sysErrText(err))
		fmt.Fprintf(stderr, "failed to connect to stroke socket '%s'\n", socketURI(socket))
		return nil, exitStrokeError
	}
	res, err := c.Do(ctx, req, printer(cmd.OutOrStdout()))
	if err != nil {
		fmt.Fprintf(stderr, "reading stroke response failed: %v\n", err)
		return nil, exitStrokeError
	}
	if res.Code == control.CodeVersion || res.Code == control.CodeBadRequest && strings.HasPrefix(res.Error, "unknown command") {
		fmt.Fprintf(stderr, "the daemon does not understand this ipsec command (%s); are ipsec and charon from the same build?\n", res.Error)
	}
	return res, 0
}

// failed reports a failed result whose text the output has not shown
// already and returns exit status 1.
func failed(cmd *cobra.Command, what string, res *control.Result) error {
	if res.Error != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s failed: %s\n", what, res.Error)
	}
	return exitError(1)
}

// charonBinary finds the daemon: $GOSWAN_CHARON, else "charon" in the
// directory of this executable.
func charonBinary() (string, error) {
	if p := os.Getenv(envCharon); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Join(filepath.Dir(exe), "charon"), nil
}

// confDir returns $GOSWAN_CONFDIR or /etc.
func confDir() string {
	if d := os.Getenv(envConfDir); d != "" {
		return d
	}
	return "/etc"
}

func startTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(envStartTimeout)); err == nil && d > 0 {
		return d
	}
	return 30 * time.Second
}

// connNames lists connection names for shell completion: from the daemon
// if it answers quickly, else from ipsec.conf.
func connNames(ctx context.Context) []string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if res, err := control.Call(ctx, paths().socket, control.Request{Cmd: control.CmdConns}, nil); err == nil && res.OK {
		var names []string
		if res.Decode(&names) == nil {
			return names
		}
	}
	conf, _ := config.LoadIPsecConf(nil, filepath.Join(confDir(), "ipsec.conf"))
	var names []string
	if conf != nil {
		for _, c := range conf.Conns {
			names = append(names, c.Name)
		}
	}
	return names
}

// completeConn is the ValidArgsFunction of commands taking one
// connection name.
func completeConn(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	var out []string
	for _, n := range connNames(ctx) {
		if strings.HasPrefix(n, toComplete) {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
