package userspace

// replayWindow is the anti-replay window of an inbound SA (RFC 4303
// section 3.4.3 and appendix A): the highest authenticated sequence number
// (top) and a bitmap of the size previous ones. The bitmap is a ring of
// 64-bit words (RFC 6479) one word longer than the window, so that moving
// the window clears whole words. It is not safe for concurrent use.
type replayWindow struct {
	size   uint64 // W; 0 disables the check (sequence numbers are still tracked)
	top    uint64
	bitmap []uint64 // length a power of two
}

func newReplayWindow(size uint32) replayWindow {
	w := replayWindow{size: uint64(size)}
	words := 2
	for uint64(words-1)*64 < w.size {
		words <<= 1
	}
	w.bitmap = make([]uint64, words)
	return w
}

func (w *replayWindow) ringBits() uint64 { return uint64(len(w.bitmap)) * 64 }

// check reports whether seq (the full 64-bit number) may be accepted:
// new, or inside the window and not yet seen. Sequence number 0 is never
// valid.
func (w *replayWindow) check(seq uint64) bool {
	if seq == 0 {
		return false
	}
	if w.size == 0 || seq > w.top {
		return true
	}
	if w.top-seq >= w.size {
		return false // too old
	}
	bit := seq % w.ringBits()
	return w.bitmap[bit/64]&(1<<(bit%64)) == 0
}

// update marks seq as received, after the packet was authenticated; it
// repeats check and reports false for a replay.
func (w *replayWindow) update(seq uint64) bool {
	if !w.check(seq) {
		return false
	}
	if w.size == 0 {
		if seq > w.top {
			w.top = seq
		}
		return true
	}
	ring := w.ringBits()
	if seq > w.top {
		// clear the words the window moves over
		oldWord, newWord := w.top/64, seq/64
		if d := newWord - oldWord; d >= uint64(len(w.bitmap)) {
			clear(w.bitmap)
		} else {
			for i := oldWord + 1; i <= newWord; i++ {
				w.bitmap[i%uint64(len(w.bitmap))] = 0
			}
		}
		w.top = seq
	}
	bit := seq % ring
	w.bitmap[bit/64] |= 1 << (bit % 64)
	return true
}

// inferSeq returns the full sequence number of a received packet whose low
// 32 bits are low, given the window's top and size (RFC 4303 appendix
// A2.1). Without ESN the high half is 0. A window of 0 still needs a size
// to infer the high half; 64 is used then.
func inferSeq(top uint64, low uint32, size uint64, esn bool) uint64 {
	if !esn {
		return uint64(low)
	}
	if size == 0 {
		size = 64
	}
	th, tl := top>>32, uint32(top)
	var hi uint64
	if uint64(tl) >= size-1 {
		// case A: the window lies within one subspace
		hi = th
		if low < tl-uint32(size-1) {
			hi = th + 1
		}
	} else {
		// case B: the window spans two subspaces
		hi = th
		if low >= tl-uint32(size-1) { // wraps around modulo 2^32
			if th == 0 {
				return uint64(low) // nothing before the first subspace
			}
			hi = th - 1
		}
	}
	return hi<<32 | uint64(low)
}
