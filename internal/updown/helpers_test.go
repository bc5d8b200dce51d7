package updown

import (
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// ts builds a selector from "10.1.0.0/16", "10.1.0.17-10.1.0.20",
// optionally with protocol and ports.
func ts(s string, proto uint8, from, to uint16) kernel.TS {
	t := kernel.TS{Proto: proto, FromPort: from, ToPort: to}
	if a, b, ok := strings.Cut(s, "-"); ok {
		t.Start, t.End = netip.MustParseAddr(a), netip.MustParseAddr(b)
		return t
	}
	p := netip.MustParsePrefix(s)
	t.Start = p.Masked().Addr()
	t.End = lastAddr(p)
	return t
}

func anyTS(s string) kernel.TS { return ts(s, 0, 0, 0xffff) }

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// sas is a fabricated IKE_SA with one CHILD_SA, as the core hands them
// to the bus: moon (192.168.0.1) with sun (192.168.0.2), net-net.
type sas struct {
	ike   *sa.IKESA
	child *sa.ChildSA
}

func newSAs(command string, local, remote []kernel.TS) sas {
	ike := &sa.IKESA{
		UniqueID: 1,
		Peer:     &cfg.Peer{Name: "net-net"},
		Local:    netip.MustParseAddrPort("192.168.0.1:500"),
		Remote:   netip.MustParseAddrPort("192.168.0.2:500"),
		LocalID:  identity.MustParse("moon.strongswan.org"),
		RemoteID: identity.MustParse("sun.strongswan.org"),
	}
	child := &sa.ChildSA{
		UniqueID: 1,
		Config:   &cfg.Child{Name: "net-net", Updown: command},
		Proto:    kernel.ProtoESP,
		Mode:     kernel.ModeTunnel,
		ReqID:    1,
		Local:    local,
		Remote:   remote,
		SPIIn:    0xc1234567, SPIOut: 0xc7654321,
	}
	ike.Children = []*sa.ChildSA{child}
	return sas{ike: ike, child: child}
}

// logs collects what a Logger writes.
type logs struct {
	mu    sync.Mutex
	lines []string
	sub   *log.Subscription
	done  chan struct{}
}

func newLogs(t *testing.T) (*log.Logger, *logs) {
	lg := log.New(log.Options{Stderr: io.Discard, Stdout: io.Discard})
	c := &logs{sub: lg.Subscribe(log.Filter{Level: log.Diag, Buffer: 4096}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for r := range c.sub.Records() {
			c.mu.Lock()
			c.lines = append(c.lines, r.Message)
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.sub.Cancel(); <-c.done })
	return lg, c
}

// wait returns the lines once one contains want (or after a second).
func (c *logs) wait(want string) []string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		c.mu.Lock()
		lines := append([]string(nil), c.lines...)
		c.mu.Unlock()
		for _, l := range lines {
			if strings.Contains(l, want) {
				return lines
			}
		}
		if time.Now().After(deadline) {
			return lines
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *logs) all() []string {
	time.Sleep(20 * time.Millisecond) // records are delivered asynchronously
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func eth0(peer, me netip.Addr) string { return "eth0" }
