package config

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// IPsecConf is a parsed ipsec.conf.
type IPsecConf struct {
	File string
	// Invalid is set when starter would refuse the whole file: a syntax
	// error, an error in config setup, or an also= that cannot be resolved.
	Invalid bool
	// Sections holds the raw sections (config setup, conns and cas,
	// including %default) in the order they first appear.
	Sections []*Section
	// Setup is the resolved config setup section (defaults if absent).
	Setup Setup
	// Conns holds every conn section except %default, resolved, in file
	// order; conns with auto=ignore are included.
	Conns []*Conn
	// CAs holds every ca section except %default, resolved, in file order.
	CAs []*CA
}

// Conn returns the resolved conn called name, or nil.
func (c *IPsecConf) Conn(name string) *Conn {
	for _, conn := range c.Conns {
		if conn.Name == name {
			return conn
		}
	}
	return nil
}

// CA returns the resolved ca section called name, or nil.
func (c *IPsecConf) CA(name string) *CA {
	for _, ca := range c.CAs {
		if ca.Name == name {
			return ca
		}
	}
	return nil
}

// Section returns the raw section of the given kind and name ("" for config
// setup), or nil.
func (c *IPsecConf) Section(kind SectionKind, name string) *Section {
	for _, s := range c.Sections {
		if s.Kind == kind && s.Name == name {
			return s
		}
	}
	return nil
}

// origins records where each resolved value came from, by canonical
// keyword (aliases such as keylife map to lifetime).
type origins map[string]Pos

// Origin returns the file:line a keyword's value came from (through
// %default and also= if inherited); false if the default applies.
// Aliases are accepted (keylife finds lifetime).
func (o origins) Origin(keyword string) (Pos, bool) {
	if info, _, ok := lookupKeyword(keyword); ok {
		keyword = info.canon
	}
	p, ok := o[keyword]
	return p, ok
}

// Setup is the resolved config setup section.
type Setup struct {
	Pos Pos // of the section header (zero if there is none)
	// Invalid is set if the section had an error (starter refuses to run).
	Invalid         bool
	CharonDebug     string
	UniqueIDs       UniqueIDs // default yes
	CacheCRLs       bool
	StrictCRLPolicy StrictCRLPolicy
	origins
}

// CA is a resolved ca section.
type CA struct {
	Name string
	Pos  Pos
	// Invalid is set if the section had an error; starter ignores it.
	Invalid bool
	// Auto is AutoIgnore or AutoAdd (route and start mean add).
	Auto        Auto
	Parents     []string // linearized also= chain, most important first
	CACert      string   // relative to ipsec.d/cacerts, or absolute, or %smartcard...
	CRLURI      string
	CRLURI2     string
	OCSPURI     string
	OCSPURI2    string
	CertURIBase string
	origins
}

// UpdownFirewall is the updown command leftfirewall=yes stands for.
const UpdownFirewall = "ipsec _updown iptables"

// Conn is a resolved conn section with strongSwan 5.9's defaults applied.
type Conn struct {
	Name string
	Pos  Pos // of the section header
	// Invalid is set if the conn (or what it inherits) had an error that
	// makes starter ignore the conn.
	Invalid bool
	// Parents is the linearized also= chain, most important first, ending
	// with %default if there is one.
	Parents []string

	Auto        Auto        // default ignore
	KeyExchange KeyExchange // default ike (IKEv2 initiator, any responder)
	Mode        Mode        // default tunnel
	// ProxyMode is set by type=transport_proxy (Mode is then transport).
	ProxyMode bool
	// AuthBy is the deprecated authby= value ("" if unset); it has already
	// been mapped to Left/Right.Auth(2) when those were unset.
	AuthBy        string
	EAPIdentity   string
	AAAIdentity   string
	XAuthIdentity string
	Mobike        bool // default yes
	ForceEncaps   bool
	Fragmentation Fragmentation // default yes
	IKEDSCP       uint8
	IKELifetime   time.Duration // default 3h
	Lifetime      time.Duration // lifetime/keylife, default 1h
	RekeyMargin   time.Duration // rekeymargin/margintime, default 9m
	LifeBytes     uint64        // 0: no limit
	MarginBytes   uint64
	LifePackets   uint64 // 0: no limit
	MarginPackets uint64
	// KeyingTries is keyingtries=, default 3; 0 means %forever.
	KeyingTries uint32
	RekeyFuzz   uint32 // percent, default 100
	Rekey       bool   // default yes
	Reauth      bool   // default yes
	// IKE, ESP, AH are the proposal strings as written ("" for the
	// default); a trailing '!' makes them strict.
	IKE, ESP, AH   string
	DPDDelay       time.Duration // default 30s
	DPDTimeout     time.Duration // default 150s
	DPDAction      Action
	CloseAction    Action
	SHA256_96      bool
	Inactivity     time.Duration
	ModeConfigPush bool // modeconfig=push (default pull)
	XAuthServer    bool // xauth=server (default client)
	Mediation      bool
	MediatedBy     string
	MEPeerID       string
	ReqID          uint32
	// ReplayWindow is -1 (the default) to use charon.replay_window.
	ReplayWindow  int64
	MarkIn        Mark
	MarkOut       Mark
	TFC           uint32 // TFCMTU for %mtu
	InstallPolicy bool   // default yes
	Aggressive    bool
	Compress      bool

	Left, Right End
	origins
}

