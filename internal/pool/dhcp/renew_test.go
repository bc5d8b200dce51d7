package dhcp

import (
	"bytes"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/goswan/goswan/internal/clock"
)

const (
	answerAck = iota
	answerNone
	answerNak
)

// renewServer hands out vip for 100 s (T1 50 s, T2 87.5 s) and answers
// REQUESTs as mode says; everything sent goes to seen.
func renewServer(t *testing.T, c *fakeConn, vip netip.Addr, mode *atomic.Int32, seen chan<- sent) {
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		for {
			select {
			case s := <-c.out:
				seen <- s
				switch s.m.MessageType() {
				case dhcpv4.MessageTypeDiscover:
					c.inject(replyTo(s.m, dhcpv4.MessageTypeOffer, vip, leaseOpts(100)...), serverAddr)
				case dhcpv4.MessageTypeRequest:
					switch mode.Load() {
					case answerAck:
						c.inject(replyTo(s.m, dhcpv4.MessageTypeAck, vip, leaseOpts(100)...), serverAddr)
					case answerNak:
						c.inject(replyTo(s.m, dhcpv4.MessageTypeNak, netip.IPv4Unspecified()), serverAddr)
					}
				}
			case <-stop:
				return
			}
		}
	}()
}

func expectSent(t *testing.T, seen <-chan sent, typ dhcpv4.MessageType) sent {
	t.Helper()
	select {
	case s := <-seen:
		if s.m.MessageType() != typ {
			t.Fatalf("sent %s, want %s", s.m.MessageType(), typ)
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s sent", typ)
		return sent{}
	}
}

func noneSent(t *testing.T, seen <-chan sent) {
	t.Helper()
	select {
	case s := <-seen:
		t.Fatalf("unexpected %s", s.m.MessageType())
	case <-time.After(50 * time.Millisecond):
	}
}

// advanceUntil moves the fake clock in steps until the log shows s (the
// renewal goroutine arms its timers asynchronously).
func advanceUntil(t *testing.T, clk *clock.Fake, step time.Duration, logs *logBuffer, s string) {
	t.Helper()
	for range 5000 {
		if strings.Contains(logs.String(), s) {
			return
		}
		clk.Advance(step)
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("log lacks %q:\n%s", s, logs.String())
}

func TestRenew(t *testing.T) {
	for _, relay := range []bool{false, true} {
		name := "broadcast"
		if relay {
			name = "relay"
		}
		t.Run(name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(1_700_000_000, 0))
			o := testOpts{clock: clk}
			if relay {
				o.server = "10.9.0.1"
			}
			p, c, logs := newTestProvider(t, o)
			vip := netip.MustParseAddr("10.0.0.90")
			var mode atomic.Int32
			seen := make(chan sent, 64)
			renewServer(t, c, vip, &mode, seen)
			sa := peer("carol@strongswan.org")
			if got, ok := p.AcquireAddress(pools, sa, anyV4); !ok || got != vip {
				t.Fatalf("AcquireAddress = %v, %v", got, ok)
			}
			disc := expectSent(t, seen, dhcpv4.MessageTypeDiscover)
			expectSent(t, seen, dhcpv4.MessageTypeRequest)

			clk.Advance(49 * time.Second)
			noneSent(t, seen)
			for round := range 3 {
				clk.Advance(time.Second) // T1
				r := expectSent(t, seen, dhcpv4.MessageTypeRequest)
				m := r.m
				if m.TransactionID == disc.m.TransactionID || !bytes.Equal(m.ClientHWAddr, disc.m.ClientHWAddr) {
					t.Errorf("round %d: xid %s chaddr %s", round, m.TransactionID, m.ClientHWAddr)
				}
				if m.Options.Has(dhcpv4.OptionServerIdentifier) {
					t.Errorf("round %d: server identifier in a renewal", round)
				}
				if r.dst != serverAddr {
					t.Errorf("round %d: renewal to %s", round, r.dst)
				}
				if relay {
					if !m.ClientIPAddr.Equal(vip.AsSlice()) || m.Options.Has(dhcpv4.OptionRequestedIPAddress) || m.IsBroadcast() ||
						!m.GatewayIPAddr.Equal(c.src.AsSlice()) {
						t.Errorf("round %d: RENEWING form expected: %s", round, m.Summary())
					}
				} else {
					if !m.ClientIPAddr.IsUnspecified() || !bytes.Equal(m.Options.Get(dhcpv4.OptionRequestedIPAddress), vip.AsSlice()) ||
						!m.IsBroadcast() {
						t.Errorf("round %d: INIT-REBOOT form expected: %s", round, m.Summary())
					}
				}
				logs.waitCount(t, "renewing in 50s", round+1)
				// the renewal arms the next one right after logging
				p.mu.Lock()
				p.mu.Unlock() //lint:ignore SA2001 waits for the renewal's critical section
				clk.Advance(49 * time.Second)
				noneSent(t, seen)
			}
			if !p.ReleaseAddress(pools, vip, sa) {
				t.Fatal("release")
			}
			expectSent(t, seen, dhcpv4.MessageTypeRelease)
			clk.Advance(time.Hour)
			noneSent(t, seen)
		})
	}
}

// Without answers: retries until T2, then rebinding via the configured
// address, then the lease expires; no RELEASE for a lost lease.
func TestRenewTimeout(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	p, c, logs := newTestProvider(t, testOpts{clock: clk})
	vip := netip.MustParseAddr("10.0.0.91")
	var mode atomic.Int32
	seen := make(chan sent, 256)
	renewServer(t, c, vip, &mode, seen)
	sa := peer("carol@strongswan.org")
	if _, ok := p.AcquireAddress(pools, sa, anyV4); !ok {
		t.Fatal("no address")
	}
	expectSent(t, seen, dhcpv4.MessageTypeDiscover)
	expectSent(t, seen, dhcpv4.MessageTypeRequest)
	mode.Store(answerNone)
	advanceUntil(t, clk, 500*time.Millisecond, logs, "DHCP REQUEST timed out")
	var renewing, rebinding int
	advanceUntil(t, clk, 500*time.Millisecond, logs, "DHCP lease for 10.0.0.91 expired")
	for len(seen) > 0 {
		s := <-seen
		switch s.dst {
		case serverAddr:
			renewing++
		case netip.MustParseAddr("255.255.255.255"):
			rebinding++
		}
	}
	if renewing < tries || rebinding < tries {
		t.Errorf("%d renewing and %d rebinding requests", renewing, rebinding)
	}
	if !p.ReleaseAddress(pools, vip, sa) {
		t.Fatal("release")
	}
	noneSent(t, seen)
}

func TestRenewNak(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	p, c, logs := newTestProvider(t, testOpts{clock: clk})
	vip := netip.MustParseAddr("10.0.0.92")
	var mode atomic.Int32
	seen := make(chan sent, 64)
	renewServer(t, c, vip, &mode, seen)
	sa := peer("carol@strongswan.org")
	if _, ok := p.AcquireAddress(pools, sa, anyV4); !ok {
		t.Fatal("no address")
	}
	expectSent(t, seen, dhcpv4.MessageTypeDiscover)
	expectSent(t, seen, dhcpv4.MessageTypeRequest)
	mode.Store(answerNak)
	clk.Advance(50 * time.Second)
	expectSent(t, seen, dhcpv4.MessageTypeRequest)
	logs.waitFor(t, "received DHCP NAK for 10.0.0.92 from 10.0.0.1")
	clk.Advance(time.Hour)
	noneSent(t, seen)
	if !p.ReleaseAddress(pools, vip, sa) {
		t.Fatal("release")
	}
	noneSent(t, seen)
}
