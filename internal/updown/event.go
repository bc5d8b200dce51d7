package updown

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Extra is what charon's updown plugin reads from parts of the IKE_SA the
// core does not keep itself: the configuration payload, EAP and XFRM
// interfaces. The daemon fills it through Options.Extra.
type Extra struct {
	// MyVIPs are the virtual IPs we received (PLUTO_MY_SOURCEIP*).
	MyVIPs []netip.Addr
	// PeerVIPs, if not nil, replace the IKE_SA's PeerVIPs
	// (PLUTO_PEER_SOURCEIP*).
	PeerVIPs []netip.Addr
	// DNS are the DNS servers we received (PLUTO_DNS4_*, PLUTO_DNS6_*);
	// charon passes them only with charon.plugins.updown.dns_handler.
	DNS []netip.Addr
	// XAuthID is the peer's EAP (or XAuth) identity; charon falls back
	// to the peer's IKE identity (PLUTO_XAUTH_ID, set only after EAP).
	XAuthID string
	// IfIDIn, IfIDOut are XFRM interface IDs (PLUTO_IF_ID_IN/OUT).
	IfIDIn, IfIDOut uint32
	// IPComp: the CHILD_SA uses IPComp (PLUTO_IPCOMP, and the firewall's
	// IPIP rule).
	IPComp bool
}

// event is everything one up or down needs, copied from the IKE_SA and
// CHILD_SA on the IKE_SA's goroutine (which owns them).
type event struct {
	up         bool
	command    string
	conn       string
	hostAccess bool
	reqID      uint32
	proto      uint8
	ikeID      uint32
	childID    uint32
	me, peer   netip.AddrPort
	myID       string
	peerID     string
	// xauth: the peer authenticated with EAP, xauthID its identity.
	xauth           bool
	xauthID         string
	local, remote   []kernel.TS
	markIn, markOut kernel.Mark
	ifIDIn, ifIDOut uint32
	natAny          bool
	ipcomp          bool
	myVIPs          []netip.Addr
	peerVIPs        []netip.Addr
	dns             []netip.Addr
	ctx             log.Context
}

// newEvent copies what an up or down needs; it runs on the IKE_SA's
// goroutine.
func newEvent(ike *sa.IKESA, c *sa.ChildSA, up bool, extra func(*sa.IKESA, *sa.ChildSA) Extra) *event {
	ev := &event{
		up: up, conn: c.Name(), reqID: c.ReqID, proto: c.Proto,
		ikeID: ike.UniqueID, childID: c.UniqueID,
		me:     netip.AddrPortFrom(ike.Local.Addr().Unmap(), ike.Local.Port()),
		peer:   netip.AddrPortFrom(ike.Remote.Addr().Unmap(), ike.Remote.Port()),
		myID:   idString(ike.LocalID.String()),
		peerID: idString(ike.RemoteID.String()),
		local:  sortTS(c.Local), remote: sortTS(c.Remote),
		natAny:   ike.NATLocal || ike.NATRemote || c.Encap,
		peerVIPs: slices.Clone(ike.PeerVIPs),
		xauth:    ike.EAPAuthenticated,
		ctx:      log.Context{Thread: int(ike.UniqueID%15) + 1, Name: ike.Name(), UniqueID: ike.UniqueID},
	}
	if c.Config != nil {
		ev.command = c.Config.Updown
		ev.hostAccess = c.Config.HostAccess
		ev.markIn, ev.markOut = c.Config.MarkIn, c.Config.MarkOut
	}
	if extra != nil {
		x := extra(ike, c)
		ev.myVIPs = slices.Clone(x.MyVIPs)
		if x.PeerVIPs != nil {
			ev.peerVIPs = slices.Clone(x.PeerVIPs)
		}
		ev.dns = slices.Clone(x.DNS)
		ev.xauthID = x.XAuthID
		ev.ifIDIn, ev.ifIDOut = x.IfIDIn, x.IfIDOut
		ev.ipcomp = x.IPComp
	}
	if ev.xauthID == "" {
		ev.xauthID = ev.peerID
	}
	return ev
}

