package sa

import (
	"net/netip"

	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
)

// resolveTS replaces dynamic selectors by the given host address
// (keeping protocol and ports) and drops those of the other family.
func resolveTS(ts []cfg.TS, host netip.Addr) []kernel.TS {
	return resolveTSHosts(ts, []netip.Addr{host})
}

// resolveTSHosts replaces each dynamic selector by one per host (the
// whole address family for an unspecified host, as when asking for a
// virtual IP), keeping protocol and ports.
func resolveTSHosts(ts []cfg.TS, hosts []netip.Addr) []kernel.TS {
	out := make([]kernel.TS, 0, len(ts))
	for _, t := range ts {
		if !t.Dynamic {
			if t.TS.Start.IsValid() {
				out = append(out, t.TS)
			}
			continue
		}
		for _, h := range hosts {
			if !h.IsValid() {
				continue
			}
			k := t.TS
			k.Start, k.End = h, h
			if h.IsUnspecified() {
				k.End = lastOfFamily(h)
			}
			if !containsTS(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

func lastOfFamily(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	var b [16]byte
	for i := range b {
		b[i] = 0xff
	}
	return netip.AddrFrom16(b)
}

// dynamicHosts are the addresses dynamic selectors stand for: our or the
// peer's virtual IPs, else the IKE_SA's address (charon's
// get_dynamic_hosts).
func (s *IKESA) dynamicHosts(local bool) []netip.Addr {
	if local {
		if len(s.MyVIPs) > 0 {
			return s.MyVIPs
		}
		return []netip.Addr{s.Local.Addr()}
	}
	if len(s.PeerVIPs) > 0 {
		return s.PeerVIPs
	}
	return []netip.Addr{s.Remote.Addr()}
}

func toWireTS(ts []kernel.TS, responder bool) *message.TS {
	p := &message.TS{Responder: responder}
	for _, t := range ts {
		typ := message.TSIPv4AddrRange
		if t.Start.Is6() && !t.Start.Is4In6() {
			typ = message.TSIPv6AddrRange
		}
		p.Selectors = append(p.Selectors, message.TrafficSelector{
			Type: typ, IPProtocol: t.Proto, StartPort: t.FromPort, EndPort: t.ToPort,
			StartAddr: t.Start, EndAddr: t.End,
		})
	}
	return p
}

func fromWireTS(p *message.TS) []kernel.TS {
	if p == nil {
		return nil
	}
	out := make([]kernel.TS, 0, len(p.Selectors))
	for _, s := range p.Selectors {
		if s.Type != message.TSIPv4AddrRange && s.Type != message.TSIPv6AddrRange {
			continue
		}
		out = append(out, kernel.TS{Proto: s.IPProtocol, Start: s.StartAddr, End: s.EndAddr,
			FromPort: s.StartPort, ToPort: s.EndPort})
	}
	return out
}

// intersect returns the subset of two selectors (RFC 7296 section 2.9),
// false if they do not overlap.
func intersect(a, b kernel.TS) (kernel.TS, bool) {
	if a.Start.Is4() != b.Start.Is4() {
		return kernel.TS{}, false
	}
	var r kernel.TS
	switch {
	case a.Proto == 0:
		r.Proto = b.Proto
	case b.Proto == 0 || a.Proto == b.Proto:
		r.Proto = a.Proto
	default:
		return kernel.TS{}, false
	}
	r.FromPort, r.ToPort = max(a.FromPort, b.FromPort), min(a.ToPort, b.ToPort)
	if r.FromPort > r.ToPort {
		// %opaque (65535-0) only matches itself
		if a.FromPort == 0xffff && a.ToPort == 0 && b.FromPort == 0xffff && b.ToPort == 0 {
			r.FromPort, r.ToPort = 0xffff, 0
		} else {
			return kernel.TS{}, false
		}
	}
	r.Start = maxAddr(a.Start, b.Start)
	r.End = minAddr(a.End, b.End)
	if r.End.Less(r.Start) {
		return kernel.TS{}, false
	}
	return r, true
}

func maxAddr(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return b
	}
	return a
}

func minAddr(a, b netip.Addr) netip.Addr {
	if a.Less(b) {
		return a
	}
	return b
}

// narrow returns the subsets of the received selectors allowed by the
// configured ones, in config order (charon's select_ts).
func narrow(configured, received []kernel.TS) []kernel.TS {
	var out []kernel.TS
	for _, c := range configured {
		for _, r := range received {
			if t, ok := intersect(c, r); ok && !containsTS(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

func containsTS(list []kernel.TS, t kernel.TS) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}

// subsetOf reports whether every selector of got lies within one of sent
// (the initiator's check of the responder's narrowing).
func subsetOf(got, sent []kernel.TS) bool {
	for _, g := range got {
		ok := false
		for _, s := range sent {
			if i, overlap := intersect(g, s); overlap && i == g {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// anyOfFamily is the unspecified address of a's family.
func anyOfFamily(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}
