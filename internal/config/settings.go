package config

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultStrongswanConf is where strongswan.conf is read from unless the
// STRONGSWAN_CONF environment variable says otherwise.
const DefaultStrongswanConf = "/etc/strongswan.conf"

// StrongswanConfPath returns the strongswan.conf libstrongswan would read:
// $STRONGSWAN_CONF if set (even if empty, which means no file), else
// /etc/strongswan.conf.
func StrongswanConfPath() string {
	if p, ok := os.LookupEnv("STRONGSWAN_CONF"); ok {
		return p
	}
	return DefaultStrongswanConf
}

// Settings is a parsed strongswan.conf: a tree of sections with key/value
// pairs. Keys are dot-separated paths such as "charon.plugins.attr-sql.database";
// callers substitute the daemon name for strongSwan's "%s" themselves.
// A Settings value is never modified; WithFallback returns a new one.
type Settings struct {
	// Files lists the files read, the main file first.
	Files []string
	// Invalid is set if a file had a syntax error; libstrongswan then
	// aborts the daemon's initialization.
	Invalid bool
	root    *settingsSection
}

type settingsKV struct {
	key   string
	value string
	set   bool // false for "key =" without a value: the default applies
	pos   Pos
}

type sectionRef struct {
	name      string
	permanent bool // a fallback installed by the daemon, not from a file
}

type settingsSection struct {
	name     string
	pos      Pos
	kvs      map[string]*settingsKV
	kvOrder  []*settingsKV
	subs     map[string]*settingsSection
	subOrder []*settingsSection
	refs     []sectionRef
}

func newSettingsSection(name string, pos Pos) *settingsSection {
	return &settingsSection{name: name, pos: pos, kvs: map[string]*settingsKV{}, subs: map[string]*settingsSection{}}
}

// child returns the sub-section name, creating it: a section defined again
// (later in the file or in another file) extends the first definition.
func (s *settingsSection) child(name string, pos Pos) *settingsSection {
	if c := s.subs[name]; c != nil {
		return c
	}
	c := newSettingsSection(name, pos)
	s.subs[name] = c
	s.subOrder = append(s.subOrder, c)
	return c
}

// addKV sets a value; a later definition replaces an earlier one but keeps
// its place in the enumeration order.
func (s *settingsSection) addKV(kv *settingsKV) {
	if old := s.kvs[kv.key]; old != nil {
		*old = *kv
		return
	}
	s.kvs[kv.key] = kv
	s.kvOrder = append(s.kvOrder, kv)
}

// addRef adds a reference; references from files go before the permanent
// ones the daemon installs, duplicates are ignored.
func (s *settingsSection) addRef(name string, permanent bool) {
	i := 0
	for ; i < len(s.refs); i++ {
		r := s.refs[i]
		if r.permanent && !permanent {
			break
		}
		if r.permanent == permanent && r.name == name {
			return
		}
	}
	s.refs = append(s.refs, sectionRef{})
	copy(s.refs[i+1:], s.refs[i:])
	s.refs[i] = sectionRef{name: name, permanent: permanent}
}

// clone copies the section itself; sub-sections and values are shared.
func (s *settingsSection) clone() *settingsSection {
	c := *s
	c.subs = make(map[string]*settingsSection, len(s.subs))
	for k, v := range s.subs {
		c.subs[k] = v
	}
	c.subOrder = append([]*settingsSection(nil), s.subOrder...)
	c.refs = append([]sectionRef(nil), s.refs...)
	return &c
}

// LoadSettings reads a strongswan.conf and the files it includes. An empty
// path yields empty settings (as an empty $STRONGSWAN_CONF does). A missing
// file is an error: libstrongswan refuses to initialize without it.
// fsys may be nil for the real file system.
func LoadSettings(fsys FS, path string) (*Settings, []Diagnostic) {
	if path == "" {
		return &Settings{root: newSettingsSection("", Pos{})}, nil
	}
	fsys = orOS(fsys)
	data, err := readConfigFile(fsys, path)
	if err != nil {
		var d diags
		d.errorf(Pos{File: path}, "failed to open config file '%s': %s", path, errText(err))
		return &Settings{Files: []string{path}, Invalid: true, root: newSettingsSection("", Pos{})}, d.sorted()
	}
	return ParseSettings(fsys, path, data)
}

// ParseSettings parses src as the strongswan.conf at path; includes are
// read relative to path's directory from fsys (nil for the real file system).
func ParseSettings(fsys FS, path string, src []byte) (*Settings, []Diagnostic) {
	var d diags
	files := []string{path}
	lx := &setLexer{inc: &includer{fsys: orOS(fsys), d: &d}, d: &d}
	lx.scanFile(path, src, 0)
	for _, t := range lx.toks {
		if f := t.pos.File; f != files[len(files)-1] && !containsString(files, f) {
			files = append(files, f)
		}
	}
	p := &setParser{toks: lx.toks, eof: endPos(path, src), d: &d, root: newSettingsSection("", Pos{File: path})}
	p.parse()
	return &Settings{Files: files, Invalid: HasErrors(d.list), root: p.root}, d.sorted()
}