// idString prints a missing identity as charon's %Y prints the empty
// one.
func idString(s string) string {
	if s == "" {
		return "%any"
	}
	return s
}

// sortTS returns a sorted copy of the selectors (addresses unmapped), in
// the order charon keeps a CHILD_SA's selectors (traffic_selector_cmp):
// IPv4 first, lower start first, larger range first, lower protocol
// first, lower start port first, larger port range first.
func sortTS(in []kernel.TS) []kernel.TS {
	out := make([]kernel.TS, len(in))
	for i, t := range in {
		t.Start, t.End = t.Start.Unmap(), t.End.Unmap()
		out[i] = t
	}
	slices.SortStableFunc(out, func(a, b kernel.TS) int {
		if c := compareInt(a.Start.BitLen(), b.Start.BitLen()); c != 0 {
			return c
		}
		if c := bytes.Compare(a.Start.AsSlice(), b.Start.AsSlice()); c != 0 {
			return c
		}
		if c := bytes.Compare(b.End.AsSlice(), a.End.AsSlice()); c != 0 {
			return c
		}
		if c := compareInt(a.Proto, b.Proto); c != 0 {
			return c
		}
		if c := compareInt(a.FromPort, b.FromPort); c != 0 {
			return c
		}
		return compareInt(b.ToPort, a.ToPort)
	})
	return out
}

