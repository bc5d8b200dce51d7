package credentials

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
)

// SharedType is the kind of a shared secret, strongSwan's
// shared_key_type_t.
type SharedType uint8

// Shared secret types. ipsec.secrets PSK entries are SharedIKE, EAP and
// XAUTH entries SharedEAP (stroke stores XAuth passwords as EAP secrets),
// NTLM entries SharedNTHash. SharedAny matches every type in lookups.
const (
	SharedAny    SharedType = 0
	SharedIKE    SharedType = 1
	SharedEAP    SharedType = 2
	SharedNTHash SharedType = 5
)

// String returns strongSwan's shared_key_type_names entry.
func (t SharedType) String() string {
	switch t {
	case SharedAny:
		return "ANY"
	case SharedIKE:
		return "IKE"
	case SharedEAP:
		return "EAP"
	case 3:
		return "PRIVATE_KEY_PASS"
	case 4:
		return "PIN"
	case SharedNTHash:
		return "NTLM"
	case 6:
		return "PPK"
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// SharedSecret is one shared secret of ipsec.secrets with its owners (the
// selectors before the ':'; %any if there were none).
type SharedSecret struct {
	Type   SharedType
	Secret []byte
	Owners []identity.ID
	Pos    config.Pos
}

func sharedTypeOf(t config.SecretType) SharedType {
	switch t {
	case config.SecretPSK:
		return SharedIKE
	case config.SecretNTLM:
		return SharedNTHash
	}
	return SharedEAP
}

// addShared adds an entry as stroke's load_shared and mem_cred's
// add_shared_list do: owners parsed from the selectors (%any without
// any), the entry put first in the list, an earlier entry with the same
// type, secret and owners dropped.
func (s *Store) addShared(e config.SecretEntry) {
	ss := &SharedSecret{Type: sharedTypeOf(e.Type), Secret: e.Secret, Pos: e.Pos}
	for _, sel := range e.Selectors {
		if sel == "" {
			continue
		}
		id, err := identity.Parse(sel)
		if err != nil {
			s.log(e.Pos.File, e.Pos.Line, err, "line %d: selector %q", e.Pos.Line, sel)
		}
		ss.Owners = append(ss.Owners, id)
	}
	if len(ss.Owners) == 0 {
		ss.Owners = []identity.ID{identity.AnyID}
	}
	ids := strings.Join(e.Selectors, " ")
	if ids == "" {
		ids = "%any"
	}
	s.log(e.Pos.File, e.Pos.Line, nil, "  loaded %s secret for %s", ss.Type, ids)
	list := []*SharedSecret{ss}
	for _, old := range s.shared {
		if !sameShared(old, ss) {
			list = append(list, old)
		}
	}
	s.shared = list
}

func sameShared(a, b *SharedSecret) bool {
	if a.Type != b.Type || !bytes.Equal(a.Secret, b.Secret) || len(a.Owners) != len(b.Owners) {
		return false
	}
	for i := range a.Owners {
		if !a.Owners[i].Equal(b.Owners[i]) {
			return false
		}
	}
	return true
}

// ownerMatch is mem_cred's has_owner: the best match of id against the
// owners (MatchNone for the zero ID).
func ownerMatch(ss *SharedSecret, id identity.ID) identity.MatchLevel {
	best := identity.MatchNone
	if id.IsZero() {
		return best
	}
	for _, o := range ss.Owners {
		best = max(best, o.Matches(id))
	}
	return best
}

// SharedMatch is a shared secret with how well its owners match the local
// and the remote identity.
type SharedMatch struct {
	*SharedSecret
	Local, Remote identity.MatchLevel
}

// SharedKeys returns the shared secrets of type t (SharedAny: all) that
// apply to the pair local, remote, in the order strongSwan enumerates them
// (the last entry of ipsec.secrets first): an entry applies if one of its
// owners matches either identity, or always if both identities are zero.
// charon tries them in this order to verify a received AUTH payload.
func (s *Store) SharedKeys(t SharedType, local, remote identity.ID) []SharedMatch {
	var out []SharedMatch
	for _, ss := range s.shared {
		if t != SharedAny && ss.Type != t {
			continue
		}
		m := SharedMatch{SharedSecret: ss, Local: ownerMatch(ss, local), Remote: ownerMatch(ss, remote)}
		if (!local.IsZero() || !remote.IsZero()) && m.Local == identity.MatchNone && m.Remote == identity.MatchNone {
			continue
		}
		out = append(out, m)
	}
	return out
}

// SharedKey returns the secret of type t that best fits local and remote,
// as strongSwan's credential manager get_shared selects it: the entry
// whose owners match the remote identity best, among equals the one
// matching the local identity best, among equals the one enumerated first
// (the last in ipsec.secrets). With both identities zero nothing is found.
//
// For the net2net-psk shape
//
//	@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
//	@moon.strongswan.org %any : PSK 0x45a30759df97dc26a15b88ff
//	@sun.strongswan.org : PSK "This is a strong password"
//	: PSK 'My "home" is my "castle"!'
//
// moon (local @moon.strongswan.org) talking to @sun.strongswan.org gets the
// first secret: both owners match perfectly.
func (s *Store) SharedKey(t SharedType, local, remote identity.ID) (SharedMatch, bool) {
	var best SharedMatch
	found := false
	for _, m := range s.SharedKeys(t, local, remote) {
		if m.Remote > best.Remote || (m.Remote == best.Remote && m.Local > best.Local) {
			best, found = m, true
		}
		if best.Local == identity.MatchPerfect && best.Remote == identity.MatchPerfect {
			break
		}
	}
	return best, found
}

// SharedSecrets returns all shared secrets in strongSwan's enumeration
// order.
func (s *Store) SharedSecrets() []*SharedSecret { return s.shared }
