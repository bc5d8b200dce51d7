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
