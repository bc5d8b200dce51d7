package sa

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/internal/clock"
)

// actor is the goroutine that owns one IKE_SA. Everything that reads or
// changes the SA runs as a closure posted to its mailbox; the mailbox is
// unbounded so that timers and the receive path never block on a busy SA.
type actor struct {
	mu     sync.Mutex // guards queue and closed
	queue  []func(*IKESA)
	closed bool
	wake   chan struct{} // capacity 1
	done   chan struct{} // closed when the goroutine ends

	snap atomic.Pointer[Snapshot]
	// busy counts closures posted but not yet run, shared by all actors
	// of a manager (Manager.idle).
	busy *atomic.Int64
}

func newActor(busy *atomic.Int64) *actor {
	return &actor{wake: make(chan struct{}, 1), done: make(chan struct{}), busy: busy}
}

// post queues f for the actor; it reports false if the SA is gone.
func (a *actor) post(f func(*IKESA)) bool {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return false
	}
	a.queue = append(a.queue, f)
	a.busy.Add(1)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return true
}

// run processes the mailbox until the SA is destroyed.
func (a *actor) run(s *IKESA) {
	defer close(a.done)
	for {
		<-a.wake
		for {
			a.mu.Lock()
			if len(a.queue) == 0 {
				a.mu.Unlock()
				break
			}
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
