package log

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBuffer is the number of records a subscription queues by default.
const DefaultBuffer = 1024

// Filter selects the messages a subscription receives.
type Filter struct {
	// UniqueID limits the subscription to the messages logged in the
	// context of that IKE_SA, as charon's controller does for "ipsec up"
	// and "ipsec down"; 0 receives all messages.
	UniqueID uint32
	// Level is the highest level delivered, for all groups (stroke's
	// output verbosity, 1 by default for "ipsec up"); Silent receives
	// nothing.
	Level Level
	// Buffer is the number of records queued for a slow reader,
	// DefaultBuffer if 0. When the queue is full further records are
	// dropped (and counted), so a stalled client never blocks the daemon.
	Buffer int
}

// Record is one message as a subscriber receives it.
type Record struct {
	Time    time.Time
	Group   Group
	Level   Level
	Context Context
	// Message is the text without any prefix, possibly of several lines.
	Message string
}

// String returns the record as stroke writes it to an "ipsec up" client:
// the message alone (stroke_control.c stroke_log prints "%s\n").
func (r Record) String() string { return r.Message }

// AppendPrefixed appends the record as a file logger without time_format
// prints it: every line as "NN[GRP] <name|id> text\n" (the name only with
// ikeName, the level after the group with logLevel).
func (r *Record) AppendPrefixed(dst []byte, ikeName, logLevel bool) []byte {
	if int(r.Group) >= NumGroups {
		return dst
	}
	var pre [160]byte
	p := appendPrefix(pre[:0], r.Group, r.Level, &r.Context, ikeName, logLevel)
	rest := r.Message
	for {
		i := 0
		for i < len(rest) && rest[i] != '\n' {
			i++
		}
		dst = append(dst, p...)
		dst = append(dst, rest[:i]...)
		dst = append(dst, '\n')
		if i == len(rest) {
			return dst
		}
		rest = rest[i+1:]
	}
}

// Subscription streams records to a reader until cancelled.
type Subscription struct {
	l       *Logger
	filter  Filter
	ch      chan Record
	dropped atomic.Uint64
	once    sync.Once
}

// Subscribe starts delivering the messages f selects. The receiver must
// read Records until it is closed, or call Cancel.
func (l *Logger) Subscribe(f Filter) *Subscription {
	if f.Buffer <= 0 {
		f.Buffer = DefaultBuffer
	}
	s := &Subscription{l: l, filter: f, ch: make(chan Record, f.Buffer)}
	if l == nil {
		s.closeChan()
		return s
	}
	l.mu.Lock()
	if l.state == stateClosed {
		l.mu.Unlock()
		s.closeChan()
		return s
	}
	l.subs = append(l.subs, s)
	l.recompute()
	l.mu.Unlock()
	return s
}

// Records returns the channel the records arrive on; it is closed by
// Cancel and by Logger.Close.
func (s *Subscription) Records() <-chan Record { return s.ch }

// Dropped returns how many records did not fit into the buffer.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Cancel ends the subscription and closes the channel; records already
// queued stay readable. It may be called more than once.
func (s *Subscription) Cancel() {
	l := s.l
	if l == nil {
		return
	}
	l.mu.Lock()
	for i, x := range l.subs {
		if x == s {
			l.subs = append(l.subs[:i:i], l.subs[i+1:]...)
			l.recompute()
			break
		}
	}
	l.mu.Unlock()
	// no writer holds mu for reading any more, so none sends on ch
	s.closeChan()
}

func (s *Subscription) closeChan() { s.once.Do(func() { close(s.ch) }) }

// publish hands m to the matching subscribers without blocking; l.mu is
// held for reading.
func (l *Logger) publish(m *message) {
	var rec Record
	made := false
	for _, s := range l.subs {
		if m.level > s.filter.Level || (s.filter.UniqueID != 0 && s.filter.UniqueID != m.ctx.UniqueID) {
			continue
		}
		if !made {
			rec = Record{Time: m.stamp(), Group: m.group, Level: m.level, Context: m.ctx, Message: string(m.text)}
			made = true
		}
		select {
		case s.ch <- rec:
		default:
			s.dropped.Add(1)
		}
	}
}
