package updown

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/goswan/goswan/internal/log"
)

// lineLen is the most bytes of script output charon logs in one line: it
// reads with fgets into a 128-byte buffer, so longer lines come out in
// pieces of 127 bytes.
const lineLen = 127

// waitDelay bounds how long we wait for the script's output after it
// exited (a background child may keep the pipe open).
const waitDelay = 2 * time.Second

// runScript runs the event's command once with env, as charon's
// process_start_shell: /bin/sh -c "2>&1 COMMAND", stdout (with stderr of
// the first command) to the log, stderr of the shell to ours.
func (l *Listener) runScript(ev *event, env []string) {
	ctx := context.Background()
	if l.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.opts.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", "2>&1 "+ev.command)
	cmd.Env = env
	cmd.Stdout = &lineWriter{emit: func(s string) { l.logf(ev, log.Ctrl, "updown: %s", s) }}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	cmd.Stdout.(*lineWriter).flush()
	if err == nil {
		return
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		l.logf(ev, log.Ctrl, "updown script '%s' failed: killed after %v", ev.command, l.opts.Timeout)
	case errors.As(err, &exit) && exit.Exited():
		l.logf(ev, log.Ctrl, "updown script '%s' failed: exit status %d", ev.command, exit.ExitCode())
	case errors.As(err, &exit):
		l.logf(ev, log.Ctrl, "updown script '%s' failed: %v", ev.command, exit.ProcessState)
	case errors.Is(err, exec.ErrWaitDelay):
		// it exited, but left something holding its output open
	default:
		l.logf(ev, log.Ctrl, "updown script '%s' failed: %v", ev.command, err)
	}
}

// lineWriter splits output into lines as charon's fgets loop does: a
// line ends at '\n' (which is dropped) or after lineLen bytes; what is
// left at the end is a line too.
type lineWriter struct {
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		w.buf = append(w.buf, b)
		if b == '\n' {
			w.emit(string(w.buf[:len(w.buf)-1]))
			w.buf = w.buf[:0]
		} else if len(w.buf) == lineLen {
			w.emit(string(w.buf))
			w.buf = w.buf[:0]
		}
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = w.buf[:0]
	}
}