// endPos is the position of the last line of a file.
func endPos(path string, src []byte) Pos {
	return Pos{File: path, Line: 1 + strings.Count(strings.TrimSuffix(string(src), "\n"), "\n")}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WithFallback returns settings in which lookups below key that find
// nothing continue below fallback (strongSwan's add_fallback), e.g.
// WithFallback("charon.plugins.attr-sql", "libhydra.plugins.attr-sql").
func (s *Settings) WithFallback(key, fallback string) *Settings {
	out := *s
	out.root = s.root.clone()
	sec := out.root
	for _, part := range strings.Split(key, ".") {
		if part == "" {
			continue
		}
		var c *settingsSection
		if old := sec.subs[part]; old != nil {
			c = old.clone()
			for i, o := range sec.subOrder {
				if o == old {
					sec.subOrder[i] = c
				}
			}
		} else {
			c = newSettingsSection(part, Pos{})
			sec.subOrder = append(sec.subOrder, c)
		}
		sec.subs[part] = c
		sec = c
	}
	sec.addRef(fallback, true)
	return &out
}

// WithDaemonFallbacks installs the fallbacks charon of strongSwan 5.9 sets
// up for the namespace ns (normally "charon"): ns falls back to
// libstrongswan, ns.plugins.attr-sql to the legacy
// libhydra.plugins.attr-sql and ns.tls to libtls.
func (s *Settings) WithDaemonFallbacks(ns string) *Settings {
	return s.WithFallback(ns, "libstrongswan").
		WithFallback(ns+".plugins.attr-sql", "libhydra.plugins.attr-sql").
		WithFallback(ns+".tls", "libtls")
}

// lookup bounds the work of one lookup: references can form cycles.
type lookup struct {
	s     *Settings
	steps int
}

const maxLookupSteps = 10000

func (l *lookup) budget() bool {
	l.steps++
	return l.steps <= maxLookupSteps
}

func splitKey(key string) []string { return strings.Split(key, ".") }

// secSet is an ordered set of sections.
type secSet struct {
	list []*settingsSection
	has  map[*settingsSection]bool
}

func (s *secSet) add(sec *settingsSection) bool {
	if s.has[sec] {
		return false
	}
	if s.has == nil {
		s.has = map[*settingsSection]bool{}
	}
	s.has[sec] = true
	s.list = append(s.list, sec)
	return true
}

// findValue follows strongSwan's find_value_buffered(): the key is looked up
// below sec; if that fails, relative to each section sec references.
// visited holds the sections whose values were consulted.
func (l *lookup) findValue(sec *settingsSection, parts []string, ignoreRefs bool, visited *secSet) *settingsKV {
	if sec == nil || !l.budget() {
		return nil
	}
	var kv *settingsKV
	if len(parts) > 1 {
		found := sec
		if parts[0] != "" {
			found = sec.subs[parts[0]]
		}
		if found != nil {
			kv = l.findValue(found, parts[1:], false, visited)
		}
	} else {
		visited.add(sec)
		kv = sec.kvs[parts[0]]
	}
	if kv == nil && !ignoreRefs {
		for _, ref := range sec.refs {
			var refs secSet
			l.findSections(l.s.root, splitKey(ref.name), false, &refs)
			for _, r := range refs.list {
				if !visited.has[r] {
					if kv = l.findValue(r, parts, true, visited); kv != nil {
						return kv
					}
				}
			}
		}
	}
	return kv
}

// findSections follows strongSwan's find_sections_buffered(): it collects
// the section at parts below sec, the sections it references, and the
// matching sections below those sec references.
func (l *lookup) findSections(sec *settingsSection, parts []string, ignoreRefs bool, out *secSet) {
	if sec == nil || !l.budget() {
		return
	}
	found := sec
	if parts[0] != "" {
		found = sec.subs[parts[0]]
	}
	if found != nil {
		if len(parts) > 1 {
			l.findSections(found, parts[1:], false, out)
		} else if out.add(found) {
			for _, ref := range found.refs {
				l.findSections(l.s.root, splitKey(ref.name), false, out)
			}
		}
	}
	if !ignoreRefs && sec != found {
		for _, ref := range sec.refs {
			var refs secSet
			l.findSections(l.s.root, splitKey(ref.name), false, &refs)
			for _, r := range refs.list {
				l.findSections(r, parts, true, out)
			}
		}
	}
}

func (s *Settings) find(key string) *settingsKV {
	if s == nil || s.root == nil {
		return nil
	}
	l := &lookup{s: s}
	var visited secSet
	return l.findValue(s.root, splitKey(key), false, &visited)
}

// Get returns the value of key and whether it is set. A key defined
// without a value ("key =") is not set and hides fallbacks.
func (s *Settings) Get(key string) (string, bool) {
	if kv := s.find(key); kv != nil && kv.set {
		return kv.value, true
	}
	return "", false
}

// Origin returns where key's value was defined.
func (s *Settings) Origin(key string) (Pos, bool) {
	if kv := s.find(key); kv != nil {
		return kv.pos, true
	}
	return Pos{}, false
}

// GetString returns the value of key, or def if it is not set.
func (s *Settings) GetString(key, def string) string {
	if v, ok := s.Get(key); ok {
		return v
	}
	return def
}

// ParseBool interprets a strongSwan truth value: yes, true, enabled, 1 or
// no, false, disabled, 0 (case-insensitive).
func ParseBool(v string) (val, ok bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "true", "enabled":
		return true, true
	case "0", "no", "false", "disabled":
		return false, true
	}
	return false, false
}

