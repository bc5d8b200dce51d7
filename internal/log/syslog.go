package log

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultSyslogPath is the local syslog socket glibc's syslog(3) writes to.
const DefaultSyslogPath = "/dev/log"

// Syslog facilities charon supports (daemon.c, get_syslog_facility): "auth"
// is LOG_AUTHPRIV.
const (
	facilityDaemon   = 3 << 3  // LOG_DAEMON
	facilityAuthpriv = 10 << 3 // LOG_AUTHPRIV
	severityInfo     = 6       // LOG_INFO
	severityDebug    = 7       // LOG_DEBUG
)

func syslogFacility(name string) (int, bool) {
	switch name {
	case "daemon":
		return facilityDaemon, true
	case "auth":
		return facilityAuthpriv, true
	}
	return 0, false
}

// sysSink is one charon.syslog.<facility> logger (sys_logger.c). Its
// fields are guarded by Logger.mu: written with it held for writing, read
// with it held for reading.
type sysSink struct {
	facilityName string
	facility     int
	levels       Levels
	ikeName      bool
	logLevel     bool
	mapLevel     int
}

func newSysSink(name string, facility int) *sysSink {
	return &sysSink{facilityName: name, facility: facility, levels: AllLevels(Silent), mapLevel: -1}
}

// priority is the syslog priority of a message of level lv: LOG_INFO, or
// with map_level >= 0 min(LOG_DEBUG, map_level + lv).
func (s *sysSink) priority(lv Level) int {
	if s.mapLevel < 0 {
		return s.facility | severityInfo
	}
	return s.facility | min(severityDebug, s.mapLevel+int(lv))
}

// write sends one syslog message per line of msg, like sys_logger.c's
// syslog(priority, "%.2d[%s]%s %s\n", ...) for each line.
func (s *sysSink) write(c *syslogConn, m *message) {
	pri := s.priority(m.level)
	bp := getBuf()
	prefix := appendPrefix((*bp)[:0], m.group, m.level, &m.ctx, s.ikeName, s.logLevel)
	c.mu.Lock()
	rest := m.text
	for {
		line, next, more := nextLine(rest)
		c.send(pri, m.stamp(), prefix, line)
		if !more {
			break
		}
		rest = next
	}
	c.mu.Unlock()
	*bp = prefix
	putBuf(bp)
}

// syslogConn writes to the local syslog socket the way glibc's syslog(3)
// does (misc/syslog.c of glibc 2.36, as on Debian 12), so rsyslog and
// journald see the same bytes as from charon:
//
//	<PRI>Mmm dd HH:MM:SS TAG: TEXT
//
// with the time in local time as strftime's "%h %e %T" in the C locale and
// no "[pid]" (charon calls openlog without LOG_PID, or not at all). The
// socket is a datagram socket, a stream socket if the path only accepts
// those (then the message ends with a NUL byte). It connects at the first
// message; if a send fails it reconnects and tries once more, else the
// message is lost and the next one reconnects.
type syslogConn struct {
	path string

	// tag is the syslog identifier; guarded by Logger.mu.
	tag string

	mu     sync.Mutex // guards the fields below, and the order of lines
	conn   net.Conn
	stream bool
	buf    []byte
}

func (c *syslogConn) send(pri int, t time.Time, prefix, line []byte) {
	b := append(c.buf[:0], '<')
	b = strconv.AppendInt(b, int64(pri), 10)
	b = append(b, '>')
	b = t.AppendFormat(b, time.Stamp)
	b = append(b, ' ')
	b = append(b, c.tag...)
	b = append(b, ": "...)
	b = append(b, prefix...)
	b = append(b, line...)
	b = append(b, '\n')
	c.buf = b
	if c.conn == nil || c.write(b) != nil {
		if c.conn != nil {
			c.close()
		}
		if c.connect() != nil || c.write(b) != nil {
			c.close()
		}
	}
	if cap(c.buf) > 64<<10 {
		c.buf = nil
	}
}

// write sends one message; on a stream socket glibc includes the
// terminating NUL.
func (c *syslogConn) write(b []byte) error {
	if c.stream {
		b = append(b, 0)
		c.buf = b[:len(b)-1]
	}
	_, err := c.conn.Write(b)
	return err
}

func (c *syslogConn) connect() error {
	conn, err := net.Dial("unixgram", c.path)
	if err != nil && errors.Is(err, syscall.EPROTOTYPE) {
		conn, err = net.Dial("unix", c.path)
		c.stream = err == nil
	} else {
		c.stream = false
	}
	if err != nil {
		return err
	}
	c.conn = conn
	return nil
}

func (c *syslogConn) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}
