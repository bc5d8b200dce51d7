package clock

import (
	"testing"
	"time"
)

func TestFakeRunsInOrder(t *testing.T) {
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := NewFake(start)
	var got []string
	c.AfterFunc(3*time.Second, func() { got = append(got, "3s") })
	c.AfterFunc(time.Second, func() {
		got = append(got, "1s")
		c.AfterFunc(time.Second, func() { got = append(got, "2s (scheduled at 1s)") })
	})
	stop := c.AfterFunc(2500*time.Millisecond, func() { got = append(got, "never") })
	if !stop.Stop() || stop.Stop() {
		t.Fatal("Stop should report pending once")
	}
	c.Advance(2 * time.Second)
	if len(got) != 2 || got[0] != "1s" || got[1] != "2s (scheduled at 1s)" {
		t.Fatalf("after 2s: %v", got)
	}
	if !c.Now().Equal(start.Add(2 * time.Second)) {
		t.Fatalf("now %v", c.Now())
	}
	c.Advance(time.Hour)
	if len(got) != 3 || got[2] != "3s" || c.Pending() != 0 {
		t.Fatalf("after 1h: %v, %d pending", got, c.Pending())
	}
}

// Many timers, most stopped (the heap is compacted on the way): the rest
// fire in time order, and Pending and Next ignore the stopped ones.
func TestFakeManyStopped(t *testing.T) {
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := NewFake(start)
	var fired []int
	var timers []Timer
	for i := range 1000 {
		i := i
		// scheduled in reverse time order
		timers = append(timers, c.AfterFunc(time.Duration(1000-i)*time.Second, func() { fired = append(fired, i) }))
	}
	for i, tm := range timers {
		if i%10 != 0 && !tm.Stop() {
			t.Fatalf("timer %d was not pending", i)
		}
	}
	if n := c.Pending(); n != 100 {
		t.Fatalf("%d pending, want 100", n)
	}
	if next, ok := c.Next(); !ok || !next.Equal(start.Add(10*time.Second)) {
		t.Fatalf("next %v %v, want +10s", next, ok)
	}
	c.Advance(2000 * time.Second)
	if len(fired) != 100 {
		t.Fatalf("%d fired, want 100", len(fired))
	}
	for k, i := range fired {
		if i != 990-10*k {
			t.Fatalf("fired[%d] = timer %d, want %d", k, i, 990-10*k)
		}
	}
	if c.Pending() != 0 || timers[0].Stop() {
		t.Fatal("a fired timer is still pending")
	}
}