// TFCMTU is Conn.TFC for tfc=%mtu.
const TFCMTU = ^uint32(0)

// End is the left or right end of a conn.
type End struct {
	// Host is left= as written without a leading '%' (see AllowAny), with
	// %defaultroute replaced by %any; "%any" if unset.
	Host  string
	Hosts []HostSpec
	// AllowAny is set by leftallowany=yes or a '%' before the host.
	AllowAny bool
	IKEPort  uint16 // default 500
	// Subnet is leftsubnet= as written ("" if unset).
	Subnet string
	// TS holds the traffic selectors: the valid leftsubnet= entries with
	// leftprotoport= applied, or one dynamic selector without leftsubnet.
	TS []TrafficSelector
	// Protocol, FromPort, ToPort come from leftprotoport= (default any).
	Protocol         uint8
	FromPort, ToPort uint16
	SourceIPs        []SourceIP
	DNS              []DNSServer
	Firewall         bool
	HostAccess       bool
	// Updown is the updown command line; leftfirewall=yes sets
	// UpdownFirewall. Empty: no script.
	Updown string
	// Auth and Auth2 are the authentication methods of the two rounds;
	// Auth defaults to "pubkey", Auth2 "" means no second round.
	Auth, Auth2 string
	// ID and ID2 are leftid=/leftid2= as written ("" if unset: the host or
	// the certificate subject is used).
	ID, ID2 string
	SigKey  string
	// Certs and Certs2 are the comma-separated leftcert=/leftcert2= files
	// (relative to ipsec.d/certs) or %smartcard specifiers.
	Certs, Certs2 []string
	CertPolicy    []string
	SendCert      SendCert // default ifasked
	CA, CA2       string
	Groups        []string
	Groups2       []string
}

// LoadIPsecConf reads and parses an ipsec.conf file and what it includes.
// fsys may be nil for the real file system.
func LoadIPsecConf(fsys FS, path string) (*IPsecConf, []Diagnostic) {
	fsys = orOS(fsys)
	data, err := readConfigFile(fsys, path)
	if err != nil {
		var d diags
		d.errorf(Pos{File: path}, "failed to open config file '%s': %s", path, errText(err))
		conf := resolveIPsecConf(path, &confParser{d: &d}, &d)
		conf.Invalid = true
		return conf, d.sorted()
	}
	return ParseIPsecConf(fsys, path, data)
}

// ParseIPsecConf parses src as the contents of the ipsec.conf at path;
// includes are resolved relative to path's directory and read from fsys
// (nil for the real file system).
func ParseIPsecConf(fsys FS, path string, src []byte) (*IPsecConf, []Diagnostic) {
	var d diags
	lx := &confLexer{inc: &includer{fsys: orOS(fsys), d: &d}, d: &d}
	lx.scanFile(path, src, 0)
	p := &confParser{
		toks:  lx.toks,
		eof:   endPos(path, src),
		d:     &d,
		conns: map[string]*Section{},
		cas:   map[string]*Section{},
	}
	p.parse()
	syntaxErrors := HasErrors(d.list)
	conf := resolveIPsecConf(path, p, &d)
	conf.Invalid = conf.Invalid || syntaxErrors
	return conf, d.sorted()
}

