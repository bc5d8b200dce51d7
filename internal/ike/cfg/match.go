package cfg

import (
	"net/netip"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
)

// Match weights of charon's backend manager: an address match counts its
// quality (129 for an exact host, prefix length + 1 for a subnet, 1 for
// %any) times MatchMe or MatchOther; an IKEv2-only config gets
// MatchVersion on top.
const (
	matchVersion = 0x04
	matchMe      = 0x08
	matchOther   = 0x10
)

// hostQuality is charon's ike_cfg match(): how well cand matches a list
// of hosts/ranges (0: not at all).
func hostQuality(hosts []config.HostSpec, cand netip.Addr, resolve func(string) []netip.Addr) int {
	q := 0
	if len(hosts) == 0 {
		return 1
	}
	for _, h := range hosts {
		switch h.Kind {
		case config.HostAny:
			if !h.Addr.IsValid() || h.Addr.Is4() == cand.Is4() {
				q = max(q, 1)
			}
		case config.HostAddr:
			if h.Addr.Unmap() == cand.Unmap() {
				q = max(q, 129)
			}
		case config.HostName:
			if resolve != nil {
				for _, a := range resolve(h.Raw) {
					if a.Unmap() == cand.Unmap() {
						q = max(q, 129)
					}
				}
			}
		case config.HostPrefix:
			if h.Prefix.Contains(cand) {
				q = max(q, h.Prefix.Bits()+1)
			}
		case config.HostRange:
			if !cand.Less(h.From) && !h.To.Less(cand) {
				q = max(q, 1)
			}
		}
	}
	return q
}

// ikeMatch is charon's get_ike_match for one peer config.
func (p *Peer) ikeMatch(local, remote netip.Addr, resolve func(string) []netip.Addr) int {
	m := 0
	if local.IsValid() {
		q := hostQuality(p.Local, local, resolve)
		if q == 0 && !p.LocalAny {
			return 0
		}
		m += max(q, 1) * matchMe
	} else {
		m++
	}
	if remote.IsValid() {
		q := hostQuality(p.Remote, remote, resolve)
		if q == 0 && !p.RemoteAny {
			return 0
		}
		m += max(q, 1) * matchOther
	} else {
		m++
	}
	return m + matchVersion
}

// Resolver resolves DNS names of left=/right= while matching (may be nil).
var Resolver func(string) []netip.Addr

// MatchAddrs returns the peer configs whose addresses match an IKE_SA
// between local and remote, best match first, config order among equals
// (charon's IKE config lookup for IKE_SA_INIT).
func MatchAddrs(c *Config, local, remote netip.Addr) []*Peer {
	if c == nil {
		return nil
	}
	type entry struct {
		p *Peer
		m int
	}
	var list []entry
	for _, p := range c.Peers {
		m := p.ikeMatch(local, remote, Resolver)
		if m == 0 {
			continue
		}
		i := len(list)
		for j, e := range list {
			if m > e.m {
				i = j
				break
			}
		}
		list = append(list, entry{})
		copy(list[i+1:], list[i:])
		list[i] = entry{p, m}
	}
	out := make([]*Peer, len(list))
	for i, e := range list {
		out[i] = e.p
	}
	return out
}

// idMatch is charon's get_peer_match: the first auth round's ID against
// the proposed one, both ways (the proposed IDr may be %any).
func idMatch(id identity.ID, rounds []*Auth) identity.MatchLevel {
	if id.IsZero() {
		return identity.MatchAny
	}
	if len(rounds) == 0 || rounds[0].ID.IsZero() {
		return identity.MatchAny
	}
	cand := rounds[0].ID
	m := cand.Matches(id) // the configured ID as pattern
	if m == identity.MatchNone {
		m = id.Matches(cand)
	}
	return m
}

// MatchPeers returns the peer configs acceptable for IKE_AUTH with the
// given addresses and identities (myID may be zero when the peer sent no
// IDr), best first, as charon's create_peer_cfg_enumerator sorts them.
func MatchPeers(c *Config, local, remote netip.Addr, myID, otherID identity.ID) []*Peer {
	if c == nil {
		return nil
	}
	type entry struct {
		p         *Peer
		ike, peer int
	}
	var list []entry
	for _, p := range c.Peers {
		ike := p.ikeMatch(local, remote, Resolver)
		if ike == 0 {
			continue
		}
		me := idMatch(myID, p.LocalAuth)
		if me == identity.MatchNone {
			continue
		}
		other := idMatch(otherID, p.RemoteAuth)
		if other == identity.MatchNone {
			continue
		}
		e := entry{p, ike, int(me) + int(other)}
		i := len(list)
		for j, cur := range list {
			if (e.ike > cur.ike && e.peer >= cur.peer) || (e.ike >= cur.ike && e.peer > cur.peer) {
				i = j
				break
			}
		}
		list = append(list, entry{})
		copy(list[i+1:], list[i:])
		list[i] = e
	}
	out := make([]*Peer, len(list))
	for i, e := range list {
		out[i] = e.p
	}
	return out
}
