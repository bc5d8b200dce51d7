// Package clock abstracts time for the daemon so that timers (rekeying,
// retransmission, DPD, lifetimes) can be driven deterministically in
// tests: Real uses the time package, Fake advances only when told to.
// It imports only the standard library.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock tells the time and schedules callbacks.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d (at once for d <= 0).
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a scheduled callback.
type Timer interface {
	// Stop cancels the callback; it reports whether it was still pending.
	Stop() bool
}

// Real is the system clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a manual clock. Callbacks whose time has come run synchronously,
// in time order, inside Advance, each in the calling goroutine.
// Pending timers are kept in a heap and stopped ones removed lazily, so
// that tests and benchmarks with many thousands of SAs stay fast.
type Fake struct {
	mu      sync.Mutex // guards now, timers, seq, stopped
	now     time.Time
	timers  timerHeap
	seq     uint64
	stopped int // stopped timers still in the heap
}

// NewFake returns a fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

type fakeTimer struct {
	c    *Fake
	when time.Time
	seq  uint64
	f    func()
	// done: fired or stopped; removed: stopped while in the heap
	done, removed bool
}

// timerHeap orders timers by time, then by scheduling order.
type timerHeap []*fakeTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*fakeTimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	c.seq++
	t := &fakeTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	c.mu.Unlock()
	if d <= 0 {
		c.Advance(0)
	}
	return t
}

func (t *fakeTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.done {
		return false
	}
	t.done, t.removed = true, true
	c.stopped++
	if c.stopped > 64 && c.stopped > len(c.timers)/2 {
		c.compactLocked()
	}
	return true
}

// compactLocked drops the stopped timers from the heap.
func (c *Fake) compactLocked() {
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.removed {
			live = append(live, t)
		}
	}
	clear(c.timers[len(live):])
	c.timers = live
	c.stopped = 0
	heap.Init(&c.timers)
}

// peekLocked returns the earliest pending timer, dropping stopped ones
// from the top of the heap.
func (c *Fake) peekLocked() *fakeTimer {
	for len(c.timers) > 0 {
		t := c.timers[0]
		if !t.removed {
			return t
		}
		heap.Pop(&c.timers)
		c.stopped--
	}
	return nil
}

// Advance moves the clock forward by d, running every callback that falls
// due, in order; callbacks may schedule new timers, which run too if they
// fall within the advanced span.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.peekLocked()
		if t == nil || t.when.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		heap.Pop(&c.timers)
		t.done = true
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// Next returns the time of the earliest pending timer.
func (c *Fake) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.peekLocked()
	if t == nil {
		return time.Time{}, false
	}
	return t.when, true
}

// Pending returns the number of pending timers.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers) - c.stopped
}