func resolveIPsecConf(path string, p *confParser, d *diags) *IPsecConf {
	conf := &IPsecConf{File: path, Sections: p.sections}

	conf.Setup = buildSetup(p.setup, d)
	conf.Invalid = conf.Setup.Invalid

	var connSecs, caSecs []*Section
	for _, s := range p.sections {
		switch s.Kind {
		case KindConn:
			connSecs = append(connSecs, s)
		case KindCA:
			caSecs = append(caSecs, s)
		}
	}
	connParents, connBad := linearize(connSecs, p.conns, d)
	caParents, caBad := linearize(caSecs, p.cas, d)
	if len(connBad) > 0 || len(caBad) > 0 {
		conf.Invalid = true
	}
	for _, s := range caSecs {
		if s.Name == "%default" {
			continue
		}
		conf.CAs = append(conf.CAs, buildCA(s, caParents[s], caBad[s], d))
	}
	for _, s := range connSecs {
		if s.Name == "%default" {
			continue
		}
		conf.Conns = append(conf.Conns, buildConn(s, connParents[s], connBad[s], d))
	}
	return conf
}

// linearize resolves the also= references of sections of one kind, as
// starter does: a section's own settings come first, then those of its
// also= sections with the last also= most important, each followed by what
// it inherits itself; of a section reached twice only the last occurrence
// counts; %default comes last. It returns the parents of every section and
// the sections with unresolvable references.
func linearize(order []*Section, byName map[string]*Section, d *diags) (map[*Section][]*Section, map[*Section]bool) {
	def := byName["%default"]
	parents := map[*Section][]*Section{}
	done := map[*Section]bool{}
	bad := map[*Section]bool{}
	if def != nil {
		done[def] = true
		for _, a := range def.Also {
			d.warnf(a.Pos, "also= in a %%default section is ignored")
		}
	}
	var resolve func(s *Section, stack []*Section)
	resolve = func(s *Section, stack []*Section) {
		stack = append(stack, s)
		var list []*Section
		for i := len(s.Also) - 1; i >= 0; i-- {
			a := s.Also[i]
			parent := byName[a.Name]
			switch {
			case parent == nil:
				d.errorf(a.Pos, "section '%s' referenced in section '%s' not found", a.Name, s.Name)
				bad[s] = true
				continue
			case containsSection(stack, parent):
				d.errorf(a.Pos, "section '%s' referenced in section '%s' causes a loop", parent.Name, s.Name)
				bad[s] = true
				continue
			}
			if !done[parent] {
				resolve(parent, stack)
			}
			if bad[parent] {
				bad[s] = true
			}
			list = append(list, parent)
			list = append(list, parents[parent]...)
		}
		var out []*Section
		for i, sec := range list {
			if !containsSection(list[i+1:], sec) {
				out = append(out, sec)
			}
		}
		if def != nil && s != def && !containsSection(out, def) {
			out = append(out, def)
		}
		parents[s] = out
		done[s] = true
	}
	for _, s := range order {
		if !done[s] {
			resolve(s, nil)
		}
	}
	return parents, bad
}

func containsSection(list []*Section, s *Section) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ownedSetting is a setting with the section it is written in.
type ownedSetting struct {
	Setting
	owner *Section
}