func compareInt[T int | uint8 | uint16](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pair is one invocation: a local and a remote selector (charon's
// policy enumerator) with the values the script gets.
type pair struct {
	local, remote kernel.TS
	host, v6      bool
	// myClient and peerClient are the selectors as subnets; exact is
	// false when a range had to be approximated.
	myClient, peerClient     netip.Prefix
	myExact, peerExact       bool
	myPort, peerPort         string
	myProtocol, peerProtocol uint8
}

// verb is PLUTO_VERB.
func (p *pair) verb(up bool) string {
	v := "down"
	if up {
		v = "up"
	}
	if p.host {
		v += "-host"
	} else {
		v += "-client"
	}
	if p.v6 {
		v += "-v6"
	}
	return v
}

// pairs enumerates the selector pairs as charon's policy enumerator
// does: every local with every remote selector, skipping pairs of
// different address families or different (non-zero) protocols.
func (ev *event) pairs() []*pair {
	var out []*pair
	for _, l := range ev.local {
		for _, r := range ev.remote {
			if l.Start.BitLen() != r.Start.BitLen() {
				continue
			}
			if l.Proto != 0 && r.Proto != 0 && l.Proto != r.Proto {
				continue
			}
			out = append(out, newPair(ev.me.Addr(), l, r))
		}
	}
	return out
}

func newPair(me netip.Addr, l, r kernel.TS) *pair {
	p := &pair{local: l, remote: r, myProtocol: l.Proto, peerProtocol: r.Proto}
	// is_host: the local selector is exactly our IKE address.
	p.host = me.IsValid() && l.Start == me && l.End == me
	if p.host {
		p.v6 = me.Is6()
	} else {
		p.v6 = l.Start.Is6()
	}
	p.myClient, p.myExact = toSubnet(l)
	p.peerClient, p.peerExact = toSubnet(r)
	p.myPort = portString(l, r, true)
	p.peerPort = portString(l, r, false)
	return p
}

// toSubnet returns the selector's addresses as a subnet; for a range
// that is none, the subnet of the bits its first and last address have
// in common (charon's to_subnet), and exact false.
func toSubnet(t kernel.TS) (netip.Prefix, bool) {
	if p, ok := t.Prefix(); ok {
		return p, true
	}
	from, to := t.Start.AsSlice(), t.End.AsSlice()
	bits := 0
	for i := 0; i < len(from) && i < len(to); i++ {
		x := from[i] ^ to[i]
		if x == 0 {
			bits += 8
			continue
		}
		for x&0x80 == 0 {
			bits++
			x <<= 1
		}
		break
	}
	p, err := t.Start.Prefix(bits)
	if err != nil {
		return netip.PrefixFrom(t.Start, t.Start.BitLen()), false
	}
	return p, false
}

// portString is PLUTO_MY_PORT (local) or PLUTO_PEER_PORT: for ICMP the
// type (local) or code (remote) of the larger of the two start ports;
// otherwise the selector's port, or range "from:to".
func portString(l, r kernel.TS, local bool) string {
	switch max(l.Proto, r.Proto) {
	case 1, 58:
		port := max(l.FromPort, r.FromPort)
		if local {
			return strconv.Itoa(int(port >> 8))
		}
		return strconv.Itoa(int(port & 0xff))
	}
	t := r
	if local {
		t = l
	}
	if t.FromPort == t.ToPort || (t.FromPort == 0 && t.ToPort == 0xffff) {
		return strconv.Itoa(int(t.FromPort))
	}
	return strconv.Itoa(int(t.FromPort)) + ":" + strconv.Itoa(int(t.ToPort))
}

// maxEnv is the size of charon's environment array: it holds 127
// variables (and the terminating NULL); later ones are dropped.
const maxEnv = 127

// environ returns the environment charon's updown plugin gives the
// script for one invocation, in charon's order:
//
//	PATH                  the daemon's PATH ("(null)" if unset)
//	PLUTO_VERSION         1.1
//	PLUTO_VERB            up-client, down-client, up-host, down-host,
//	                      with -v6 for IPv6 (host: the local selector is
//	                      our IKE address; its family decides -v6)
//	PLUTO_CONNECTION      the conn (CHILD_SA config) name
//	PLUTO_INTERFACE       interface of the route to the peer, "unknown"
//	PLUTO_REQID           reqid
//	PLUTO_PROTO           esp or ah
//	PLUTO_UNIQUEID        the IKE_SA's unique id
//	PLUTO_ME              our IKE address
//	PLUTO_MY_ID           our identity
//	PLUTO_MY_CLIENT       the local selector as ADDR/BITS
//	PLUTO_MY_PORT         port, "from:to", 0 for any; ICMP type
//	PLUTO_MY_PROTOCOL     IP protocol number, 0 for any
//	PLUTO_PEER, PLUTO_PEER_ID, PLUTO_PEER_CLIENT, PLUTO_PEER_PORT (ICMP
//	                      code), PLUTO_PEER_PROTOCOL: the same for the peer
//	PLUTO_XAUTH_ID        peer's EAP/XAuth identity (after EAP only)
//	PLUTO_MY_SOURCEIP     first local virtual IP, then
//	PLUTO_MY_SOURCEIP4_n / PLUTO_MY_SOURCEIP6_n per family from 1
//	PLUTO_PEER_SOURCEIP, PLUTO_PEER_SOURCEIP4_n, PLUTO_PEER_SOURCEIP6_n
//	PLUTO_MARK_IN/OUT     VALUE/0xMASK (%u/0x%08x), if the value is not 0
//	PLUTO_IF_ID_IN/OUT    XFRM interface IDs, if not 0
//	PLUTO_UDP_ENC         the peer's port, with NAT or forced encapsulation
//	PLUTO_IPCOMP          1 with IPComp
//	PLUTO_DNS4_n, PLUTO_DNS6_n  DNS servers received
//	PLUTO_HOST_ACCESS     1 with lefthostaccess=yes
func (ev *event) environ(p *pair, iface string) []string {
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = "(null)"
	}
	env := make([]string, 0, 32)
	add := func(format string, args ...any) {
		if len(env) < maxEnv {
			env = append(env, fmt.Sprintf(format, args...))
		}
	}
	add("PATH=%s", path)
	add("PLUTO_VERSION=1.1")
	add("PLUTO_VERB=%s", p.verb(ev.up))
	add("PLUTO_CONNECTION=%s", ev.conn)
	add("PLUTO_INTERFACE=%s", iface)
	add("PLUTO_REQID=%d", ev.reqID)
	proto := "ah"
	if ev.proto == kernel.ProtoESP {
		proto = "esp"
	}
	add("PLUTO_PROTO=%s", proto)
	add("PLUTO_UNIQUEID=%d", ev.ikeID)
	add("PLUTO_ME=%s", hostString(ev.me.Addr()))
	add("PLUTO_MY_ID=%s", ev.myID)
	add("PLUTO_MY_CLIENT=%s/%d", p.myClient.Addr(), p.myClient.Bits())
	add("PLUTO_MY_PORT=%s", p.myPort)
	add("PLUTO_MY_PROTOCOL=%d", p.local.Proto)
	add("PLUTO_PEER=%s", hostString(ev.peer.Addr()))
	add("PLUTO_PEER_ID=%s", ev.peerID)
	add("PLUTO_PEER_CLIENT=%s/%d", p.peerClient.Addr(), p.peerClient.Bits())
	add("PLUTO_PEER_PORT=%s", p.peerPort)
	add("PLUTO_PEER_PROTOCOL=%d", p.remote.Proto)
	if ev.xauth {
		add("PLUTO_XAUTH_ID=%s", ev.xauthID)
	}
	vips := func(side string, addrs []netip.Addr) {
		v4, v6 := 0, 0
		for i, a := range addrs {
			a = a.Unmap()
			if i == 0 {
				add("PLUTO_%s_SOURCEIP=%s", side, hostString(a))
			}
			if a.Is4() {
				v4++
				add("PLUTO_%s_SOURCEIP4_%d=%s", side, v4, hostString(a))
			} else {
				v6++
				add("PLUTO_%s_SOURCEIP6_%d=%s", side, v6, hostString(a))
			}
		}
	}
	vips("MY", ev.myVIPs)
	vips("PEER", ev.peerVIPs)
	if ev.markIn.Value != 0 {
		add("PLUTO_MARK_IN=%d/0x%08x", ev.markIn.Value, ev.markIn.Mask)
	}
	if ev.markOut.Value != 0 {
		add("PLUTO_MARK_OUT=%d/0x%08x", ev.markOut.Value, ev.markOut.Mask)
	}
	if ev.ifIDIn != 0 {
		add("PLUTO_IF_ID_IN=%d", ev.ifIDIn)
	}
	if ev.ifIDOut != 0 {
		add("PLUTO_IF_ID_OUT=%d", ev.ifIDOut)
	}
	if ev.natAny {
		add("PLUTO_UDP_ENC=%d", ev.peer.Port())
	}
	if ev.ipcomp {
		add("PLUTO_IPCOMP=1")
	}
	v4, v6 := 0, 0
	for _, a := range ev.dns {
		a = a.Unmap()
		if a.Is4() {
			v4++
			add("PLUTO_DNS4_%d=%s", v4, hostString(a))
		} else {
			v6++
			add("PLUTO_DNS6_%d=%s", v6, hostString(a))
		}
	}
	if ev.hostAccess {
		add("PLUTO_HOST_ACCESS=1")
	}
	return env
}

// hostString prints an address as charon's %H: "%any" ("%any6") for the
// unspecified address.
func hostString(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "(null)"
	case a.IsUnspecified() && a.Is4():
		return "%any"
	case a.IsUnspecified():
		return "%any6"
	}
	return a.String()
}

// firstVIP is PLUTO_MY_SOURCEIP ("" if none).
func (ev *event) firstVIP() string {
	if len(ev.myVIPs) == 0 {
		return ""
	}
	return hostString(ev.myVIPs[0].Unmap())
}

// label is "conn{N}", as charon names CHILD_SAs.
func (ev *event) label() string {
	return ev.conn + "{" + strconv.FormatUint(uint64(ev.childID), 10) + "}"
}

// builtin tells the updown commands we implement ourselves: the default
// script with "iptables" (leftfirewall=yes) and without (it does nothing
// for up/down verbs without the iptables parameter).
func builtin(command string) (firewall, noop bool) {
	f := strings.Fields(command)
	if len(f) >= 2 && f[0] == "ipsec" && f[1] == "_updown" {
		switch {
		case len(f) == 3 && f[2] == "iptables":
			return true, false
		case len(f) == 2:
			return false, true
		}
	}
	return false, false
}
