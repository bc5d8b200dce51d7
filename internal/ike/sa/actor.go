package sa

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/internal/clock"
)

// actor serializes everything done to one IKE_SA. Everything that reads
// or changes the SA runs as a closure posted to its mailbox; the mailbox is
// unbounded so that timers and the receive path never block on a busy SA.
// A goroutine drains the mailbox while it has work and ends when it is
// empty: an idle SA costs no goroutine stack (a gateway holds many
// thousands of idle SAs), and at most one goroutine runs an SA's closures
// at any time, so each closure sees the effects of the previous ones.
type actor struct {
	mu      sync.Mutex // guards queue, closed, started, running
	queue   []func(*IKESA)
	closed  bool
	started bool // start was called: posted closures may run
	running bool // a goroutine drains the mailbox
	s       *IKESA
	wg      *sync.WaitGroup // the manager's: running goroutines

	snap atomic.Pointer[Snapshot]
	// busy counts closures posted but not yet run, shared by all actors
	// of a manager (Manager.idle).
	busy *atomic.Int64
}

func newActor(busy *atomic.Int64, wg *sync.WaitGroup) *actor {
	return &actor{busy: busy, wg: wg}
}

// post queues f for the actor; it reports false if the SA is gone.
func (a *actor) post(f func(*IKESA)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	a.queue = append(a.queue, f)
	a.busy.Add(1)
	a.kickLocked()
	return true
}

// start lets the closures posted to s run, those queued first.
func (a *actor) start(s *IKESA) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s, a.started = s, true
	a.kickLocked()
}

// kickLocked starts a goroutine to drain the mailbox if there is work
// and none runs.
func (a *actor) kickLocked() {
	if a.started && !a.running && len(a.queue) > 0 {
		a.running = true
		a.wg.Add(1)
		go a.drain()
	}
}

// drain runs the queued closures until the mailbox is empty or the SA is
// destroyed.
func (a *actor) drain() {
	defer a.wg.Done()
	s := a.s
	idled := false
	for {
		a.mu.Lock()
		if len(a.queue) == 0 && !idled {
			// still the owner: let the SA drop what it only needs while
			// busy, then look for work that came meanwhile
			a.mu.Unlock()
			s.idle()
			idled = true
			continue
		}
		if len(a.queue) == 0 {
			a.running = false
			if cap(a.queue) > 8 {
				a.queue = nil // an idle SA keeps no big mailbox
			}
			a.mu.Unlock()
			return
		}
		idled = false
		f := a.queue[0]
		a.queue[0] = nil
		a.queue = a.queue[1:]
		a.mu.Unlock()
		f(s)
		if s.state == StateDestroying {
			a.mu.Lock()
			a.closed = true
			rest := a.queue
			a.queue = nil
			a.mu.Unlock()
			s.finish(rest)
			a.busy.Add(-int64(len(rest)) - 1)
			a.mu.Lock()
			a.running = false
			a.mu.Unlock()
			return
		}
		sn := s.snapshot()
		a.snap.Store(sn)
		if k := (idKey{sn.LocalID, sn.RemoteID}); k != s.indexedID || !s.indexed {
			s.mgr.index(s, k)
		}
		a.busy.Add(-1)
	}
}

// after schedules f on the SA's actor after d; it does not run once the
// SA is gone.
func (s *IKESA) after(d time.Duration, f func(*IKESA)) clock.Timer {
	a := s.actor
	return s.env.Clock.AfterFunc(d, func() {
		a.post(func(s *IKESA) {
			if !s.finished && s.state != StateDestroying {
				f(s)
			}
		})
	})
}

// idle releases what an IKE_SA needs only while it works: the cipher
// state of its SK payloads (made again from the keys for the next
// message).
func (s *IKESA) idle() {
	if s.skIn != nil {
		s.skIn.Idle()
	}
	if s.skOut != nil {
		s.skOut.Idle()
	}
}