// effective lists the settings that apply to s in starter's order: s's own
// settings sorted by key, then each parent's, skipping keys already seen;
// unset keys hide inherited values and are dropped.
func effective(s *Section, parents []*Section) []ownedSetting {
	seen := map[string]bool{}
	var out []ownedSetting
	for _, sec := range append([]*Section{s}, parents...) {
		sorted := append([]Setting(nil), sec.Settings...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
		for _, st := range sorted {
			if seen[st.Key] {
				continue
			}
			seen[st.Key] = true
			if !st.Unset {
				out = append(out, ownedSetting{st, sec})
			}
		}
	}
	return out
}

func sectionNames(list []*Section) []string {
	var names []string
	for _, s := range list {
		names = append(names, s.Name)
	}
	return names
}

func enumIndex(v string, names []string) (int, bool) {
	for i, n := range names {
		if v == n {
			return i, true
		}
	}
	return 0, false
}

func expected(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// sectionBuilder holds what is shared by the setup, ca and conn builders.
type sectionBuilder struct {
	d       *diags
	invalid bool
	origins origins
}

// fatal reports an error that makes starter ignore the section.
func (b *sectionBuilder) fatal(pos Pos, format string, args ...any) {
	b.d.errorf(pos, format, args...)
	b.invalid = true
}

func (b *sectionBuilder) enum(st ownedSetting, names []string) (int, bool) {
	i, ok := enumIndex(st.Value, names)
	if !ok {
		b.fatal(st.Pos, "bad value: %s=%s (expected %s)", st.Key, show(st.Value), expected(names))
	}
	return i, ok
}

var boolNames = []string{"no", "yes"}

func (b *sectionBuilder) boolean(st ownedSetting) (bool, bool) {
	i, ok := b.enum(st, boolNames)
	return i == 1, ok
}

// flag parses the yes/no-style options starter handles itself.
func (b *sectionBuilder) flag(st ownedSetting, yes, no string) (bool, bool) {
	switch st.Value {
	case yes:
		return true, true
	case no:
		return false, true
	}
	b.fatal(st.Pos, "bad option value: %s=%s (expected %s or %s)", st.Key, show(st.Value), yes, no)
	return false, false
}

func (b *sectionBuilder) duration(st ownedSetting) (time.Duration, bool) {
	v, ok := parseStarterTime(st.Value)
	if !ok {
		b.fatal(st.Pos, "bad duration value: %s=%s (expected a number with an optional s, m, h or d suffix)", st.Key, show(st.Value))
	}
	return v, ok
}

// integer parses an unsigned number up to max. Like starter's strtoul, a
// negative number wraps around (with a warning) if wrap is set.
func (b *sectionBuilder) integer(st ownedSetting, max uint64, wrap bool) (uint64, bool) {
	if abs, neg := strings.CutPrefix(st.Value, "-"); neg && wrap {
		if v, ok := parseDecimal(abs, max); ok && v != 0 {
			w := (max - v + 1) & max
			b.d.warnf(st.Pos, "negative value %s=%s wraps around to %d (as in strongSwan)", st.Key, st.Value, w)
			return w, true
		}
	}
	v, ok := parseDecimal(st.Value, max)
	if !ok {
		b.fatal(st.Pos, "bad integer value: %s=%s", st.Key, show(st.Value))
	}
	return v, ok
}

// show renders a value for a message, quoting it if it has control
// characters (quoted values may contain newlines).
func show(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] == 0x7f {
			return strconv.Quote(v)
		}
	}
	return v
}

// checkScope reports keywords that are unknown, belong to another section
// type or are obsolete; it returns false if the setting must be skipped.
func (b *sectionBuilder) checkScope(st ownedSetting, info kwInfo, known bool, kind SectionKind) bool {
	if !known {
		// starter counts this as a non-fatal error: the section is used
		b.d.errorf(st.Pos, "unknown keyword '%s'", st.Key)
		return false
	}
	ok := false
	switch kind {
	case KindSetup:
		ok = info.scope == scopeSetup
	case KindConn:
		ok = info.scope == scopeConn || info.scope == scopeEnd || info.scope == scopeAuto
	case KindCA:
		ok = info.scope == scopeCA || info.scope == scopeAuto
	}
	if !ok {
		b.fatal(st.Pos, "unsupported keyword '%s' in %s", st.Key, st.owner.title())
		return false
	}
	if isDeprecated(info.id) {
		note := ""
		switch info.id {
		case kwPKCS11Deprecated:
			note = " (use the 'pkcs11' plugin instead)"
		case kwPFSDeprecated:
			note = " (PFS is enabled by specifying a DH group in the 'esp' cipher suite)"
		}
		b.d.warnf(st.Pos, "deprecated keyword '%s' in %s ignored%s", st.Key, st.owner.title(), note)
		return false
	}
	return true
}

