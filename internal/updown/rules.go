package updown

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/goswan/goswan/internal/log"
)

// fwChain is one of the filter table's chains.
type fwChain string

const (
	chainInput   fwChain = "INPUT"
	chainForward fwChain = "FORWARD"
	chainOutput  fwChain = "OUTPUT"
)

// portMatch is a port range (tcp or udp) or an ICMP type and code.
type portMatch struct {
	from, to uint16
}

// icmpMatch is "--icmp-type T[/C]".
type icmpMatch struct {
	typ     uint8
	code    uint8
	hasCode bool
}

// policyMatch is "-m policy --pol ipsec --proto P --reqid N --dir in|out".
type policyMatch struct {
	in    bool
	reqid uint32
	proto uint8
}

// fwRule is one ACCEPT rule of the default updown script, in the terms of
// its iptables command.
type fwRule struct {
	V6       bool // ip6tables
	Chain    fwChain
	In, Out  string // -i, -o ("name+" is a prefix)
	Proto    uint8  // -p, 0 for all
	Src, Dst netip.Prefix
	sport    *portMatch
	dport    *portMatch
	icmp     *icmpMatch
	policy   *policyMatch
	// policyFirst: the policy option comes before the first port option
	// on the command line (iptables keeps matches in that order).
	policyFirst bool
	// Comment names the CHILD_SA ("goswan CONN{N}").
	Comment string
}

// String prints the rule as iptables-save does ("-A CHAIN ..."), which is
// also how iptables -S shows the rule _updown inserts.
func (r *fwRule) String() string {
	var b strings.Builder
	b.WriteString("-A " + string(r.Chain))
	addr := func(opt string, p netip.Prefix) {
		if p.IsValid() && p.Bits() > 0 {
			fmt.Fprintf(&b, " %s %s", opt, p.Masked())
		}
	}
	addr("-s", r.Src)
	addr("-d", r.Dst)
	if r.In != "" {
		b.WriteString(" -i " + r.In)
	}
	if r.Out != "" {
		b.WriteString(" -o " + r.Out)
	}
	if r.Proto != 0 {
		b.WriteString(" -p " + protoName(r.Proto, r.V6))
	}
	ports := func() {
		switch {
		case r.icmp != nil && r.V6:
			b.WriteString(" -m icmp6 --icmpv6-type " + r.icmp.String())
		case r.icmp != nil:
			b.WriteString(" -m icmp --icmp-type " + r.icmp.String())
		case r.sport != nil || r.dport != nil:
			b.WriteString(" -m " + protoName(r.Proto, r.V6))
			if r.sport != nil {
				b.WriteString(" --sport " + r.sport.String())
			}
			if r.dport != nil {
				b.WriteString(" --dport " + r.dport.String())
			}
		}
	}
	policy := func() {
		if p := r.policy; p != nil {
			dir := "out"
			if p.in {
				dir = "in"
			}
			fmt.Fprintf(&b, " -m policy --dir %s --pol ipsec --reqid %d --proto %s", dir, p.reqid, protoName(p.proto, false))
		}
	}
	if r.policyFirst {
		policy()
		ports()
	} else {
		ports()
		policy()
	}
	if r.Comment != "" {
		b.WriteString(" -m comment --comment " + quoteComment(r.Comment))
	}
	b.WriteString(" -j ACCEPT")
	return b.String()
}

func (p *portMatch) String() string {
	if p.from == p.to {
		return strconv.Itoa(int(p.from))
	}
	return strconv.Itoa(int(p.from)) + ":" + strconv.Itoa(int(p.to))
}

func (m *icmpMatch) String() string {
	if m.hasCode {
		return fmt.Sprintf("%d/%d", m.typ, m.code)
	}
	return strconv.Itoa(int(m.typ))
}

// quoteComment quotes as iptables-save does: only when needed.
func quoteComment(s string) string {
	if strings.ContainsAny(s, " \t\"'\\") || s == "" {
		return strconv.Quote(s)
	}
	return s
}

