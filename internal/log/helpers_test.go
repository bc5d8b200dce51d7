package log

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/config"
)

// testTime is Nov 27 15:40:08.123 (the scenario tests' favourite moment).
var testTime = time.Date(2023, 11, 27, 15, 40, 8, 123456789, time.UTC)

func fixedNow() time.Time { return testTime }

func parseSettings(t testing.TB, text string) *config.Settings {
	t.Helper()
	s, ds := config.ParseSettings(nil, "strongswan.conf", []byte(text))
	if config.HasErrors(ds) {
		t.Fatalf("strongswan.conf: %v", config.Err(ds))
	}
	return s
}

// lockedBuffer is a bytes.Buffer for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}

// syslogServer is a datagram socket standing in for /dev/log.
type syslogServer struct {
	path string
	conn *net.UnixConn
}

func newSyslogServer(t testing.TB) *syslogServer {
	t.Helper()
	// unix socket paths are limited to 108 bytes; TempDir may be long
	dir, err := os.MkdirTemp("", "logtest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &syslogServer{path: filepath.Join(dir, "log")}
	s.conn, err = net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.conn.Close() })
	return s
}

// next returns the next datagram.
func (s *syslogServer) next(t testing.TB) string {
	t.Helper()
	buf := make([]byte, 65536)
	s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := s.conn.Read(buf)
	if err != nil {
		t.Fatalf("reading syslog message: %v", err)
	}
	return string(buf[:n])
}

// all reads the waiting datagrams.
func (s *syslogServer) all() []string {
	var out []string
	buf := make([]byte, 65536)
	for {
		s.conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, err := s.conn.Read(buf)
		if err != nil {
			return out
		}
		out = append(out, string(buf[:n]))
	}
}

// newTestLogger returns a Logger writing syslog to srv (may be nil) and
// stdout/stderr to the returned buffers, at the fixed test time.
func newTestLogger(t testing.TB, srv *syslogServer, opts Options) (*Logger, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	if opts.Stdout == nil {
		opts.Stdout = stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = stderr
	}
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	if opts.Program == "" {
		opts.Program = "charon"
	}
	if srv != nil {
		opts.SyslogPath = srv.path
	} else if opts.SyslogPath == "" {
		opts.SyslogPath = filepath.Join(t.TempDir(), "no-syslog")
	}
	l := New(opts)
	t.Cleanup(func() { l.Close() })
	return l, stdout, stderr
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

// conf renders "a.b.c = value" lines (and "a.b {}" for an empty section)
// as nested strongswan.conf sections, which is all strongSwan 5.9 accepts.
func conf(t testing.TB, keys ...string) *config.Settings {
	t.Helper()
	type node struct {
		order []string
		subs  map[string]*node
		vals  map[string]string
	}
	newNode := func() *node { return &node{subs: map[string]*node{}, vals: map[string]string{}} }
	root := newNode()
	for _, k := range keys {
		path, val, isVal := strings.Cut(k, "=")
		path = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(path), "{}"))
		parts := strings.Split(path, ".")
		n := root
		last := len(parts)
		if isVal {
			last--
		}
		for _, p := range parts[:last] {
			if n.subs[p] == nil {
				n.subs[p] = newNode()
				n.order = append(n.order, p)
			}
			n = n.subs[p]
		}
		if isVal {
			n.vals[parts[last]] = strings.TrimSpace(val)
			n.order = append(n.order, "="+parts[last])
		}
	}
	var b strings.Builder
	var render func(n *node, indent string)
	render = func(n *node, indent string) {
		for _, name := range n.order {
			if k, ok := strings.CutPrefix(name, "="); ok {
				fmt.Fprintf(&b, "%s%s = %s\n", indent, k, n.vals[k])
				continue
			}
			fmt.Fprintf(&b, "%s%s {\n", indent, name)
			render(n.subs[name], indent+"\t")
			fmt.Fprintf(&b, "%s}\n", indent)
		}
	}
	render(root, "")
	return parseSettings(t, b.String())
}
