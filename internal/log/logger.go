package log

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Context says where a message comes from. charon takes these from the
// logging thread: its number and the IKE_SA it has checked out.
type Context struct {
	// Thread is printed as at least two digits ("05[IKE]"). charon prints
	// its thread's number; the daemon passes a small number that is stable
	// per IKE_SA goroutine or subsystem. The main goroutine is 0, as
	// charon's main thread.
	Thread int
	// Name is the name of the IKE_SA's peer config ("rw"), "" while it has
	// none; with ike_name = yes the prefix is " <rw|1>" or " <1>".
	Name string
	// UniqueID is the IKE_SA's unique id (from 1); 0 outside an IKE_SA.
	UniqueID uint32
}

// Options set up a Logger. The zero value matches charon as starter runs
// it: --use-syslog and no --debug-<type> options.
type Options struct {
	// Namespace is the strongswan.conf section read by Configure,
	// "charon" if empty.
	Namespace string
	// Program is the syslog tag when <ns>.syslog.identifier is not set
	// (glibc then uses the program name); the base name of os.Args[0] if
	// empty.
	Program string
	// DefaultLevels are the levels of the default loggers, which are used
	// when strongswan.conf configures none: charon's --debug-<type>
	// options, i.e. ipsec.conf's charondebug (see ParseCharonDebug). nil
	// means every group at Ctrl.
	DefaultLevels *Levels
	// Foreground makes the default stdout logger print at DefaultLevels,
	// as charon does unless started with --use-syslog (which starter
	// passes unless it runs with --nofork).
	Foreground bool
	// SyslogPath is the syslog socket, DefaultSyslogPath if empty.
	SyslogPath string
	// Stdout and Stderr replace os.Stdout and os.Stderr (the special
	// filelog names "stdout" and "stderr").
	Stdout, Stderr io.Writer
	// Now tells the time (time.Now if nil); the time is formatted in its
	// location.
	Now func() time.Time
}

// Logger dispatches messages to the configured loggers and subscribers. It
// is safe for concurrent use. Until the first Configure it behaves like
// charon before its loggers are loaded: messages up to level 1 go to
// stderr as "00[GRP] text". A nil *Logger discards everything.
type Logger struct {
	ns         string
	program    string
	defaults   Levels
	foreground bool
	now        func() time.Time
	stdout     *output
	stderr     *output

	// max is, per group, the highest level any sink or subscriber wants
	// (-1: none). Written with mu held for writing; read without it by
	// Enabled: a message racing with a reconfiguration may be dropped or
	// checked against the per-sink levels for nothing, never lost from a
	// sink that wanted it before and after.
	max [NumGroups]atomic.Int32

	// mu guards the fields below and the options and levels of the sinks.
	// Log holds it for reading while it writes a message (so a
	// reconfiguration never closes a file under a writer); Configure,
	// SetLevel, Subscribe and Close hold it for writing.
	mu      sync.RWMutex
	state   loggerState
	files   []*fileSink
	syslogs []*sysSink
	subs    []*Subscription
	sys     *syslogConn
}

type loggerState uint8

const (
	stateBootstrap loggerState = iota
	stateConfigured
	stateClosed
)

// New returns a Logger that logs to stderr until Configure installs the
// loggers of strongswan.conf.
func New(opts Options) *Logger {
	l := &Logger{
		ns:         opts.Namespace,
		program:    opts.Program,
		defaults:   AllLevels(Ctrl),
		foreground: opts.Foreground,
		now:        opts.Now,
	}
	if l.ns == "" {
		l.ns = "charon"
	}
	if l.program == "" && len(os.Args) > 0 {
		l.program = filepath.Base(os.Args[0])
	}
	if opts.DefaultLevels != nil {
		l.defaults = *opts.DefaultLevels
	}
	if l.now == nil {
		l.now = time.Now
	}
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	l.stdout = newStdOutput(stdout, false)
	l.stderr = newStdOutput(stderr, true)
	path := opts.SyslogPath
	if path == "" {
		path = DefaultSyslogPath
	}
	l.sys = &syslogConn{path: path, tag: l.program}
	l.recompute()
	return l
}

// Enabled reports whether a message of group g and level lv would be
// written anywhere. It is one atomic load: guard the building of costly
// arguments with it (boxing non-constant arguments into ...any allocates
// even when Log then drops the message).
func (l *Logger) Enabled(g Group, lv Level) bool {
	return l != nil && int(g) < NumGroups && lv >= 0 && int32(lv) <= l.max[g].Load()
}

// Log formats a message with fmt.Sprintf's rules and writes it to every
// logger and subscriber whose level for g is at least lv, as charon's
// DBGn(group, ...) macros do. A message of several lines (such as a hex
// dump) gets the prefix on every line. An empty message is dropped, and a
// message is cut at a NUL byte (charon's messages are C strings).
func (l *Logger) Log(g Group, lv Level, ctx Context, format string, args ...any) {
	if !l.Enabled(g, lv) {
		return
	}
	bp := getBuf()
	b := fmt.Appendf((*bp)[:0], format, args...)
	l.emit(g, lv, &ctx, b)
	*bp = b
	putBuf(bp)
}

