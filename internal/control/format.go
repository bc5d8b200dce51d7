package control

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// FormatOptions select what [WriteStatus] prints.
type FormatOptions struct {
	// All selects `ipsec statusall` (header, pools, addresses,
	// connections and SA details); otherwise `ipsec status`.
	All bool
	// Name limits the output to one connection, as `ipsec status NAME`.
	Name string
	// Location is the time zone of the "since" time; nil means
	// time.Local.
	Location *time.Location
	// Names resolves protocol and port names in traffic selectors; nil
	// means the system's /etc/protocols and /etc/services.
	Names NameDB
}

// WriteStatus renders st exactly as strongSwan 5.9.8's `ipsec status`
// (opt.All false) or `ipsec statusall` (opt.All true) does, relative to
// st.Now.
func WriteStatus(w io.Writer, st *Status, opt FormatOptions) error {
	bw := bufio.NewWriter(w)
	p := &printer{w: bw, now: st.Now, names: opt.Names}
	if p.names == nil {
		p.names = systemNames()
	}
	loc := opt.Location
	if loc == nil {
		loc = time.Local
	}
	name := opt.Name
	match := func(n string) bool { return name == "" || name == n }

	if opt.All {
		p.header(&st.Daemon, loc)
		first := true
		for _, pool := range st.Pools {
			if !match(pool.Name) {
				continue
			}
			if first {
				p.line("Virtual IP pools (size/online/offline):")
				first = false
			}
			p.printf("  %s: %d/%d/%d\n", pool.Name, pool.Size, pool.Online, pool.Offline)
		}
		p.line("Listening IP addresses:")
		for _, a := range st.Addresses {
			p.printf("  %s\n", hostString(a))
		}
		p.line("Connections:")
		for i := range st.Conns {
			if match(st.Conns[i].Name) {
				p.conn(&st.Conns[i])
			}
		}
	}
	first := true
	for _, sh := range st.Shunts {
		if !match(sh.Name) {
			continue
		}
		if first {
			p.line("Shunted Connections:")
			first = false
		}
		p.printf("%s:  %s === %s %s\n", pad(sh.Name), tsList(sh.LocalTS, p.names), tsList(sh.RemoteTS, p.names), sh.Mode)
	}
	first = true
	for i := range st.Routed {
		if !match(st.Routed[i].Name) {
			continue
		}
		if first {
			p.line("Routed Connections:")
			first = false
		}
		p.child(&st.Routed[i], opt.All)
	}
	p.printf("Security Associations (%d up, %d connecting):\n", st.Up, st.Connecting)
	found := false
	for i := range st.IKESAs {
		ike := &st.IKESAs[i]
		printed := false
		if match(ike.Name) {
			p.ike(ike, opt.All)
			found, printed = true, true
		}
		for j := range ike.Children {
			c := &ike.Children[j]
			if !match(c.Name) {
				continue
			}
			if !printed {
				p.ike(ike, opt.All)
				found, printed = true, true
			}
			p.child(c, opt.All)
		}
	}
	if !found {
		if name != "" {
			p.line("  no match")
		} else {
			p.line("  none")
		}
	}
	return bw.Flush()
}

type printer struct {
	w     *bufio.Writer
	now   time.Time
	names NameDB
}

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }
func (p *printer) line(s string)                     { p.w.WriteString(s); p.w.WriteByte('\n') }

func (p *printer) header(d *DaemonInfo, loc *time.Location) {
	p.printf("Status of IKE charon daemon (%s", d.Software)
	if d.Sysname != "" {
		p.printf(", %s %s, %s", d.Sysname, d.Release, d.Machine)
	}
	p.line("):")
	p.printf("  uptime: %s, since %s\n", delta(p.now, d.Started), timeString(d.Started, loc))
	if m := d.Memory; m != nil {
		p.printf("  malloc: sbrk %d, mmap %d, used %d, free %d\n", m.Sbrk, m.Mmap, m.Used, m.Free)
	}
	wk := &d.Workers
	p.printf("  worker threads: %d of %d idle, %d/%d/%d/%d working, job queue: %d/%d/%d/%d, scheduled: %d\n",
		wk.Idle, wk.Total, wk.Working[0], wk.Working[1], wk.Working[2], wk.Working[3],
		wk.Queued[0], wk.Queued[1], wk.Queued[2], wk.Queued[3], wk.Scheduled)
	p.printf("  loaded plugins: %s\n", strings.Join(d.Plugins, " "))
}

func (p *printer) conn(c *Conn) {
	name := pad(c.Name)
	p.printf("%s:  %s...%s  %s", name, c.Local, c.Remote, ikeVersion(c.Version))
	if c.Version == 1 && c.Aggressive {
		p.w.WriteString(" Aggressive")
	}
	dpd := int64(c.DPDDelay / time.Second)
	if dpd != 0 {
		p.printf(", dpddelay=%ds", dpd)
	}
	p.w.WriteByte('\n')
	p.auths(name, c.LocalAuth, true)
	p.auths(name, c.RemoteAuth, false)
	for i := range c.Children {
		ch := &c.Children[i]
		p.printf("%s:   child:  %s === %s %s", pad(ch.Name), tsList(ch.LocalTS, p.names), tsList(ch.RemoteTS, p.names), ch.Mode)
		if dpd != 0 {
			action := ch.DPDAction
			if action == "" {
				action = "none"
			}
			p.printf(", dpdaction=%s", action)
		}
		p.w.WriteByte('\n')
	}
}

