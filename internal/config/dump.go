package config

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dump writes the whole configuration in a readable form, for
// `ipsec configtest -v`: strongswan.conf as loaded, every resolved conn and
// ca with all values (defaults included) and where each was set, and the
// secrets with the secret values hidden.
func Dump(w io.Writer, cfg *Config) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# strongswan.conf: %s\n", strings.Join(cfg.Settings.Files, ", "))
	cfg.Settings.dump(bw)
	fmt.Fprintf(bw, "\n# ipsec.conf: %s\n", cfg.IPsecConf.File)
	cfg.IPsecConf.dump(bw)
	fmt.Fprintf(bw, "\n# ipsec.secrets: %s\n", cfg.Secrets.File)
	cfg.Secrets.dump(bw)
	return bw.Flush()
}

// Dump writes the resolved ipsec.conf (see the package-level Dump).
func (c *IPsecConf) Dump(w io.Writer) error {
	bw := bufio.NewWriter(w)
	c.dump(bw)
	return bw.Flush()
}

// Dump writes the settings tree as strongswan.conf text.
func (s *Settings) Dump(w io.Writer) error {
	bw := bufio.NewWriter(w)
	s.dump(bw)
	return bw.Flush()
}

// Dump writes the secrets entries with the secret values hidden.
func (s *Secrets) Dump(w io.Writer) error {
	bw := bufio.NewWriter(w)
	s.dump(bw)
	return bw.Flush()
}

// dumper writes "key=value" lines with a trailing "# origin" comment.
type dumper struct {
	w      *bufio.Writer
	indent string
	o      origins
}

func (d *dumper) line(key, canon, value string) {
	text := d.indent + key + "=" + value
	if pos, ok := d.o[canon]; ok {
		text = padTo(text, 44) + " # " + pos.String()
	}
	d.w.WriteString(text + "\n")
}

// str writes a string setting only if it is set.
func (d *dumper) str(key, value string) {
	if value != "" {
		d.line(key, canonOf(key), quoteDump(value))
	}
}

func (d *dumper) val(key, value string) { d.line(key, canonOf(key), value) }

func canonOf(key string) string {
	if info, _, ok := lookupKeyword(key); ok {
		return info.canon
	}
	return key
}

func padTo(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

func quoteDump(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\"#=\n\r\\") {
		return strconv.Quote(v)
	}
	return v
}

func yesNo(b bool) string { return pick(b, "yes", "no") }

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// FormatDuration renders d in ipsec.conf syntax (3h, 20m, 150s).
func FormatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s != 0 && s%3600 == 0:
		return strconv.FormatInt(s/3600, 10) + "h"
	case s != 0 && s%60 == 0:
		return strconv.FormatInt(s/60, 10) + "m"
	}
	return strconv.FormatInt(s, 10) + "s"
}

func (c *IPsecConf) dump(w *bufio.Writer) {
	if c.Invalid {
		w.WriteString("# this file has fatal errors: strongSwan's starter would refuse to load it\n")
	}
	s := c.Setup
	head := "config setup"
	if s.Pos.IsValid() {
		head = padTo(head, 44) + " # " + s.Pos.String()
	}
	w.WriteString(head + "\n")
	d := &dumper{w: w, indent: "    ", o: s.origins}
	d.str("charondebug", s.CharonDebug)
	d.val("uniqueids", s.UniqueIDs.String())
	d.val("cachecrls", yesNo(s.CacheCRLs))
	d.val("strictcrlpolicy", s.StrictCRLPolicy.String())

	for _, ca := range c.CAs {
		w.WriteString("\n")
		head := "ca " + ca.Name
		w.WriteString(padTo(head, 44) + " # " + ca.Pos.String())
		if len(ca.Parents) > 0 {
			w.WriteString(", inherits " + strings.Join(ca.Parents, ", "))
		}
		if ca.Invalid {
			w.WriteString(", IGNORED because of errors")
		}
		w.WriteString("\n")
		d := &dumper{w: w, indent: "    ", o: ca.origins}
		d.val("auto", ca.Auto.String())
		d.str("cacert", ca.CACert)
		d.str("crluri", ca.CRLURI)
		d.str("crluri2", ca.CRLURI2)
		d.str("ocspuri", ca.OCSPURI)
		d.str("ocspuri2", ca.OCSPURI2)
		d.str("certuribase", ca.CertURIBase)
	}
	for _, conn := range c.Conns {
		w.WriteString("\n")
		conn.dump(w)
	}
}

