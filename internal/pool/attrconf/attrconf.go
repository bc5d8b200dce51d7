// Package attrconf serves the configuration attributes of strongswan.conf's
// charon.plugins.attr section (and the legacy charon.dns1/dns2/nbns1/nbns2
// keys) to peers that get a virtual IP, as charon's attr plugin does.
//
// It must not import the IKE core beyond the attr and message types it
// serves, nor any daemon package.
package attrconf

import (
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// ikeVersion says which IKE versions an attribute is sent with.
type ikeVersion uint8

const (
	ikeAny ikeVersion = iota
	ikeV1
	ikeV2
)

// entry is one attribute to serve.
type entry struct {
	typ   message.CPAttrType
	value []byte
	ike   ikeVersion
}

// keyType maps the names of charon.plugins.attr keys to attribute types
// (attr_provider.c's table).
var keyTypes = []struct {
	name   string
	v4, v6 message.CPAttrType
	ike    ikeVersion
}{
	{"address", message.CPInternalIP4Address, message.CPInternalIP6Address, ikeAny},
	{"dns", message.CPInternalIP4DNS, message.CPInternalIP6DNS, ikeAny},
	{"nbns", message.CPInternalIP4NBNS, message.CPInternalIP6NBNS, ikeAny},
	{"dhcp", message.CPInternalIP4DHCP, message.CPInternalIP6DHCP, ikeAny},
	{"netmask", message.CPInternalIP4Netmask, message.CPInternalIP6Netmask, ikeAny},
	{"server", message.CPInternalIP4Server, message.CPInternalIP6Server, ikeAny},
	{"subnet", message.CPInternalIP4Subnet, message.CPInternalIP6Subnet, ikeAny},
	{"p-cscf", message.CPPCSCFIP4Address, message.CPPCSCFIP6Address, ikeV2},
	{"split-include", message.CPUnitySplitInclude, message.CPUnitySplitInclude, ikeV1},
	{"split-exclude", message.CPUnityLocalLAN, message.CPUnityLocalLAN, ikeV1},
}

// Provider is the attr plugin's attribute provider. It hands out no
// addresses. Safe for concurrent use.
type Provider struct {
	ns  string
	log *log.Logger

	mu      sync.RWMutex // guards entries
	entries []entry
}

var _ attr.Provider = (*Provider)(nil)

// ctx is the context of the configuration messages.
var ctx = log.Context{Thread: 1}

// New loads the attributes of s (ns is the daemon's namespace, "charon"
// if empty); l may be nil. Like charon at start-up it logs only the
// entries (at level 2), not their number.
func New(s *config.Settings, ns string, l *log.Logger) *Provider {
	if ns == "" {
		ns = "charon"
	}
	p := &Provider{ns: ns, log: l}
	p.entries = p.load(s)
	return p
}

// Reload replaces the attributes by those of s, as `ipsec reload`'s
// settings reload does, and logs how many it loaded.
func (p *Provider) Reload(s *config.Settings) {
	es := p.load(s)
	p.mu.Lock()
	p.entries = es
	p.mu.Unlock()
	n := len(es)
	suffix := "ies"
	if n == 1 {
		suffix = "y"
	}
	p.log.Log(log.CFG, log.Ctrl, ctx, "loaded %d entr%s for attr plugin configuration", n, suffix)
}

// load reads the legacy keys, then the charon.plugins.attr section.
func (p *Provider) load(s *config.Settings) []entry {
	var out []entry
	for i := 1; i <= 2; i++ {
		for _, legacy := range [...]struct {
			key    string
			v4, v6 message.CPAttrType
		}{
			{"dns", message.CPInternalIP4DNS, message.CPInternalIP6DNS},
			{"nbns", message.CPInternalIP4NBNS, message.CPInternalIP6NBNS},
		} {
			v, ok := s.Get(p.ns + "." + legacy.key + strconv.Itoa(i))
			if !ok {
				continue
			}
			a, ok := config.ParseHost(v)
			if !ok {
				continue
			}
			e := entry{typ: legacy.v4, value: a.AsSlice()}
			if a.Is6() {
				e.typ = legacy.v6
			}
			if p.log.Enabled(log.CFG, log.Diag) {
				p.log.Log(log.CFG, log.Diag, ctx, "loaded legacy entry attribute %s: %#B", e.typ, log.Hex(e.value))
			}
			out = append(out, e)
		}
	}
	for _, kv := range s.KeyValues(p.ns + ".plugins.attr") {
		if kv.Key == "load" {
			continue
		}
		out = p.parseKey(out, kv.Key, kv.Value)
	}
	return out
}

// parseKey adds the entries of one key: a list of addresses or
// subnets (address/bits; an IPv4 subnet is sent with its netmask, an IPv6
// one with its prefix length) of a named kind, or anything for a numeric
// attribute type (values that are no address are sent as text).
func (p *Provider) parseKey(out []entry, key, value string) []entry {
	typ := message.CPAttrType(config.Atoi(key))
	named := -1
	if typ == 0 {
		for i, k := range keyTypes {
			if k.name == key {
				named = i
				break
			}
		}
		if named < 0 {
			p.log.Log(log.CFG, log.Ctrl, ctx, "mapping attribute type %s failed", key)
			return out
		}
	}
	// as in charon, a prefix length applies to the later values of the
	// key too
	mask := -1
	for _, tok := range strings.Split(value, ",") {
		tok = strings.Trim(tok, " ")
		if tok == "" {
			continue
		}
		if host, bits, ok := strings.Cut(tok, "/"); ok {
			tok = host
			mask = config.Atoi(bits)
		}
		e := entry{typ: typ, ike: ikeAny}
		a, ok := config.ParseHost(tok)
		switch {
		case !ok && named >= 0:
			p.log.Log(log.CFG, log.Ctrl, ctx, "invalid host in key %s: %s", key, tok)
			continue
		case !ok:
			e.value = []byte(tok)
		default:
			e.value = a.AsSlice()
			if mask >= 0 {
				if a.Is4() {
					var m uint32
					if mask > 0 {
						shift := 32 - min(mask, 32)
						m = 0xffffffff >> shift << shift
					}
					e.value = append(e.value, byte(m>>24), byte(m>>16), byte(m>>8), byte(m))
				} else {
					e.value = append(e.value, byte(mask))
				}
			}
			if named >= 0 {
				e.typ = keyTypes[named].v4
				if a.Is6() {
					e.typ = keyTypes[named].v6
				}
			}
		}
		if named >= 0 {
			e.ike = keyTypes[named].ike
		}
		if p.log.Enabled(log.CFG, log.Diag) {
			p.log.Log(log.CFG, log.Diag, ctx, "loaded attribute %s: %#B", e.typ, log.Hex(e.value))
		}
		out = append(out, e)
	}
	return out
}

// AcquireAddress implements attr.Provider: the attr plugin has no pools.
func (p *Provider) AcquireAddress([]string, attr.SA, netip.Addr) (netip.Addr, bool) {
	return netip.Addr{}, false
}

// ReleaseAddress implements attr.Provider.
func (p *Provider) ReleaseAddress([]string, netip.Addr, attr.SA) bool { return false }

// Attributes implements attr.Provider: every configured attribute (the
// IKEv1-only Unity split-include/split-exclude ones left out), to a peer
// that was assigned at least one virtual IP of any family.
func (p *Provider) Attributes(_ []string, _ attr.SA, vips []netip.Addr) []attr.Attribute {
	if len(vips) == 0 {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]attr.Attribute, 0, len(p.entries))
	for _, e := range p.entries {
		if e.ike == ikeV1 {
			continue
		}
		out = append(out, attr.Attribute{Type: e.typ, Value: append([]byte(nil), e.value...)})
	}
	return out
}