func (p *printer) auths(name string, list []Auth, local bool) {
	for i := range list {
		a := &list[i]
		if local {
			p.printf("%s:   local: ", name)
		} else {
			p.printf("%s:   remote:", name)
		}
		if a.ID != "" {
			p.printf(" [%s]", a.ID)
		}
		p.w.WriteString(" uses ")
		class := a.Class
		if class == "" {
			class = AuthAny
		}
		switch class {
		case AuthEAP:
			if a.EAPType == "" {
				p.w.WriteString("EAP authentication")
			} else {
				p.printf("%s authentication", a.EAPType)
			}
			if a.EAPIdentity != "" {
				p.printf(" with EAP identity '%s'", a.EAPIdentity)
			}
		case AuthXAuth:
			backend := a.XAuthBackend
			if backend == "" {
				backend = "any"
			}
			p.printf("%s authentication: %s", class, backend)
			if a.XAuthIdentity != "" {
				p.printf(" with XAuth identity '%s'", a.XAuthIdentity)
			}
		default:
			p.printf("%s authentication", class)
		}
		p.w.WriteByte('\n')
		if a.CACert != "" {
			p.printf("%s:    ca:    \"%s\"\n", name, a.CACert)
		}
		if a.IMCert != "" {
			p.printf("%s:    im-ca: \"%s\"\n", name, a.IMCert)
		}
		if a.Cert != "" {
			p.printf("%s:    cert:  \"%s\"\n", name, a.Cert)
		}
		if t := requirementText(a.OCSP); t != "" {
			p.printf("%s:    ocsp:  %s\n", name, t)
		}
		if t := requirementText(a.CRL); t != "" {
			p.printf("%s:    crl:   %s\n", name, t)
		}
		for _, g := range a.Groups {
			p.printf("%s:    group: %s\n", name, g)
		}
	}
}

func requirementText(r Requirement) string {
	switch r {
	case RequireGood:
		return "status must be GOOD"
	case RequireGoodOrSkipped:
		return "status must be GOOD or SKIPPED"
	}
	return ""
}

func (p *printer) ike(s *IKESA, all bool) {
	id := pad(s.Name) + "[" + strconv.FormatUint(uint64(s.UniqueID), 10) + "]"
	p.printf("%s: %s", id, s.State)
	if s.State == IKEEstablished {
		p.printf(" %s ago", delta(p.now, s.Established))
	}
	p.printf(", %s[%s]...%s[%s]\n", hostString(s.LocalHost), s.LocalID, hostString(s.RemoteHost), s.RemoteID)
	if !all {
		return
	}
	if s.RemoteEAPID != "" && s.RemoteEAPID != s.RemoteID {
		kind := "EAP"
		if s.Version == 1 {
			kind = "XAuth"
		}
		p.printf("%s: Remote %s identity: %s\n", id, kind, s.RemoteEAPID)
	}
	mi, mr := "", "*"
	if s.Initiator {
		mi, mr = "*", ""
	}
	p.printf("%s: %s SPIs: %016x_i%s %016x_r%s", id, ikeVersion(s.Version), s.InitiatorSPI, mi, s.ResponderSPI, mr)
	if s.State == IKEEstablished {
		if !s.Rekey.IsZero() {
			p.printf(", rekeying in %s", delta(s.Rekey, p.now))
		}
		if !s.Reauth.IsZero() {
			p.printf(", %s reauthentication in %s", strings.Join(s.AuthClasses, "+"), delta(s.Reauth, p.now))
		}
		if s.Rekey.IsZero() && s.Reauth.IsZero() {
			p.w.WriteString(", rekeying disabled")
		}
	}
	p.w.WriteByte('\n')
	if s.Proposal != "" {
		p.printf("%s: IKE proposal: %s\n", id, s.Proposal)
	}
	for _, q := range []struct {
		name  string
		tasks []string
	}{{"queued", s.TasksQueued}, {"active", s.TasksActive}, {"passive", s.TasksPassive}} {
		if len(q.tasks) == 0 {
			continue
		}
		p.printf("%s: Tasks %s: ", id, q.name)
		for _, t := range q.tasks {
			p.w.WriteString(t)
			p.w.WriteByte(' ')
		}
		p.w.WriteByte('\n')
	}
}

