package sa

import (
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"
)

// barrier waits until every IKE_SA of every host has run all work queued
// before the call, repeating while new packets keep being sent.
func (e *testEnv) barrier() {
	for round := 0; round < 50; round++ {
		e.net.mu.Lock()
		sent := len(e.net.sent)
		e.net.mu.Unlock()
		var wg sync.WaitGroup
		for _, h := range e.hosts {
			h.mgr.mu.RLock()
			for _, s := range h.mgr.bySPI {
				wg.Add(1)
				if !s.actor.post(func(*IKESA) { wg.Done() }) {
					wg.Done()
				}
			}
			h.mgr.mu.RUnlock()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			e.t.Fatal("barrier timed out")
		}
		e.net.mu.Lock()
		again := len(e.net.sent) != sent
		e.net.mu.Unlock()
		if !again {
			return
		}
	}
}

// stable is what must not change on an established SA when garbage
// arrives.
type stable struct {
	SPIi, SPIr uint64
	State      State
	Local      netip.AddrPort
	Remote     netip.AddrPort
	Children   []ChildSnapshot
}

func stableOf(s *Snapshot) stable {
	return stable{s.SPIi, s.SPIr, s.State, s.Local, s.Remote, s.Children}
}

// FuzzResponder feeds arbitrary datagrams to a responder with an
// established IKE_SA: nothing may panic, and the established SA and its
// CHILD_SA must stay as they are.
func FuzzResponder(f *testing.F) {
	e := newTestEnv(&testing.T{})
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		f.Fatal(err)
	}
	e.barrier()
	for _, p := range e.net.sent {
		f.Add(p.Data)
	}
	f.Add([]byte{})
	base := stableOf(sun.established()[0])
	id := sun.established()[0].UniqueID
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, data []byte) {
		mu.Lock()
		defer mu.Unlock()
		sun.mgr.Receive(Packet{Src: netip.MustParseAddrPort("192.168.0.1:500"), Dst: netip.MustParseAddrPort("192.168.0.2:500"),
			Data: append([]byte(nil), data...)})
		e.barrier()
		var now *Snapshot
		for _, s := range sun.snapshots() {
			if s.UniqueID == id {
				now = s
			}
		}
		if now == nil {
			t.Fatal("the established IKE_SA is gone")
		}
		if got := stableOf(now); !reflect.DeepEqual(got, base) {
			t.Fatalf("established IKE_SA changed:\n%+v\n%+v", got, base)
		}
	})
}

func equalStable(a, b stable) bool { return reflect.DeepEqual(a, b) }
