package sa

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// resolveEndpoints picks the addresses of a new IKE_SA we initiate: the
// first usable remote host of the config, and the configured local
// address or the source address the host uses to reach the peer.
func (s *IKESA) resolveEndpoints() error {
	if s.Remote.IsValid() && s.Local.IsValid() {
		return nil
	}
	p := s.Peer
	var remote netip.Addr
	for _, h := range p.Remote {
		switch h.Kind {
		case config.HostAddr:
			remote = h.Addr
		case config.HostName:
			if s.env.Resolve != nil {
				if as, err := s.env.Resolve(h.Raw); err == nil && len(as) > 0 {
					remote = as[0]
				}
			}
		}
		if remote.IsValid() {
			break
		}
	}
	if !remote.IsValid() {
		return fmt.Errorf("unable to resolve %%any, initiate aborted")
	}
	rport := p.RemotePort
	if rport == 0 {
		rport = 500
	}
	var local netip.Addr
	for _, h := range p.Local {
		if h.Kind == config.HostAddr && h.Addr.Is4() == remote.Is4() && !h.Addr.IsUnspecified() {
			local = h.Addr
			break
		}
	}
	if !local.IsValid() && s.env.Net != nil {
		a, err := s.env.Net.SourceAddr(context.Background(), remote)
		if err != nil {
			return fmt.Errorf("unable to find a source address to reach %s: %v", remote, err)
		}
		local = a
	}
	if !local.IsValid() {
		return fmt.Errorf("no local address to reach %s", remote)
	}
	lport := s.env.Port
	if lport == 0 {
		lport = 500
	}
	s.Local = netip.AddrPortFrom(local, lport)
	s.Remote = netip.AddrPortFrom(remote, rport)
	return nil
}

// scheduleKeepalive sends NAT-T keepalives while we are behind a NAT.
func (s *IKESA) scheduleKeepalive() {
	if s.keepaliveArmed {
		return
	}
	s.sendKeepalive()
}

// sendKeepalive is charon's send_keepalive: a NAT-T keepalive if nothing
// was sent to the peer for keep_alive seconds, then the next check
// keep_alive after the last outbound packet.
func (s *IKESA) sendKeepalive() {
	d := s.env.Settings.KeepAlive
	s.keepaliveArmed = false
	if d <= 0 || !s.NATLocal || s.state == StateDestroying || s.state == StatePassive {
		return
	}
	diff := elapsedSeconds(s.env.Clock.Now(), s.lastOutbound())
	if diff >= d {
		s.logf(log.IKE, 1, "sending keep alive to %s[%d]", s.Remote.Addr(), s.Remote.Port())
		s.env.Send(Packet{Src: s.Local, Dst: s.Remote, Data: []byte{0xff}, Keepalive: true})
		s.lastSent = s.env.Clock.Now()
		diff = 0
	}
	s.keepaliveArmed = true
	s.timers = append(s.timers, s.after(max(d-diff, 0), func(s *IKESA) { s.sendKeepalive() }))
}

// lastOutbound is the last time anything was sent to the peer: an IKE
// message or traffic on an outbound CHILD_SA.
func (s *IKESA) lastOutbound() time.Time {
	last := s.lastSent
	for _, c := range s.Children {
		if !c.saInstalled[1] {
			continue
		}
		u, err := s.env.Kernel.QuerySA(context.Background(), kernel.SAID{Src: c.LocalAddr.Addr(),
			Dst: c.RemoteAddr.Addr(), SPI: c.SPIOut, Proto: c.Proto, Mark: markOf(c, false)})
		if err == nil && u.LastUse.After(last) {
			last = u.LastUse
		}
	}
	return last
}

// updateHosts adopts the endpoints of an authenticated message when the
// peer moved: the port float to 4500, or a NAT mapping change. Without a
// NAT only the port float is followed (address changes are MOBIKE's).
func (s *IKESA) updateHosts(local, remote netip.AddrPort) {
	if remote == s.Remote && (local.Port() == s.Local.Port() || !local.IsValid()) {
		return
	}
	floated := s.Remote.Port() == 500 && remote.Port() != 500 || s.Local.Port() != local.Port()
	if !floated && !s.NATRemote {
		return
	}
	lvl := log.Level(2)
	if s.state == StateEstablished {
		lvl = 1
	}
	newLocal := s.Local
	if local.IsValid() && !local.Addr().IsUnspecified() {
		newLocal = local
	} else if local.IsValid() {
		newLocal = netip.AddrPortFrom(s.Local.Addr(), local.Port())
	}
	if newLocal != s.Local {
		s.logf(log.IKE, lvl, "local endpoint changed from %s to %s", hostPort(s.Local), hostPort(newLocal))
		s.Local = newLocal
	}
	if remote != s.Remote {
		s.logf(log.IKE, lvl, "remote endpoint changed from %s to %s", hostPort(s.Remote), hostPort(remote))
		s.Remote = remote
	}
	s.updateChildren()
}

// updateChildren moves the installed CHILD_SAs to the IKE_SA's endpoints.
func (s *IKESA) updateChildren() {
	for _, c := range s.Children {
		if c.State != ChildInstalled || (c.LocalAddr == s.Local && c.RemoteAddr == s.Remote) {
			continue
		}
		ctx := context.Background()
		encap := s.NATLocal || s.NATRemote || c.Encap
		s.env.Kernel.UpdateSA(ctx, kernel.SAID{Src: c.RemoteAddr.Addr(), Dst: c.LocalAddr.Addr(), SPI: c.SPIIn, Proto: c.Proto, Mark: markOf(c, true)},
			s.Remote, s.Local, encap)
		s.env.Kernel.UpdateSA(ctx, kernel.SAID{Src: c.LocalAddr.Addr(), Dst: c.RemoteAddr.Addr(), SPI: c.SPIOut, Proto: c.Proto, Mark: markOf(c, false)},
			s.Local, s.Remote, encap)
		c.LocalAddr, c.RemoteAddr, c.Encap = s.Local, s.Remote, encap
	}
}
