package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// A CompatRule rewrites one evaltest line so that it expects what a
// particular peer implementation produces instead of what strongSwan's test
// hosts (kernel ESP) produce. It returns the line unchanged when it does not
// apply.
type CompatRule struct {
	Name    string
	Explain string
	Rewrite func(DatLine) DatLine
	// PerHost marks a rule about what a host itself does (where it puts
	// its virtual IP), as opposed to what its peers see on the wire. When
	// the set was chosen automatically, such a rule rewrites only the
	// lines of hosts that run the implementation the set is for.
	PerHost bool
}

// CompatSets are the named rule sets for --compat.
var CompatSets = map[string][]CompatRule{
	"libipsec": {espInUDPRule, vipOnTunRule},
}

// CompatNames lists the known sets plus "auto" and "none".
func CompatNames() []string {
	n := []string{"auto", "none"}
	for k := range CompatSets {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// ParseCompat splits a --compat value ("libipsec", "a,b", "none").
func ParseCompat(v string) ([]string, error) {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if s == "none" {
			continue
		}
		if _, ok := CompatSets[s]; !ok && s != "auto" {
			return nil, fmt.Errorf("unknown compat set %q (known: %s)", s, strings.Join(CompatNames(), ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// ApplyCompat rewrites evaltest lines with the named sets, in order, and
// returns the rewritten lines and how many were changed.
func ApplyCompat(lines []DatLine, sets []string) ([]DatLine, int) {
	return ApplyCompatHosts(lines, sets, nil)
}

// ApplyCompatHosts is ApplyCompat where the PerHost rules rewrite only the
// lines of the hosts for which runsImpl reports true (all if it is nil).
func ApplyCompatHosts(lines []DatLine, sets []string, runsImpl func(host string) bool) ([]DatLine, int) {
	out := make([]DatLine, len(lines))
	changed := 0
	for i, l := range lines {
		orig := l
		if l.Runnable() {
			for _, s := range sets {
				for _, r := range CompatSets[s] {
					if r.PerHost && runsImpl != nil && !runsImpl(l.Host) {
						continue
					}
					l = r.Rewrite(l)
				}
			}
		}
		if l != orig {
			changed++
		}
		out[i] = l
	}
	return out, changed
}

// tcpdump prints native ESP as "IP carol.strongswan.org > moon.strongswan.org:
// ESP(spi=...)". strongSwan 5.9's kernel-libipsec always encapsulates ESP in
// UDP (it fakes NAT-D), which tcpdump prints as "IP
// carol.strongswan.org.ipsec-nat-t > moon.strongswan.org.ipsec-nat-t:
// UDP-encap: ESP(...)". The rewritten pattern accepts either port notation.
var espLineRE = regexp.MustCompile(`^(\s*(?:IP6? )?)([A-Za-z0-9_.-]+) > ([A-Za-z0-9_.-]+): ESP(.*)$`)

const natTPort = `\(4500\|ipsec-nat-t\)`

var espInUDPRule = CompatRule{
	Name:    "esp-in-udp",
	Explain: "tcpdump: native ESP lines expect ESP in UDP/4500 (libipsec forces UDP encapsulation)",
	Rewrite: func(l DatLine) DatLine {
		if !l.IsTcpdump() {
			return l
		}
		m := espLineRE.FindStringSubmatch(l.Pattern)
		if m == nil || strings.Contains(l.Pattern, "UDP-encap") {
			return l
		}
		l.Pattern = m[1] + m[2] + "." + natTPort + " > " + m[3] + "." + natTPort + ": UDP-encap: ESP" + m[4]
		return l
	},
}

// kernel-libipsec forces charon.install_virtual_ip_on to its TUN device, so
// a roadwarrior's virtual IP is on ipsec0, not on eth0. Only lines looking
// for an address that no lab interface has (a virtual IP) are rewritten.
var ipAddrEth0RE = regexp.MustCompile(`^(\s*ip (?:-[46] )?(?:-o )?addr(?:ess)? (?:list|show|ls) (?:dev )?)eth0(\s*)$`)

var vipOnTunRule = CompatRule{
	Name:    "vip-on-tun",
	Explain: "ip addr list dev eth0 (virtual IP) becomes dev ipsec0 (libipsec installs VIPs on its TUN device)",
	PerHost: true,
	Rewrite: func(l DatLine) DatLine {
		m := ipAddrEth0RE.FindStringSubmatch(l.Cmd)
		if m == nil || !mentionsVirtualIP(Unescape(l.Pattern)) {
			return l
		}
		l.Cmd = m[1] + "ipsec0" + m[2]
		return l
	},
}

var addrTokenRE = regexp.MustCompile(`[0-9A-Fa-f:.]+`)

// mentionsVirtualIP reports whether the pattern names an IP address that is
// not configured on any lab interface.
func mentionsVirtualIP(p string) bool {
	for _, tok := range addrTokenRE.FindAllString(strings.ReplaceAll(p, `\`, ""), -1) {
		tok = strings.Trim(tok, ".:")
		a, err := netip.ParseAddr(tok)
		if err != nil {
			continue
		}
		if !isLabAddress(a) {
			return true
		}
	}
	return false
}