// protoName is the name iptables prints for a protocol (from
// /etc/protocols as Debian ships it).
func protoName(p uint8, v6 bool) string {
	switch p {
	case 1:
		return "icmp"
	case 4:
		return "ipencap"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 41:
		return "ipv6"
	case 47:
		return "gre"
	case 50:
		return "esp"
	case 51:
		return "ah"
	case 58:
		return "ipv6-icmp"
	case 132:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

// ports are the script's S_MY_PORT, D_MY_PORT, S_PEER_PORT and
// D_PEER_PORT: ICMP type/code matches (both my options) or port ranges.
type ports struct {
	myICMP           *icmpMatch
	myPort, peerPort *portMatch
}

// scriptPorts derives the port options as _updown does from
// PLUTO_MY_PROTOCOL, PLUTO_MY_PORT and PLUTO_PEER_PORT.
func scriptPorts(p *pair) ports {
	var out ports
	icmp := p.myProtocol == 1 || p.myProtocol == 58
	if p.myPort != "0" {
		if icmp {
			out.myICMP = &icmpMatch{typ: uint8(portFrom(p.myPort))}
		} else {
			out.myPort = parsePorts(p.myPort)
		}
	}
	if p.peerPort != "0" {
		if icmp {
			if out.myICMP == nil {
				out.myICMP = &icmpMatch{}
			}
			out.myICMP.code, out.myICMP.hasCode = uint8(portFrom(p.peerPort)), true
		} else {
			out.peerPort = parsePorts(p.peerPort)
		}
	}
	return out
}

func portFrom(s string) int {
	from, _, _ := strings.Cut(s, ":")
	n, _ := strconv.Atoi(from)
	return n
}

func parsePorts(s string) *portMatch {
	from, to, ok := strings.Cut(s, ":")
	f, _ := strconv.Atoi(from)
	t := f
	if ok {
		t, _ = strconv.Atoi(to)
	}
	return &portMatch{from: uint16(f), to: uint16(t)}
}

// firewallRules returns the rules the default script with "iptables"
// inserts for one invocation, in the order of its "iptables -I CHAIN 1"
// commands (so the last one ends up first in its chain), and the line it
// logs to syslog. iface is PLUTO_INTERFACE for XFRM; with TUN the TUN
// device replaces it and the policy match.
func (l *Listener) firewallRules(ev *event, p *pair, iface string) ([]*fwRule, []string) {
	tun := l.opts.Datapath == TUN
	if tun {
		iface = l.opts.Interface
	}
	pp := scriptPorts(p)
	me := netip.PrefixFrom(ev.me.Addr(), ev.me.Addr().BitLen())
	peer := netip.PrefixFrom(ev.peer.Addr(), ev.peer.Addr().BitLen())
	comment := "goswan " + ev.label()
	var errs []string
	pol := func(in bool) *policyMatch {
		if tun {
			return nil
		}
		return &policyMatch{in: in, reqid: ev.reqID, proto: ev.proto}
	}
	// in: -i IF -p MY_PROTOCOL -s PEER_CLIENT S_PEER_PORT -d DST D_MY_PORT policy in
	in := func(chain fwChain, dst netip.Prefix) *fwRule {
		return &fwRule{V6: p.v6, Chain: chain, In: iface, Proto: p.myProtocol,
			Src: p.peerClient, Dst: dst, sport: pp.peerPort, dport: pp.myPort, icmp: pp.myICMP,
			policy: pol(true), Comment: comment}
	}
	// out: -o IF -p PEER_PROTOCOL -s SRC S_MY_PORT -d PEER_CLIENT D_PEER_PORT policy out
	out := func(chain fwChain, src netip.Prefix) *fwRule {
		return &fwRule{V6: p.v6, Chain: chain, Out: iface, Proto: p.peerProtocol,
			Src: src, Dst: p.peerClient, sport: pp.myPort, dport: pp.peerPort, icmp: pp.myICMP,
			policy: pol(false), Comment: comment}
	}
	var rules []*fwRule
	if p.host {
		rules = append(rules, in(chainInput, me))
		o := out(chainOutput, me)
		// "-s $PLUTO_ME $S_MY_PORT $IPSEC_POLICY_OUT -d ... $D_PEER_PORT"
		o.policyFirst = pp.myPort == nil && pp.myICMP == nil
		rules = append(rules, o)
	} else {
		vip := ev.firstVIP()
		// "$PLUTO_PEER_CLIENT" != "$PLUTO_MY_SOURCEIP/32" (/128)
		if fmt.Sprintf("%s/%d", p.peerClient.Addr(), p.peerClient.Bits()) != fmt.Sprintf("%s/%d", vip, hostBits(p.v6)) {
			rules = append(rules, out(chainForward, p.myClient), in(chainForward, p.myClient))
		}
		if vip != "" || ev.hostAccess {
			rules = append(rules, in(chainInput, p.myClient), out(chainOutput, p.myClient))
		}
	}
	if ev.ipcomp && !tun {
		if ev.me.Addr().Is6() == p.v6 && ev.peer.Addr().Is6() == p.v6 {
			proto := uint8(4)
			if p.v6 {
				proto = 41
			}
			rules = append(rules, &fwRule{V6: p.v6, Chain: chainInput, In: iface, Proto: proto,
				Src: peer, Dst: me, policy: pol(true), Comment: comment})
		}
	}
	// iptables refuses ports or ICMP types without a protocol that has
	// them, and we encode ports for tcp and udp only.
	valid := rules[:0]
	for _, r := range rules {
		if err := r.check(); err != nil {
			errs = append(errs, fmt.Sprintf("updown: skipping firewall rule %s: %v", r, err))
			continue
		}
		valid = append(valid, r)
	}
	if l.opts.VPNLog != nil {
		l.opts.VPNLog(vpnLine(ev, p))
	}
	return valid, errs
}

func (r *fwRule) check() error {
	switch {
	case r.icmp != nil && !(r.Proto == 1 && !r.V6 || r.Proto == 58 && r.V6):
		return fmt.Errorf("ICMP type without protocol icmp (ipv6-icmp)")
	case (r.sport != nil || r.dport != nil) && r.Proto != 6 && r.Proto != 17:
		return fmt.Errorf("ports need protocol tcp or udp")
	case r.Src.IsValid() && r.Src.Addr().Is6() != r.V6, r.Dst.IsValid() && r.Dst.Addr().Is6() != r.V6:
		return fmt.Errorf("address family does not match")
	}
	return nil
}

func hostBits(v6 bool) int {
	if v6 {
		return 128
	}
	return 32
}

// vpnLine is what the default script logs with logger(1) for
// leftfirewall=yes.
func vpnLine(ev *event, p *pair) string {
	sign := "-"
	if ev.up {
		sign = "+"
	}
	peer, me := hostString(ev.peer.Addr()), hostString(ev.me.Addr())
	bits := hostBits(p.v6)
	peerClient := fmt.Sprintf("%s/%d", p.peerClient.Addr(), p.peerClient.Bits())
	line := sign + " " + ev.peerID + " "
	if peerClient == peer+"/"+strconv.Itoa(bits) {
		line += peer + " -- " + me
	} else {
		line += peerClient + " == " + peer + " -- " + me
	}
	if !p.host {
		line += fmt.Sprintf(" == %s/%d", p.myClient.Addr(), p.myClient.Bits())
	}
	return line
}

// firewall handles leftfirewall=yes for one event: on up it inserts the
// rules of every pair, on down it deletes the ones the up inserted.
func (l *Listener) firewall(ev *event, pairs []*pair, iface string) {
	var rules []*fwRule
	for _, p := range pairs {
		rs, errs := l.firewallRules(ev, p, iface)
		if ev.up {
			for _, e := range errs {
				l.logf(ev, log.Ctrl, "%s", e)
			}
			rules = append(rules, rs...)
		}
	}
	if !ev.up {
		st := l.forget(ev.childID)
		if st == nil {
			return
		}
		for _, r := range st.rules {
			l.logf(ev, log.Diag, "updown: deleting firewall rule %s", r.rule)
		}
		if err := l.fw.remove(st.rules); err != nil {
			l.logf(ev, log.Ctrl, "updown: removing firewall rules failed: %v", err)
		}
		if err := l.fw.cleanup(); err != nil {
			l.logf(ev, log.Diag, "updown: %v", err)
		}
		return
	}
	if l.fw.legacyFilter() {
		l.logf(ev, log.Ctrl, "updown: iptables-legacy has a filter table, firewall rules installed with nftables do not open it")
	}
	for _, r := range rules {
		l.logf(ev, log.Diag, "updown: inserting firewall rule %s", r)
	}
	inst, err := l.fw.insert(rules)
	if err != nil {
		l.logf(ev, log.Ctrl, "updown: installing firewall rules failed: %v", err)
	}
	if len(inst) == 0 {
		return
	}
	l.mu.Lock()
	st := l.children[ev.childID]
	if st == nil {
		st = &childState{}
		l.children[ev.childID] = st
	}
	st.rules = append(st.rules, inst...)
	l.mu.Unlock()
}
