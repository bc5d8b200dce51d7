package service

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ReadPID returns the process ID in a pid file ("1234\n"); 0 and an error
// when the file is missing or holds no positive number.
func ReadPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) > 64 {
		b = b[:64]
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: no process ID in it", path)
	}
	return pid, nil
}

// Alive reports whether process pid exists and is not a zombie (a daemon
// that exited but was not yet reaped counts as gone).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	// pid (comm) S ...: the state follows the last ')'.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		switch b[i+2] {
		case 'Z', 'X', 'x':
			return false
		}
	}
	return true
}

// RunningPID returns the process ID of a live process named by the pid
// file at path, or 0.
func RunningPID(path string) int {
	pid, err := ReadPID(path)
	if err != nil || !Alive(pid) {
		return 0
	}
	return pid
}

// writePIDFile creates path holding pid, atomically: the file appears
// complete or not at all, and an existing file is never overwritten
// (fs.ErrExist).
func writePIDFile(path string, pid int) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(strconv.Itoa(pid) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// removePIDFile removes path if it still names pid.
func removePIDFile(path string, pid int) {
	if got, err := ReadPID(path); err == nil && got == pid {
		os.Remove(path)
	}
}

// RunningError is returned by Start when a daemon already runs.
type RunningError struct {
	PID  int
	File string // the pid file naming it, or "" if found on the socket
}

func (e *RunningError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("charon already running ('%s' exists, pid %d)", e.File, e.PID)
	}
	return fmt.Sprintf("charon already running (pid %d answers on the control socket)", e.PID)
}

// isStale reports whether the error is a missing or unreadable pid file
// rather than an I/O problem worth reporting.
func isStale(err error) bool {
	return err != nil && (errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "no process ID"))
}
