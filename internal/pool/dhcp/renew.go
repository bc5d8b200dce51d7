package dhcp

import (
	"net/netip"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/goswan/goswan/internal/log"
)

// Renewal (RFC 2131 section 4.4.5), which strongSwan's dhcp plugin does not
// do: its leases silently run out at the server while the peer keeps the
// address, and the server may hand it to someone else. We renew at T1 with
// the lease's server, rebind after T2 with the configured server address
// and give up when the lease expires or the server refuses it.

// schedule arms l's renewal at T1 (replacing any earlier timer). Must hold
// p.mu.
func (p *Provider) schedule(l *lease) {
	if l.times.duration == 0 {
		l.stopTimer()
		l.gen++
		return // infinite lease
	}
	p.scheduleIn(l, l.times.start.Add(l.times.t1).Sub(p.clock.Now()))
}

// scheduleIn arms l's next renewal attempt after d. Must hold p.mu.
func (p *Provider) scheduleIn(l *lease, d time.Duration) {
	l.stopTimer()
	l.gen++
	if p.closed || l.gone || l.lost {
		return
	}
	gen := l.gen
	l.timer = p.clock.AfterFunc(d, func() {
		// not inline: a clock may run the callback within AfterFunc,
		// with p.mu held
		go func() {
			p.mu.Lock()
			if p.closed || l.gone || l.lost || l.gen != gen {
				p.mu.Unlock()
				return
			}
			l.timer = nil
			p.wg.Add(1) // before Close can wait: it sets closed under p.mu first
			p.mu.Unlock()
			defer p.wg.Done()
			p.renew(l, gen)
		}()
	})
}

// retryDelay is the wait before the next attempt when one got no answer:
// half the time left to T2 (or, rebinding, to the lease's end), at least
// a minute, but never past that boundary.
func retryDelay(elapsed time.Duration, t leaseTimes) time.Duration {
	boundary := t.t2
	if elapsed >= t.t2 {
		boundary = t.duration
	}
	left := boundary - elapsed
	if left <= 0 {
		return 0
	}
	d := left / 2
	if d < minRetransmit {
		d = min(minRetransmit, left)
	}
	return d
}

// renew runs one renewal attempt of l (up to DHCP_TRIES transmissions).
func (p *Provider) renew(l *lease, gen uint64) {
	ctx := log.Context{}
	now := p.clock.Now()
	p.mu.Lock()
	if p.closed || l.gone || l.lost || l.gen != gen {
		p.mu.Unlock()
		return
	}
	elapsed := now.Sub(l.times.start)
	if elapsed >= l.times.duration {
		l.lost = true
		p.mu.Unlock()
		p.log.Log(log.CFG, 1, ctx, "DHCP lease for %s expired", formatHost(l.addr))
		return
	}
	dst := p.destination(l.server)
	if elapsed >= l.times.t2 {
		dst = p.cfg.server // rebinding: any server may answer
	}
	p.mu.Unlock()

	ex, err := p.newExchange(l.id, l.mac)
	if err != nil {
		return
	}
	defer p.endExchange(ex)
	var r reply
	var sent time.Time
	got := false
	for try := 1; try <= tries && !got; try++ {
		sent = p.clock.Now()
		if !p.sendRenew(ctx, ex, l, dst) {
			break
		}
		r, got = p.await(ex, p.timeout(try), isAckOrNak)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || l.gone || l.gen != gen {
		return
	}
	switch {
	case !got:
		p.log.Log(log.CFG, 1, ctx, "DHCP REQUEST timed out")
		p.scheduleIn(l, retryDelay(p.clock.Now().Sub(l.times.start), l.times))
	case r.m.MessageType() == dhcpv4.MessageTypeNak:
		l.lost = true
		p.log.Log(log.CFG, 1, ctx, "received DHCP NAK for %s from %s%s", formatHost(l.addr), formatHost(serverOf(r)), nakMessage(r.m))
	default:
		if a := ipv4(r.m.YourIPAddr); a.IsValid() && !a.IsUnspecified() && a != l.addr {
			l.lost = true
			p.log.Log(log.CFG, 1, ctx, "received DHCP ACK for %s while renewing %s, giving up the lease", formatHost(a), formatHost(l.addr))
			return
		}
		p.log.Log(log.CFG, 1, ctx, "received DHCP ACK for %s", formatHost(l.addr))
		l.times = leaseTimesFrom(r.m, sent)
		if attrs := attributesOf(r.m); len(attrs) > 0 {
			l.attrs = attrs
		}
		if s := serverID(r.m); s.IsValid() {
			l.server = s
		}
		if l.times.duration != 0 {
			p.log.Log(log.CFG, 2, ctx, "DHCP lease for %s valid for %s, renewing in %s", formatHost(l.addr),
				l.times.duration, l.times.t1)
		}
		p.schedule(l)
	}
}

// sendRenew sends a REQUEST extending l. Through a relay (giaddr set) it
// is the RENEWING/REBINDING form with ciaddr; broadcasting it is the
// INIT-REBOOT form (requested IP option, ciaddr zero, broadcast flag),
// because a server answers a REQUEST with ciaddr by unicast to ciaddr, and
// that address lives at the far end of a tunnel.
func (p *Provider) sendRenew(ctx log.Context, ex *exchange, l *lease, dst netip.Addr) bool {
	m := p.newMessage(dhcpv4.MessageTypeRequest, ex.xid, ex.mac, l.id)
	if p.cfg.broadcast() {
		m.Options[dhcpv4.OptionRequestedIPAddress.Code()] = l.addr.AsSlice()
	} else {
		m.ClientIPAddr = l.addr.AsSlice()
	}
	m.Options[dhcpv4.OptionParameterRequestList.Code()] = paramRequests
	p.log.Log(log.CFG, 1, ctx, "sending DHCP REQUEST for %s to %s", formatHost(l.addr), formatHost(dst))
	if err := p.conn.send(m.ToBytes(), dst); err != nil {
		p.log.Log(log.CFG, 1, ctx, "sending DHCP REQUEST failed: %s", errText(err))
		return false
	}
	return true
}