func buildSetup(s *Section, d *diags) Setup {
	setup := Setup{UniqueIDs: UniqueIDsYes}
	if s == nil {
		return setup
	}
	setup.Pos = s.Pos
	b := sectionBuilder{d: d, origins: origins{}}
	for _, st := range effective(s, nil) {
		info, _, known := lookupKeyword(st.Key)
		if !b.checkScope(st, info, known, KindSetup) {
			continue
		}
		ok := true
		switch info.id {
		case kwCharonDebug:
			setup.CharonDebug = st.Value
		case kwUniqueIDs:
			var i int
			i, ok = b.enum(st, uniqueIDsNames)
			setup.UniqueIDs = UniqueIDs(i)
		case kwCacheCRLs:
			setup.CacheCRLs, ok = b.boolean(st)
		case kwStrictCRLPolicy:
			var i int
			i, ok = b.enum(st, strictNames)
			setup.StrictCRLPolicy = StrictCRLPolicy(i)
		}
		if ok {
			b.origins[info.canon] = st.Pos
		}
	}
	setup.Invalid = b.invalid
	setup.origins = b.origins
	return setup
}

func buildCA(s *Section, parents []*Section, badAlso bool, d *diags) *CA {
	ca := &CA{Name: s.Name, Pos: s.Pos, Parents: sectionNames(parents)}
	b := sectionBuilder{d: d, origins: origins{}, invalid: badAlso}
	for _, st := range effective(s, parents) {
		info, _, known := lookupKeyword(st.Key)
		if !b.checkScope(st, info, known, KindCA) {
			continue
		}
		ok := true
		switch info.id {
		case kwAuto:
			var i int
			if i, ok = b.enum(st, autoNames); ok && Auto(i) != AutoIgnore {
				ca.Auto = AutoAdd // route and start mean add for ca sections
			}
		case kwCACert:
			ca.CACert = st.Value
		case kwCRLURI:
			ca.CRLURI = st.Value
		case kwCRLURI2:
			ca.CRLURI2 = st.Value
		case kwOCSPURI:
			ca.OCSPURI = st.Value
		case kwOCSPURI2:
			ca.OCSPURI2 = st.Value
		case kwCertURIBase:
			ca.CertURIBase = st.Value
		}
		if ok {
			b.origins[info.canon] = st.Pos
		}
	}
	ca.Invalid = b.invalid
	ca.origins = b.origins
	return ca
}

// Defaults of a conn, from starter's confread.c conn_defaults().
const (
	DefaultIKELifetime = 3 * time.Hour
	DefaultLifetime    = time.Hour
	DefaultRekeyMargin = 9 * time.Minute
	DefaultRekeyFuzz   = 100
	DefaultKeyingTries = 3
	DefaultDPDDelay    = 30 * time.Second
	DefaultDPDTimeout  = 150 * time.Second
	DefaultIKEPort     = 500
)

func defaultEnd() End {
	return End{IKEPort: DefaultIKEPort, SendCert: SendCertIfAsked, ToPort: 0xffff}
}

type connBuilder struct {
	sectionBuilder
	c       *Conn
	subnets [2][]subnetSpec
}

func buildConn(s *Section, parents []*Section, badAlso bool, d *diags) *Conn {
	c := &Conn{
		Name:          s.Name,
		Pos:           s.Pos,
		Parents:       sectionNames(parents),
		Mobike:        true,
		Fragmentation: FragmentationYes,
		IKELifetime:   DefaultIKELifetime,
		Lifetime:      DefaultLifetime,
		RekeyMargin:   DefaultRekeyMargin,
		KeyingTries:   DefaultKeyingTries,
		RekeyFuzz:     DefaultRekeyFuzz,
		Rekey:         true,
		Reauth:        true,
		DPDDelay:      DefaultDPDDelay,
		DPDTimeout:    DefaultDPDTimeout,
		ReplayWindow:  -1,
		InstallPolicy: true,
		Left:          defaultEnd(),
		Right:         defaultEnd(),
	}
	b := &connBuilder{sectionBuilder: sectionBuilder{d: d, origins: origins{}, invalid: badAlso}, c: c}
	for _, st := range effective(s, parents) {
		info, side, known := lookupKeyword(st.Key)
		if !b.checkScope(st, info, known, KindConn) {
			continue
		}
		var ok bool
		if side != "" {
			ok = b.applyEnd(st, info, side)
		} else {
			ok = b.apply(st, info)
		}
		if ok {
			b.origins[info.canon] = st.Pos
		}
	}
	b.finish()
	c.Invalid = b.invalid
	c.origins = b.origins
	return c
}

