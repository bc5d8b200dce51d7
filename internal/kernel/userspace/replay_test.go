package userspace

import "testing"

func TestReplayWindowEdges(t *testing.T) {
	for _, size := range []uint32{32, 64, 65, 128, 1024, 4000} {
		w := newReplayWindow(size)
		W := uint64(size)
		if w.ringBits() < W+64 {
			t.Fatalf("W=%d: ring of %d bits", size, w.ringBits())
		}
		step := func(seq uint64, want bool) {
			t.Helper()
			if got := w.update(seq); got != want {
				t.Fatalf("W=%d top=%d: update(%d) = %v, want %v", size, w.top, seq, got, want)
			}
		}
		step(0, false) // never valid
		step(1, true)
		step(1, false) // duplicate
		step(W+10, true)
		step(11, true)     // bottom of the window: top-W+1
		step(10, false)    // just below: too old
		step(W+10, false)  // duplicate of top
		step(W+9, true)    // just below top
		step(W+9, false)   // duplicate inside
		step(3*W+20, true) // jump further than the window
		step(2*W+21, true) // bottom again
		step(2*W+20, false)
		for s := 2*W + 22; s < 3*W+20; s++ {
			step(s, true)
		}
		for s := 2*W + 21; s <= 3*W+20; s++ {
			step(s, false)
		}
		// move one at a time across several ring turns
		for s := 3*W + 21; s < 3*W+21+3*w.ringBits(); s++ {
			step(s, true)
			if s > W {
				step(s-W, false)
			}
		}
	}
}

// TestReplayReorder: out-of-order arrival inside the window is accepted
// exactly once.
func TestReplayReorder(t *testing.T) {
	w := newReplayWindow(64)
	order := []uint64{5, 3, 4, 1, 2, 70, 7, 69, 68, 8}
	for _, s := range order {
		if !w.update(s) {
			t.Fatalf("update(%d) rejected", s)
		}
	}
	for _, s := range []uint64{70, 7, 69, 8} {
		if w.update(s) {
			t.Fatalf("replay of %d accepted", s)
		}
	}
	if w.update(6) || w.update(1) {
		t.Fatal("6 and 1 are outside the window of 64 below 70")
	}
}

// TestReplayDisabled: a window of 0 accepts duplicates (charon's
// replay_window = 0) but still tracks the top for ESN.
func TestReplayDisabled(t *testing.T) {
	w := newReplayWindow(0)
	for _, s := range []uint64{1, 1, 5, 2, 5} {
		if !w.update(s) {
			t.Fatalf("update(%d) rejected without anti-replay", s)
		}
	}
	if w.top != 5 || w.update(0) {
		t.Fatalf("top %d", w.top)
	}
}

// TestInferSeq follows RFC 4303 appendix A2.1.
func TestInferSeq(t *testing.T) {
	const W = 64
	for _, tc := range []struct {
		top  uint64
		low  uint32
		esn  bool
		want uint64
	}{
		{100, 7, false, 7},
		{1<<32 | 100, 7, false, 7},
		// case A: window inside one subspace (Tl >= W-1)
		{5<<32 | 1000, 990, true, 5<<32 | 990},   // in the window
		{5<<32 | 1000, 2000, true, 5<<32 | 2000}, // ahead
		{5<<32 | 1000, 900, true, 6<<32 | 900},   // below the window: next subspace
		{5<<32 | 1000, 937, true, 5<<32 | 937},   // window bottom Tl-W+1
		{5<<32 | 1000, 936, true, 6<<32 | 936},   // one below
		{5<<32 | 0xffffffff, 3, true, 6<<32 | 3}, // wrap to the next subspace
		// case B: window spans two subspaces (Tl < W-1)
		{5<<32 | 10, 0xfffffff0, true, 4<<32 | 0xfffffff0}, // previous subspace, in window
		{5<<32 | 10, 5, true, 5<<32 | 5},
		{5<<32 | 10, 100, true, 5<<32 | 100},
		{5<<32 | 10, 0xffff0000, true, 5<<32 | 0xffff0000}, // far ahead in this subspace
		{10, 0xfffffff0, true, 0xfffffff0},                 // no subspace before the first
	} {
		if got := inferSeq(tc.top, tc.low, W, tc.esn); got != tc.want {
			t.Errorf("inferSeq(%#x, %#x, esn=%v) = %#x, want %#x", tc.top, tc.low, tc.esn, got, tc.want)
		}
	}
}

// TestReplayESNWrap: a stream of sequence numbers across the 2^32 boundary
// with reordering, inferred and checked as the receiver does.
func TestReplayESNWrap(t *testing.T) {
	const W = 128
	w := newReplayWindow(W)
	start := uint64(1<<32 - 200)
	var sent []uint64
	for s := start; s < start+400; s++ {
		sent = append(sent, s)
	}
	// swap neighbours to reorder
	for i := 0; i+1 < len(sent); i += 7 {
		sent[i], sent[i+1] = sent[i+1], sent[i]
	}
	w.top = start - 1
	for _, s := range sent {
		got := inferSeq(w.top, uint32(s), W, true)
		if got != s {
			t.Fatalf("top %#x low %#x: inferred %#x, want %#x", w.top, uint32(s), got, s)
		}
		if !w.update(got) {
			t.Fatalf("%#x rejected", got)
		}
	}
	// a replay of a packet from before the wrap is inferred into the
	// current subspace, so its ICV (which covers the high half) fails
	old := start + 10
	if inferSeq(w.top, uint32(old), W, true) == old {
		t.Fatal("old packet from before the wrap inferred correctly")
	}
}
