package identity

import "strconv"

// MatchLevel is how well a concrete identity matches a configured one,
// strongSwan's id_match_t: higher is better.
type MatchLevel int

// Match levels. Wildcard matches lie between MatchMaxWildcards and
// MatchPerfect: DN matches score MatchPerfect minus the number of
// wildcards used (at most 17 counted), a /0 subnet MatchMaxWildcards.
const (
	MatchNone         MatchLevel = 0  // no match
	MatchAny          MatchLevel = 1  // the configured identity is %any (or a lone "*")
	MatchMaxWildcards MatchLevel = 2  // the worst wildcard match
	MatchOneWildcard  MatchLevel = 19 // a match using one wildcard
	MatchPerfect      MatchLevel = 20 // equal
)

// String returns strongSwan's id_match_names entry ("MATCH_NONE",
// "MATCH_ANY", "MATCH_MAX_WILDCARDS", "MATCH_PERFECT") or "(N)".
func (m MatchLevel) String() string {
	switch m {
	case MatchNone:
		return "MATCH_NONE"
	case MatchAny:
		return "MATCH_ANY"
	case MatchMaxWildcards:
		return "MATCH_MAX_WILDCARDS"
	case MatchPerfect:
		return "MATCH_PERFECT"
	}
	return "(" + strconv.Itoa(int(m)) + ")"
}

// RDNMatching is strongSwan's charon.rdn_matching setting: how DNs are
// matched against configured DNs.
type RDNMatching uint8

const (
	// RDNStrict (the default): same RDNs in the same order.
	RDNStrict RDNMatching = iota
	// RDNReordered ("reordered"): the same RDNs in any order.
	RDNReordered
	// RDNRelaxed ("relaxed"): any order, and the concrete DN may have
	// RDNs the configured one lacks (each counted as a wildcard).
	RDNRelaxed
)

// Matches reports how well other, a concrete identity (received in an ID
// payload or taken from a certificate), matches id, a configured identity
// that may contain wildcards; this is strongSwan's
// other->matches(other, id) with the receiver and argument swapped:
//
//   - id %any matches everything with MatchAny;
//   - FQDN and RFC822 names: equal ignoring ASCII case is MatchPerfect; a
//     configured "*suffix" matches names ending in suffix (ignoring case)
//     with MatchOneWildcard ("*@strongswan.org", "*.strongswan.org"); a
//     lone "*" gives MatchAny;
//   - DNs: the same RDNs in the same order, values compared as by Equal,
//     each configured value "*" matching any value and lowering the level
//     by one (MatchOneWildcard for one wildcard, at most 17 counted, so
//     never below MatchPerfect-17);
//   - an IPv4/IPv6 address matches an equal address (MatchPerfect), a
//     configured subnet containing it (MatchOneWildcard; a /0 subnet
//     MatchMaxWildcards; a full-length one MatchPerfect) or a range
//     containing it (MatchOneWildcard, MatchPerfect for a one-address
//     range);
//   - all other types match only when binary equal.
//
// A zero ID on either side matches nothing.
func (id ID) Matches(other ID) MatchLevel {
	return id.MatchesRDN(other, RDNStrict)
}

// MatchesRDN is Matches with the given DN matching mode.
func (id ID) MatchesRDN(other ID, mode RDNMatching) MatchLevel {
	if !id.set || !other.set {
		return MatchNone
	}
	if id.t == Any {
		return MatchAny
	}
	switch other.t {
	case Any:
		return MatchNone
	case FQDN, RFC822:
		return matchString(other, id)
	case DN:
		if id.t != DN {
			return MatchNone
		}
		var wc int
		var ok bool
		switch mode {
		case RDNReordered:
			ok = matchDN(other.enc, id.enc, &wc, false)
		case RDNRelaxed:
			ok = matchDN(other.enc, id.enc, &wc, true)
		default:
			ok = compareDN(other.enc, id.enc, &wc)
		}
		if !ok {
			return MatchNone
		}
		return MatchPerfect - MatchLevel(min(wc, int(MatchOneWildcard-MatchMaxWildcards)))
	case IPv4, IPv6:
		return matchRange(other, id)
	default:
		if id.t == other.t && id.enc == other.enc {
			return MatchPerfect
		}
		return MatchNone
	}
}

// matchString is strongSwan's matches_string: this concrete, cfg
// configured (not Any).
func matchString(this, cfg ID) MatchLevel {
	if this.t != cfg.t {
		return MatchNone
	}
	if equalFold(this.enc, cfg.enc) {
		return MatchPerfect
	}
	n := len(cfg.enc)
	if n == 0 || len(this.enc) < n {
		return MatchNone
	}
	if cfg.enc[0] == '*' {
		if n == 1 {
			return MatchAny
		}
		if strncaseeq(this.enc[len(this.enc)-(n-1):], cfg.enc[1:]) {
			return MatchOneWildcard
		}
	}
	return MatchNone
}

// matchRange is strongSwan's matches_range: this a concrete address, cfg
// configured (not Any).
func matchRange(this, cfg ID) MatchLevel {
	if this.t == cfg.t && this.enc == cfg.enc {
		return MatchPerfect
	}
	size := 0
	switch {
	case this.t == IPv4 && (cfg.t == IPv4Subnet || cfg.t == IPv4Range):
		size = 4
	case this.t == IPv6 && (cfg.t == IPv6Subnet || cfg.t == IPv6Range):
		size = 16
	default:
		return MatchNone
	}
	if len(this.enc) != size || len(cfg.enc) != 2*size {
		return MatchNone
	}
	addr, lo, hi := this.enc, cfg.enc[:size], cfg.enc[size:]
	if cfg.t == IPv4Subnet || cfg.t == IPv6Subnet {
		bits := netmaskToCIDR(hi)
		if bits == 0 {
			return MatchMaxWildcards
		}
		if bits == 8*size {
			if addr == lo {
				return MatchPerfect
			}
			return MatchNone
		}
		for i := 0; i < (bits+7)/8; i++ {
			if (addr[i]^lo[i])&hi[i] != 0 {
				return MatchNone
			}
		}
		return MatchOneWildcard
	}
	if hi < lo || addr < lo || addr > hi {
		return MatchNone
	}
	if hi == lo {
		return MatchPerfect
	}
	return MatchOneWildcard
}