// GetBool returns key as a truth value, def if it is unset or not one.
func (s *Settings) GetBool(key string, def bool) bool {
	if v, ok := s.Get(key); ok {
		if b, ok := ParseBool(v); ok {
			return b
		}
	}
	return def
}

// GetInt returns key as an integer (decimal, or hex with 0x), def if it is
// unset or not a number. Like strongSwan, "-1" yields -1.
func (s *Settings) GetInt(key string, def int) int {
	if v, ok := s.Get(key); ok {
		if n, ok := parseSettingsUint(v); ok {
			return int(int32(n))
		}
	}
	return def
}

// GetUint64 returns key as an unsigned integer (decimal, or hex with 0x).
func (s *Settings) GetUint64(key string, def uint64) uint64 {
	if v, ok := s.Get(key); ok {
		if n, ok := parseSettingsUint(v); ok {
			return n
		}
	}
	return def
}

func parseSettingsUint(v string) (uint64, bool) {
	base := 10
	if strings.HasPrefix(v, "0x") {
		base = 16
	}
	n, rest, digits, ok := cStrtoul(v, base)
	if !digits || !ok || rest != "" {
		return 0, false
	}
	return n, true
}

// GetFloat returns key as a floating point number.
func (s *Settings) GetFloat(key string, def float64) float64 {
	if v, ok := s.Get(key); ok {
		if f, err := strconv.ParseFloat(strings.TrimLeft(v, " \t"), 64); err == nil {
			return f
		}
	}
	return def
}

// ParseTimespan interprets a strongSwan time value: a number of seconds,
// optionally followed by s, m, h or d (anything after the unit letter is
// ignored, so "5min" is five minutes).
func ParseTimespan(v string) (time.Duration, bool) {
	n, rest, digits, ok := cStrtoul(v, 10)
	if !digits || !ok {
		return 0, false
	}
	rest = strings.TrimLeft(rest, " \t\n\r\f\v")
	mult := uint64(1)
	if rest != "" {
		switch rest[0] {
		case 'd':
			mult = 86400
		case 'h':
			mult = 3600
		case 'm':
			mult = 60
		case 's':
		default:
			return 0, false
		}
	}
	const maxSecs = uint64(1<<63-1) / uint64(time.Second)
	if n > maxSecs/mult {
		return 0, false
	}
	return time.Duration(n*mult) * time.Second, true
}

// GetDuration returns key as a time span (see ParseTimespan).
func (s *Settings) GetDuration(key string, def time.Duration) time.Duration {
	if v, ok := s.Get(key); ok {
		if d, ok := ParseTimespan(v); ok {
			return d
		}
	}
	return def
}

func (s *Settings) sectionsAt(key string) []*settingsSection {
	if s == nil || s.root == nil {
		return nil
	}
	l := &lookup{s: s}
	var out secSet
	l.findSections(s.root, splitKey(key), false, &out)
	return out.list
}

// Sections returns the names of the sub-sections of the section key
// (including inherited ones), in definition order. An empty key names the
// top level.
func (s *Settings) Sections(key string) []string {
	var out []string
	seen := map[string]bool{}
	for _, sec := range s.sectionsAt(key) {
		for _, c := range sec.subOrder {
			if !seen[c.name] {
				seen[c.name] = true
				out = append(out, c.name)
			}
		}
	}
	return out
}

// KeyValue is one key of a section with its value.
type KeyValue struct {
	Key   string
	Value string
	Pos   Pos
}

// KeyValues returns the keys with values of the section key (including
// inherited ones), in definition order; keys defined without a value are
// left out and hide inherited ones.
func (s *Settings) KeyValues(key string) []KeyValue {
	var out []KeyValue
	seen := map[string]bool{}
	for _, sec := range s.sectionsAt(key) {
		for _, kv := range sec.kvOrder {
			if seen[kv.key] {
				continue
			}
			seen[kv.key] = true
			if kv.set {
				out = append(out, KeyValue{Key: kv.key, Value: kv.value, Pos: kv.pos})
			}
		}
	}
	return out
}

// Keys returns the names of KeyValues(key).
func (s *Settings) Keys(key string) []string {
	var out []string
	for _, kv := range s.KeyValues(key) {
		out = append(out, kv.Key)
	}
	return out
}