func (b *connBuilder) apply(st ownedSetting, info kwInfo) bool {
	c := b.c
	v := st.Value
	var ok = true
	var i int
	var n uint64
	switch info.id {
	case kwAuto:
		i, ok = b.enum(st, autoNames)
		c.Auto = Auto(i)
	case kwKeyExchange:
		i, ok = b.enum(st, keyExchangeNames)
		c.KeyExchange = KeyExchange(i)
	case kwType:
		c.Mode, c.ProxyMode = ModeTransport, false
		switch v {
		case "tunnel":
			c.Mode = ModeTunnel
		case "beet":
			c.Mode = ModeBEET
		case "transport_proxy":
			c.ProxyMode = true
		case "passthrough", "pass":
			c.Mode = ModePass
		case "drop", "reject":
			c.Mode = ModeDrop
		case "transport":
		default:
			b.fatal(st.Pos, "bad policy value: %s=%s (expected tunnel, transport, transport_proxy, passthrough, pass, drop, reject or beet)", st.Key, show(v))
			ok = false
		}
	case kwCompress:
		c.Compress, ok = b.flag(st, "yes", "no")
	case kwInstallPolicy:
		c.InstallPolicy, ok = b.boolean(st)
	case kwAggressive:
		c.Aggressive, ok = b.boolean(st)
	case kwAuthBy:
		if _, ok = b.enum(st, authByNames); ok {
			c.AuthBy = v
		}
	case kwEAPIdentity:
		c.EAPIdentity = v
	case kwAAAIdentity:
		c.AAAIdentity = v
	case kwMobike:
		c.Mobike, ok = b.flag(st, "yes", "no")
	case kwForceEncaps:
		c.ForceEncaps, ok = b.flag(st, "yes", "no")
	case kwFragmentation:
		i, ok = b.enum(st, fragmentationNames)
		c.Fragmentation = Fragmentation(i)
	case kwIKEDSCP:
		dscp, rest, _, valid := cStrtoul(v, 2)
		if ok = valid && rest == "" && dscp <= 63 && !strings.HasPrefix(strings.TrimLeft(v, " \t"), "-"); ok {
			c.IKEDSCP = uint8(dscp)
		} else {
			b.fatal(st.Pos, "bad binary value: %s=%s (expected six binary digits)", st.Key, show(v))
		}
	case kwIKELifetime:
		c.IKELifetime, ok = b.duration(st)
	case kwLifetime:
		c.Lifetime, ok = b.duration(st)
	case kwRekeyMargin:
		c.RekeyMargin, ok = b.duration(st)
	case kwLifeBytes:
		c.LifeBytes, ok = b.integer(st, ^uint64(0), true)
	case kwMarginBytes:
		c.MarginBytes, ok = b.integer(st, ^uint64(0), true)
	case kwLifePackets:
		c.LifePackets, ok = b.integer(st, ^uint64(0), true)
	case kwMarginPackets:
		c.MarginPackets, ok = b.integer(st, ^uint64(0), true)
	case kwKeyingTries:
		if v == "%forever" {
			c.KeyingTries = 0
		} else if n, ok = b.integer(st, 1<<32-1, true); ok {
			c.KeyingTries = uint32(n)
		}
	case kwRekeyFuzz:
		var p uint32
		if p, ok = parsePercent(v); ok {
			c.RekeyFuzz = p
		} else {
			b.fatal(st.Pos, "bad percent value: %s=%s (expected a number followed by %%)", st.Key, show(v))
		}
	case kwRekey:
		c.Rekey, ok = b.flag(st, "yes", "no")
	case kwReauth:
		c.Reauth, ok = b.flag(st, "yes", "no")
	case kwIKE:
		c.IKE = v
	case kwESP:
		c.ESP = v
	case kwAH:
		c.AH = v
	case kwDPDDelay:
		c.DPDDelay, ok = b.duration(st)
	case kwDPDTimeout:
		c.DPDTimeout, ok = b.duration(st)
	case kwDPDAction:
		i, ok = b.enum(st, actionNames)
		c.DPDAction = Action(i)
	case kwCloseAction:
		i, ok = b.enum(st, actionNames)
		c.CloseAction = Action(i)
	case kwSHA256_96:
		c.SHA256_96, ok = b.boolean(st)
	case kwInactivity:
		c.Inactivity, ok = b.duration(st)
	case kwModeConfig:
		c.ModeConfigPush, ok = b.flag(st, "push", "pull")
	case kwXAuth:
		c.XAuthServer, ok = b.flag(st, "server", "client")
	case kwXAuthIdentity:
		c.XAuthIdentity = v
	case kwMediation:
		c.Mediation, ok = b.boolean(st)
	case kwMediatedBy:
		c.MediatedBy = v
	case kwMEPeerID:
		c.MEPeerID = v
	case kwReqID:
		if n, ok = b.integer(st, 1<<32-1, true); ok {
			c.ReqID = uint32(n)
		}
	case kwReplayWindow:
		if v == "-1" {
			c.ReplayWindow = -1
		} else if n, ok = b.integer(st, 1<<32-1, true); ok {
			c.ReplayWindow = int64(n)
			if n == 1<<32-1 {
				c.ReplayWindow = -1
			}
		}
	case kwMark, kwMarkIn, kwMarkOut:
		m, msg := parseMark(v)
		if ok = msg == ""; !ok {
			b.fatal(st.Pos, "%s=%s: %s", st.Key, show(v), msg)
			break
		}
		switch info.id {
		case kwMark:
			c.MarkIn, c.MarkOut = m, m
			b.origins["mark_in"], b.origins["mark_out"] = st.Pos, st.Pos
		case kwMarkIn:
			c.MarkIn = m
		default:
			c.MarkOut = m
		}
	case kwTFC:
		if v == "%mtu" {
			c.TFC = TFCMTU
		} else if n, ok = b.integer(st, 1<<32-1, true); ok {
			c.TFC = uint32(n)
		}
	}
	return ok
}