func (c *Conn) dump(w *bufio.Writer) {
	w.WriteString(padTo("conn "+c.Name, 44) + " # " + c.Pos.String())
	if len(c.Parents) > 0 {
		w.WriteString(", inherits " + strings.Join(c.Parents, ", "))
	}
	if c.Invalid {
		w.WriteString(", IGNORED because of errors")
	}
	w.WriteString("\n")
	d := &dumper{w: w, indent: "    ", o: c.origins}
	d.val("auto", c.Auto.String())
	d.val("keyexchange", c.KeyExchange.String())
	mode := c.Mode.String()
	if c.ProxyMode {
		mode = "transport_proxy"
	}
	d.val("type", mode)
	d.str("authby", c.AuthBy)
	d.str("ike", c.IKE)
	d.str("esp", c.ESP)
	d.str("ah", c.AH)
	d.val("ikelifetime", FormatDuration(c.IKELifetime))
	d.val("lifetime", FormatDuration(c.Lifetime))
	d.val("rekeymargin", FormatDuration(c.RekeyMargin))
	d.val("rekeyfuzz", strconv.FormatUint(uint64(c.RekeyFuzz), 10)+"%")
	tries := strconv.FormatUint(uint64(c.KeyingTries), 10)
	if c.KeyingTries == 0 {
		tries = "%forever"
	}
	d.val("keyingtries", tries)
	for _, n := range []struct {
		key string
		v   uint64
	}{{"lifebytes", c.LifeBytes}, {"marginbytes", c.MarginBytes}, {"lifepackets", c.LifePackets}, {"marginpackets", c.MarginPackets}} {
		if n.v != 0 {
			d.val(n.key, strconv.FormatUint(n.v, 10))
		}
	}
	d.val("rekey", yesNo(c.Rekey))
	d.val("reauth", yesNo(c.Reauth))
	d.val("dpddelay", FormatDuration(c.DPDDelay))
	d.val("dpdtimeout", FormatDuration(c.DPDTimeout))
	d.val("dpdaction", c.DPDAction.String())
	d.val("closeaction", c.CloseAction.String())
	if c.Inactivity != 0 {
		d.val("inactivity", FormatDuration(c.Inactivity))
	}
	d.val("mobike", yesNo(c.Mobike))
	d.val("forceencaps", yesNo(c.ForceEncaps))
	d.val("fragmentation", c.Fragmentation.String())
	d.val("compress", yesNo(c.Compress))
	d.val("installpolicy", yesNo(c.InstallPolicy))
	d.val("aggressive", yesNo(c.Aggressive))
	d.val("sha256_96", yesNo(c.SHA256_96))
	if c.IKEDSCP != 0 {
		d.val("ikedscp", fmt.Sprintf("%06b", c.IKEDSCP))
	}
	if c.ReqID != 0 {
		d.val("reqid", strconv.FormatUint(uint64(c.ReqID), 10))
	}
	d.val("replay_window", strconv.FormatInt(c.ReplayWindow, 10))
	if c.MarkIn != (Mark{}) {
		d.val("mark_in", c.MarkIn.String())
	}
	if c.MarkOut != (Mark{}) {
		d.val("mark_out", c.MarkOut.String())
	}
	if c.TFC == TFCMTU {
		d.val("tfc", "%mtu")
	} else if c.TFC != 0 {
		d.val("tfc", strconv.FormatUint(uint64(c.TFC), 10))
	}
	d.val("modeconfig", pick(c.ModeConfigPush, "push", "pull"))
	d.val("xauth", pick(c.XAuthServer, "server", "client"))
	d.str("eap_identity", c.EAPIdentity)
	d.str("aaa_identity", c.AAAIdentity)
	d.str("xauth_identity", c.XAuthIdentity)
	if c.Mediation {
		d.val("mediation", "yes")
	}
	d.str("mediated_by", c.MediatedBy)
	d.str("me_peerid", c.MEPeerID)
	c.Left.dump(d, "left")
	c.Right.dump(d, "right")
}

