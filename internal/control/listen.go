package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrInUse is returned by Listen when a daemon already answers on the
// socket.
var ErrInUse = errors.New("control socket in use by a running daemon")

// Listen creates the control socket at path (DefaultSocket if empty), mode
// 0600 from the start, owned by the calling user (root for the daemon). A
// stale socket file (nobody accepts on it) is replaced; a live one makes
// Listen fail with an error wrapping ErrInUse; any other kind of file at
// path is left alone and is an error. Closing the listener removes the
// socket file if it is still the one Listen created.
func Listen(path string) (net.Listener, error) {
	if path == "" {
		path = DefaultSocket
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	if err := removeStale(path); err != nil {
		return nil, err
	}
	// Bind under a temporary name in a private directory next to path
	// and rename it into place: the socket never exists with a wider mode
	// (no process-wide umask games) and never half-created at path.
	tmpDir, err := os.MkdirTemp(dir, ".ctl-")
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, "s")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control: %w", err)
	}
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ul.Close()
		return nil, fmt.Errorf("control: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		ul.Close()
		return nil, fmt.Errorf("control: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("control: %w", err)
	}
	return &listener{UnixListener: ul, path: path, fi: fi}, nil
}

// removeStale removes path if it is a socket nobody accepts on.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control: %s exists and is not a socket", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	switch {
	case err == nil:
		c.Close()
		return fmt.Errorf("control: %s: %w", path, ErrInUse)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, fs.ErrNotExist):
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("control: removing stale socket: %w", err)
		}
		return nil
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, context.DeadlineExceeded):
		// The backlog is full or the owner hangs: someone is there.
		return fmt.Errorf("control: %s: %w (not answering)", path, ErrInUse)
	}
	return fmt.Errorf("control: probing %s: %w", path, err)
}

// listener removes its socket file on Close, unless it was replaced.
type listener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo
	once sync.Once
}

func (l *listener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.fi) {
			os.Remove(l.path)
		}
	})
	return err
}