func (p *printer) child(c *ChildSA, all bool) {
	id := pad(c.Name) + "{" + strconv.FormatUint(uint64(c.UniqueID), 10) + "}"
	proxy := ""
	if c.Proxy {
		proxy = "_PROXY"
	}
	p.printf("%s:  %s, %s%s, reqid %d", id, c.State, c.Mode, proxy, c.ReqID)
	switch c.State {
	case ChildInstalled:
		encap := ""
		if c.Encap {
			encap = " in UDP"
		}
		p.printf(", %s%s SPIs: %08x_i %08x_o", c.Protocol, encap, c.SPIIn, c.SPIOut)
		if c.IPComp {
			p.printf(", IPCOMP CPIs: %04x_i %04x_o", c.CPIIn, c.CPIOut)
		}
		if all {
			p.printf("\n%s:  ", id)
			p.algorithms(&c.Algorithms)
			p.printf(", %d bytes_i", c.BytesIn)
			if !c.LastIn.IsZero() {
				p.printf(" (%d pkt%s, %ds ago)", c.PacketsIn, plural(c.PacketsIn), seconds(p.now.Sub(c.LastIn)))
			}
			p.printf(", %d bytes_o", c.BytesOut)
			if !c.LastOut.IsZero() {
				p.printf(" (%d pkt%s, %ds ago)", c.PacketsOut, plural(c.PacketsOut), seconds(p.now.Sub(c.LastOut)))
			}
			p.w.WriteString(", rekeying ")
			switch {
			case c.Rekey.IsZero():
				p.w.WriteString("disabled")
			case seconds(p.now.Sub(c.Rekey)) > 0:
				p.w.WriteString("active")
			default:
				p.printf("in %s", delta(p.now, c.Rekey))
			}
		}
	case ChildRekeying, ChildRekeyed:
		p.printf(", expires in %s", delta(p.now, c.Expire))
	}
	p.printf("\n%s:   %s === %s\n", id, tsList(c.LocalTS, p.names), tsList(c.RemoteTS, p.names))
}

func (p *printer) algorithms(a *ChildAlgorithms) {
	first := true
	if a.Encryption != "" {
		p.w.WriteString(a.Encryption)
		if a.EncryptionKeyLen != 0 {
			p.printf("_%d", a.EncryptionKeyLen)
		}
		first = false
	}
	if a.Integrity != "" {
		if !first {
			p.w.WriteByte('/')
		}
		p.w.WriteString(a.Integrity)
		if a.IntegrityKeyLen != 0 {
			p.printf("_%d", a.IntegrityKeyLen)
		}
	}
	if a.KE != "" {
		p.printf("/%s", a.KE)
	}
	if a.ESN {
		p.w.WriteString("/ESN")
	}
}

// WriteLeases renders leases as strongSwan 5.9.8's `ipsec leases [POOL
// [ADDRESS]]`: pool and address filter as there (an address that does not
// parse filters nothing).
func WriteLeases(w io.Writer, l *Leases, pool, address string) error {
	bw := bufio.NewWriter(w)
	addr, err := netip.ParseAddr(address)
	filter := err == nil
	found := 0
	for _, pl := range l.Pools {
		if pool != "" && pl.Name != pool {
			continue
		}
		found++
		fmt.Fprintf(bw, "Leases in pool '%s', usage: %d/%d, %d online\n", pl.Name, pl.Online+pl.Offline, pl.Size, pl.Online)
		n := 0
		for _, lease := range pl.Leases {
			if filter && lease.Address.Unmap() != addr.Unmap() {
				continue
			}
			state := "offline"
			if lease.Online {
				state = "online"
			}
			fmt.Fprintf(bw, "  %15s   %s   '%s'\n", hostString(lease.Address), state, lease.Identity)
			n++
		}
		if n == 0 {
			bw.WriteString("  no matching leases found\n")
		}
	}
	if found == 0 {
		if pool != "" {
			fmt.Fprintf(bw, "pool '%s' not found\n", pool)
		} else {
			bw.WriteString("no pools found\n")
		}
	}
	return bw.Flush()
}

// pad right-aligns a name in 12 columns, counting bytes as C's %12s does.
func pad(s string) string {
	if len(s) >= 12 {
		return s
	}
	return strings.Repeat(" ", 12-len(s)) + s
}

func ikeVersion(v int) string {
	switch v {
	case 1:
		return "IKEv1"
	case 2:
		return "IKEv2"
	}
	return "IKEv1/2"
}

// hostString prints an IKE address as strongSwan's %H: unspecified
// addresses as %any / %any6.
func hostString(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "%any"
	case a.IsUnspecified() && a.Is6():
		return "%any6"
	case a.IsUnspecified():
		return "%any"
	}
	return a.String()
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// delta renders |a-b| in whole seconds as strongSwan's %V does: seconds up
// to two minutes, then minutes up to two hours, hours up to two days, days.
func delta(a, b time.Time) string {
	d := seconds(a.Sub(b))
	if d < 0 {
		d = -d
	}
	unit := "second"
	switch {
	case d > 2*60*60*24:
		d /= 60 * 60 * 24
		unit = "day"
	case d > 2*60*60:
		d /= 60 * 60
		unit = "hour"
	case d > 2*60:
		d /= 60
		unit = "minute"
	}
	if d != 1 {
		unit += "s"
	}
	return strconv.FormatInt(d, 10) + " " + unit
}

// timeString renders t as strongSwan's %T in local time: "Nov 27 14:56:40
// 2026"; a zero time as dashes.
func timeString(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "--- -- --:--:-- ----"
	}
	return t.In(loc).Format("Jan 02 15:04:05 2006")
}