var authByNames = []string{"psk", "secret", "pubkey", "rsa", "rsasig", "ecdsa", "ecdsasig",
	"xauthpsk", "xauthrsasig", "never"}

func (b *connBuilder) end(side string) (*End, int) {
	if side == "left" {
		return &b.c.Left, 0
	}
	return &b.c.Right, 1
}

func (b *connBuilder) applyEnd(st ownedSetting, info kwInfo, side string) bool {
	e, idx := b.end(side)
	v := st.Value
	ok := true
	switch info.id {
	case kwHost:
		host := v
		if strings.HasPrefix(host, "%") {
			if host == "%defaultroute" {
				host = "%any"
			}
			if host != "%any" && host != "%any4" && host != "%any6" {
				e.AllowAny = true
				host = host[1:]
			}
		}
		e.Host = host
		hosts, msg := parseHosts(host)
		if msg != "" {
			b.d.errorf(st.Pos, "%s=%s: %s", st.Key, show(v), msg)
		}
		e.Hosts = hosts
	case kwIKEPort:
		var n uint64
		if n, ok = b.integer(st, 0xffff, false); ok {
			e.IKEPort = uint16(n)
		}
	case kwSubnet:
		specs, errs := parseSubnets(v)
		for _, msg := range errs {
			b.d.errorf(st.Pos, "%s=%s: %s", st.Key, show(v), msg)
		}
		e.Subnet, b.subnets[idx] = v, specs
	case kwProtoPort:
		pp, msg := parseProtoPort(v)
		if ok = msg == ""; !ok {
			b.fatal(st.Pos, "%s=%s: %s", st.Key, show(v), msg)
			break
		}
		e.Protocol = pp.proto
		if pp.hasPort {
			e.FromPort, e.ToPort = pp.from, pp.to
		}
	case kwSourceIP:
		sips, msg := parseSourceIPs(v)
		if msg != "" {
			b.d.errorf(st.Pos, "%s=%s: %s", st.Key, show(v), msg)
		}
		e.SourceIPs = sips
		b.c.Mode, b.c.ProxyMode = ModeTunnel, false
	case kwDNS:
		servers, msg := parseDNS(v)
		if msg != "" {
			b.d.errorf(st.Pos, "%s=%s: %s", st.Key, show(v), msg)
		}
		e.DNS = servers
	case kwFirewall:
		e.Firewall, ok = b.boolean(st)
	case kwHostAccess:
		e.HostAccess, ok = b.boolean(st)
	case kwAllowAny:
		e.AllowAny, ok = b.boolean(st)
	case kwUpdown:
		e.Updown = v
	case kwAuth:
		e.Auth = v
		b.checkAuth(st)
	case kwAuth2:
		e.Auth2 = v
		b.checkAuth(st)
	case kwIdent:
		e.ID = v
	case kwIdent2:
		e.ID2 = v
	case kwSigKey:
		e.SigKey = v
	case kwCert:
		e.Certs = splitList(v)
	case kwCert2:
		e.Certs2 = splitList(v)
	case kwCertPolicy:
		e.CertPolicy = splitList(v)
	case kwSendCert:
		var i int
		if i, ok = b.enum(st, []string{"always", "ifasked", "never", "yes", "no"}); ok {
			e.SendCert = [...]SendCert{SendCertAlways, SendCertIfAsked, SendCertNever, SendCertAlways, SendCertNever}[i]
		}
	case kwCA:
		e.CA = v
	case kwCA2:
		e.CA2 = v
	case kwGroups:
		e.Groups = splitList(v)
	case kwGroups2:
		e.Groups2 = splitList(v)
	}
	return ok
}

