package log

import (
	"bufio"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// fileSink is one charon.filelog.<name> logger (file_logger.c). Its fields
// are guarded by Logger.mu: written with it held for writing, read with it
// held for reading.
type fileSink struct {
	target     string // the file name, or "stdout" / "stderr"
	levels     Levels
	timeFormat string // "" for none
	addMS      bool
	ikeName    bool
	logLevel   bool
	out        *output // nil while no open succeeded: nothing is written
}

func newFileSink(target string) *fileSink {
	return &fileSink{target: target, levels: AllLevels(Silent)}
}

// write prints every line of the message with the prefix
// "[time[.ms] ]NN[GRP]<name> ".
func (s *fileSink) write(m *message) {
	if s.out == nil {
		return
	}
	bp := getBuf()
	b := (*bp)[:0]
	var pre [160]byte
	p := pre[:0]
	if s.timeFormat != "" {
		t := m.stamp()
		p = AppendStrftime(p, s.timeFormat, t)
		if s.addMS {
			ms := t.Nanosecond() / 1e6
			p = append(p, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
		}
		p = append(p, ' ')
	}
	p = appendPrefix(p, m.group, m.level, &m.ctx, s.ikeName, s.logLevel)
	rest := m.text
	for {
		line, next, more := nextLine(rest)
		b = append(b, p...)
		b = append(b, line...)
		b = append(b, '\n')
		if !more {
			break
		}
		rest = next
	}
	s.out.write(b)
	*bp = b
	putBuf(bp)
}

// output is an open log file, or stdout/stderr, shared by the sinks that
// print to it. It buffers like the stdio stream charon writes to: regular
// files block-buffered (line-buffered with flush_line), stdout
// line-buffered on a terminal and block-buffered otherwise, stderr
// unbuffered.
type output struct {
	mu        sync.Mutex // guards the fields below and orders the writes
	w         io.Writer
	buf       *bufio.Writer // nil: unbuffered
	lineFlush bool
	file      *os.File // closed by close; nil for stdout/stderr
}

func (o *output) write(b []byte) {
	o.mu.Lock()
	if o.buf != nil {
		o.buf.Write(b)
		if o.lineFlush {
			o.buf.Flush()
		}
	} else {
		o.w.Write(b)
	}
	o.mu.Unlock()
}

func (o *output) flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.buf != nil {
		return o.buf.Flush()
	}
	return nil
}

// close flushes the buffer and closes the file (not stdout/stderr).
func (o *output) close() error {
	err := o.flush()
	if o.file != nil {
		if cerr := o.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// openFile opens a log file like fopen(path, append ? "a" : "w").
func openFile(path string, appendMode, flushLine bool) (*output, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o666)
	if err != nil {
		return nil, err
	}
	return &output{w: f, buf: bufio.NewWriterSize(f, blockSize(f)), lineFlush: flushLine, file: f}, nil
}

// newStdOutput wraps the process's stdout or stderr (or what the options
// replace them with).
func newStdOutput(w io.Writer, isStderr bool) *output {
	o := &output{w: w}
	f, ok := w.(*os.File)
	if !ok || isStderr {
		return o
	}
	o.buf = bufio.NewWriterSize(f, blockSize(f))
	o.lineFlush = isTerminal(f)
	return o
}

// isTerminal is isatty(3), which glibc asks to pick line buffering.
func isTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		tty = err == nil
	})
	return tty
}

// blockSize is the buffer size glibc picks for a stream: st_blksize.
func blockSize(f *os.File) int {
	if fi, err := f.Stat(); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Blksize > 0 && st.Blksize <= 1<<20 {
			return int(st.Blksize)
		}
	}
	return 4096
}