// LogText is Log for a message that is not a format string.
func (l *Logger) LogText(g Group, lv Level, ctx Context, text string) {
	if !l.Enabled(g, lv) {
		return
	}
	bp := getBuf()
	b := append((*bp)[:0], text...)
	l.emit(g, lv, &ctx, b)
	*bp = b
	putBuf(bp)
}

// message is one message on its way to the sinks.
type message struct {
	group Group
	level Level
	ctx   Context
	text  []byte
	now   func() time.Time
	t     time.Time
	hasT  bool
}

// stamp returns the time of the message, read once.
func (m *message) stamp() time.Time {
	if !m.hasT {
		m.t, m.hasT = m.now(), true
	}
	return m.t
}

func (l *Logger) emit(g Group, lv Level, ctx *Context, text []byte) {
	if len(text) == 0 {
		return
	}
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	m := message{group: g, level: lv, ctx: *ctx, text: text, now: l.now}
	l.mu.RLock()
	defer l.mu.RUnlock()
	switch l.state {
	case stateClosed:
		return
	case stateBootstrap:
		if lv <= Ctrl {
			l.writeBootstrap(&m)
		}
	}
	for _, s := range l.files {
		if lv <= s.levels[g] {
			s.write(&m)
		}
	}
	for _, s := range l.syslogs {
		if lv <= s.levels[g] {
			s.write(l.sys, &m)
		}
	}
	if len(l.subs) > 0 {
		l.publish(&m)
	}
}

// writeBootstrap is charon's dbg_stderr, its logging before the loggers
// are loaded: "00[GRP] " and the message as is.
func (l *Logger) writeBootstrap(m *message) {
	bp := getBuf()
	b := append((*bp)[:0], "00["...)
	b = append(b, groupNames[m.group]...)
	b = append(b, "] "...)
	b = append(b, m.text...)
	b = append(b, '\n')
	l.stderr.write(b)
	*bp = b
	putBuf(bp)
}

// SetLevel sets the level of group g (or of all groups, for Any) in every
// installed logger, as "ipsec stroke loglevel" does (daemon.c set_level).
// The next Configure sets the levels from strongswan.conf again.
func (l *Logger) SetLevel(g Group, lv Level) {
	if l == nil || int(g) > NumGroups {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	set := func(ls *Levels) {
		if g == Any {
			*ls = AllLevels(lv)
		} else {
			ls[g] = lv
		}
	}
	for _, s := range l.files {
		set(&s.levels)
	}
	for _, s := range l.syslogs {
		set(&s.levels)
	}
	l.recompute()
}

// recompute updates max; mu must be held for writing (or l not shared).
func (l *Logger) recompute() {
	for g := range NumGroups {
		m := int32(Silent)
		if l.state == stateBootstrap {
			m = int32(Ctrl)
		}
		if l.state != stateClosed {
			for _, s := range l.files {
				m = max(m, int32(s.levels[g]))
			}
			for _, s := range l.syslogs {
				m = max(m, int32(s.levels[g]))
			}
			for _, s := range l.subs {
				m = max(m, int32(s.filter.Level))
			}
		}
		l.max[g].Store(m)
	}
}

// Flush writes out what the file loggers have buffered.
func (l *Logger) Flush() error {
	if l == nil {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	var errs []error
	for _, o := range l.outputs() {
		errs = append(errs, o.flush())
	}
	return errors.Join(errs...)
}

// outputs lists the distinct outputs in use; mu must be held.
func (l *Logger) outputs() []*output {
	outs := []*output{l.stdout, l.stderr}
	for _, s := range l.files {
		if s.out != nil && s.out != l.stdout && s.out != l.stderr {
			outs = append(outs, s.out)
		}
	}
	return outs
}

// Close flushes and closes the log files and the syslog connection and
// ends all subscriptions; later messages are dropped.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.state == stateClosed {
		l.mu.Unlock()
		return nil
	}
	var errs []error
	for _, o := range l.outputs() {
		errs = append(errs, o.close())
	}
	l.sys.mu.Lock()
	l.sys.close()
	l.sys.mu.Unlock()
	subs := l.subs
	l.files, l.syslogs, l.subs = nil, nil, nil
	l.state = stateClosed
	l.recompute()
	l.mu.Unlock()
	for _, s := range subs {
		s.closeChan()
	}
	return errors.Join(errs...)
}

// strerror renders an error like glibc's strerror for the errno inside
// it: Go's texts for errno values are glibc's with a lower-case first
// letter.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		bufPool.Put(bp)
	}
}

// Scope is a Logger bound to one Context, e.g. held by an IKE_SA's
// goroutine.
type Scope struct {
	L   *Logger
	Ctx Context
}

// With binds ctx to l.
func (l *Logger) With(ctx Context) Scope { return Scope{L: l, Ctx: ctx} }

// Enabled is Logger.Enabled.
func (s Scope) Enabled(g Group, lv Level) bool { return s.L.Enabled(g, lv) }

// Log is Logger.Log with the scope's Context.
func (s Scope) Log(g Group, lv Level, format string, args ...any) {
	if !s.L.Enabled(g, lv) {
		return
	}
	s.L.Log(g, lv, s.Ctx, format, args...)
}