// checkAuth warns about authentication methods charon does not know (it
// falls back to "any").
func (b *connBuilder) checkAuth(st ownedSetting) {
	a := st.Value
	for _, p := range []string{"ike:", "pubkey", "rsa", "ecdsa", "bliss", "xauth", "eap"} {
		if strings.HasPrefix(a, p) {
			return
		}
	}
	switch a {
	case "psk", "secret", "any", "never":
		return
	}
	b.d.warnf(st.Pos, "authentication method %s unknown, fallback to any (%s)", a, st.Key)
}

// finish applies what starter and stroke derive after reading all settings.
func (b *connBuilder) finish() {
	c := b.c
	for idx, side := range [...]string{"left", "right"} {
		e, _ := b.end(side)
		if e.Host == "" {
			e.Host = "%any"
			e.Hosts = []HostSpec{{Kind: HostAny, Raw: "%any", Addr: netip.IPv4Unspecified()}}
		}
		if e.Firewall {
			if e.Updown != "" {
				pos, _ := b.origins.Origin(side + "firewall")
				b.fatal(pos, "cannot have both %sfirewall and %supdown", side, side)
			} else {
				e.Updown = UpdownFirewall
			}
		}
		for _, sp := range b.subnets[idx] {
			ts := sp.ts
			if !sp.hasPP {
				ts.Protocol = e.Protocol
			}
			if !sp.hasPort {
				ts.FromPort, ts.ToPort = e.FromPort, e.ToPort
			}
			e.TS = append(e.TS, ts)
		}
		if len(e.TS) == 0 {
			e.TS = []TrafficSelector{{Dynamic: true, Protocol: e.Protocol, FromPort: e.FromPort, ToPort: e.ToPort}}
		}
	}
	// legacy authby= applies only if neither leftauth nor rightauth is set
	if c.Left.Auth == "" && c.Right.Auth == "" && c.AuthBy != "" {
		var auth string
		switch c.AuthBy {
		case "rsa", "rsasig", "ecdsa", "ecdsasig", "pubkey", "xauthrsasig":
			auth = "pubkey"
		case "secret", "psk", "xauthpsk":
			auth = "psk"
		}
		if auth != "" {
			c.Left.Auth, c.Right.Auth = auth, auth
			pos, _ := b.origins.Origin("authby")
			b.origins["leftauth"], b.origins["rightauth"] = pos, pos
		}
		if strings.HasPrefix(c.AuthBy, "xauth") {
			pos, _ := b.origins.Origin("authby")
			if c.XAuthServer {
				c.Right.Auth2 = "xauth"
				b.origins["rightauth2"] = pos
			} else {
				c.Left.Auth2 = "xauth"
				b.origins["leftauth2"] = pos
			}
		}
	}
	for _, e := range []*End{&c.Left, &c.Right} {
		if e.Auth == "" {
			e.Auth = "pubkey"
		}
	}
}