func (e *End) dump(d *dumper, side string) {
	d.val(side, quoteDump(e.Host))
	d.val(side+"allowany", yesNo(e.AllowAny))
	d.val(side+"ikeport", strconv.Itoa(int(e.IKEPort)))
	d.str(side+"id", e.ID)
	d.str(side+"id2", e.ID2)
	d.val(side+"auth", e.Auth)
	d.str(side+"auth2", e.Auth2)
	d.str(side+"cert", strings.Join(e.Certs, ","))
	d.str(side+"cert2", strings.Join(e.Certs2, ","))
	d.str(side+"ca", e.CA)
	d.str(side+"ca2", e.CA2)
	d.val(side+"sendcert", e.SendCert.String())
	d.str(side+"sigkey", e.SigKey)
	d.str(side+"groups", strings.Join(e.Groups, ","))
	d.str(side+"groups2", strings.Join(e.Groups2, ","))
	d.str(side+"certpolicy", strings.Join(e.CertPolicy, ","))
	var ts []string
	for _, t := range e.TS {
		ts = append(ts, t.String())
	}
	d.val(side+"subnet", strings.Join(ts, ","))
	var sips []string
	for _, s := range e.SourceIPs {
		sips = append(sips, s.Raw)
	}
	d.str(side+"sourceip", strings.Join(sips, ","))
	var dns []string
	for _, s := range e.DNS {
		dns = append(dns, s.String())
	}
	d.str(side+"dns", strings.Join(dns, ","))
	d.val(side+"firewall", yesNo(e.Firewall))
	d.val(side+"hostaccess", yesNo(e.HostAccess))
	d.str(side+"updown", e.Updown)
}

func (s *Secrets) dump(w *bufio.Writer) {
	for _, e := range s.Entries {
		var b strings.Builder
		for _, sel := range e.Selectors {
			b.WriteString(quoteDump(sel) + " ")
		}
		b.WriteString(": " + e.Type.String() + " ")
		switch {
		case e.Type.IsShared():
			fmt.Fprintf(&b, "<%d bytes hidden>", len(e.Secret))
		case e.Type == SecretPIN:
			b.WriteString(e.File)
		default:
			b.WriteString(quoteDump(e.Path))
		}
		switch {
		case e.Prompt:
			b.WriteString(" %prompt")
		case len(e.Passphrases) > 0:
			fmt.Fprintf(&b, " <%d passphrase(s) hidden>", len(e.Passphrases))
		}
		w.WriteString(padTo(b.String(), 44) + " # " + e.Pos.String() + "\n")
	}
}

func (s *Settings) dump(w *bufio.Writer) {
	if s.Invalid {
		w.WriteString("# this file has syntax errors: charon would refuse to start\n")
	}
	dumpSection(w, s.root, "")
}

func dumpSection(w *bufio.Writer, sec *settingsSection, indent string) {
	for _, kv := range sec.kvOrder {
		text := indent + kv.key + " ="
		if kv.set {
			text += " " + settingsQuote(kv.value)
		}
		if kv.pos.IsValid() {
			text = padTo(text, 44) + " # " + kv.pos.String()
		}
		w.WriteString(text + "\n")
	}
	subs := sec.subOrder
	for _, c := range subs {
		head := indent + c.name
		var refs []string
		for _, r := range c.refs {
			if !r.permanent {
				refs = append(refs, r.name)
			}
		}
		if len(refs) > 0 {
			head += " : " + strings.Join(refs, ", ")
		}
		head += " {"
		var fallbacks []string
		for _, r := range c.refs {
			if r.permanent {
				fallbacks = append(fallbacks, r.name)
			}
		}
		sort.Strings(fallbacks)
		if len(fallbacks) > 0 {
			head = padTo(head, 44) + " # falls back to " + strings.Join(fallbacks, ", ")
		}
		w.WriteString(head + "\n")
		dumpSection(w, c, indent+"    ")
		w.WriteString(indent + "}\n")
	}
}

func settingsQuote(v string) string {
	if v == "" || strings.ContainsAny(v, "#}\"\n\r\t\\") || strings.Contains(v, "  ") ||
		strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
		return strconv.Quote(v)
	}
	return v
}

// DumpRaw writes the sections as written (merged per name, also= kept),
// in ipsec.conf syntax with the origin of every line.
func (c *IPsecConf) DumpRaw(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for i, s := range c.Sections {
		if i > 0 {
			bw.WriteString("\n")
		}
		head := "config setup"
		if s.Kind != KindSetup {
			head = s.Kind.String() + " " + quoteDump(s.Name)
		}
		bw.WriteString(padTo(head, 44) + " # " + s.Pos.String() + "\n")
		for _, st := range s.Settings {
			text := "    " + st.Key + "="
			if !st.Unset {
				text += quoteDump(st.Value)
			}
			bw.WriteString(padTo(text, 44) + " # " + st.Pos.String() + "\n")
		}
		for _, a := range s.Also {
			bw.WriteString(padTo("    also="+quoteDump(a.Name), 44) + " # " + a.Pos.String() + "\n")
		}
	}
	return bw.Flush()
}
