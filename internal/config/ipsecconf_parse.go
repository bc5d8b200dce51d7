package config

import (
	"strings"
)

// SectionKind is the type of an ipsec.conf section.
type SectionKind uint8

const (
	KindSetup SectionKind = iota + 1 // config setup
	KindConn                         // conn NAME
	KindCA                           // ca NAME
)

func (k SectionKind) String() string {
	switch k {
	case KindSetup:
		return "config"
	case KindConn:
		return "conn"
	case KindCA:
		return "ca"
	}
	return "section"
}

// Setting is one "key=value" line of an ipsec.conf section.
type Setting struct {
	Key   string
	Value string
	// Unset is true for "key=" without a value: it clears a value inherited
	// from %default or also= and stands for the built-in default.
	Unset bool
	Pos   Pos
}

// AlsoRef is one also= line.
type AlsoRef struct {
	Name string
	Pos  Pos
}

// Section is an ipsec.conf section as written. Sections of the same type and
// name are merged, as starter does; a key set twice keeps the last value.
type Section struct {
	Kind SectionKind
	Name string // "" for config setup
	Pos  Pos    // where the section first starts
	// Settings holds the section's own settings (also= excluded), in the
	// order in which the keys first appear.
	Settings []Setting
	// Also lists the also= references in file order.
	Also []AlsoRef
}

// Get returns the section's own setting for key.
func (s *Section) Get(key string) (Setting, bool) {
	for _, st := range s.Settings {
		if st.Key == key {
			return st, true
		}
	}
	return Setting{}, false
}

func (s *Section) set(st Setting) {
	for i := range s.Settings {
		if s.Settings[i].Key == st.Key {
			s.Settings[i] = st
			return
		}
	}
	s.Settings = append(s.Settings, st)
}

func (s *Section) title() string {
	if s.Kind == KindSetup {
		return "config setup"
	}
	return s.Kind.String() + " '" + s.Name + "'"
}

// confParser turns the token stream into sections, following starter's
// grammar (src/starter/parser/parser.y) but recovering at the next line
// after an error so that all errors are reported.
type confParser struct {
	toks []confToken
	eof  Pos // where the input ends, for errors at the end of file
	i    int
	d    *diags

	sections []*Section
	setup    *Section
	conns    map[string]*Section
	cas      map[string]*Section
	cur      *Section
	// discard is set after a broken section header: its settings are
	// dropped without further complaint
	discard bool
}

func (p *confParser) peek() confToken {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return confToken{kind: ctEOF, pos: p.eof}
}

func (p *confParser) next() confToken {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

// skipLine drops tokens up to (not including) the next newline.
func (p *confParser) skipLine() {
	for {
		switch p.peek().kind {
		case ctNewline, ctEOF:
			return
		}
		p.i++
	}
}

func endsStatement(k confTokKind) bool {
	switch k {
	case ctNewline, ctEOF, ctSpaces, ctConfigSetup, ctConn, ctCA:
		return true
	}
	return false
}

func (p *confParser) parse() {
	for {
		t := p.next()
		switch t.kind {
		case ctEOF:
			return
		case ctNewline:
		case ctError:
			p.skipLine()
		case ctConfigSetup, ctConn, ctCA:
			p.section(t)
		case ctSpaces:
			p.setting()
		case ctString:
			if p.peek().kind == ctEq {
				p.d.errorf(t.pos, "parameter '%s' must be indented (lines inside a section start with white space)", t.val)
			} else {
				p.d.errorf(t.pos, "unexpected '%s' at the start of a line: expected 'config setup', 'conn <name>', 'ca <name>' or an indented parameter", t.val)
			}
			p.skipLine()
		case ctEq:
			p.d.errorf(t.pos, "unexpected '=' at the start of a line")
			p.skipLine()
		}
	}
}

func (p *confParser) section(head confToken) {
	var kind SectionKind
	switch head.kind {
	case ctConfigSetup:
		kind = KindSetup
	case ctConn:
		kind = KindConn
	default:
		kind = KindCA
	}
	name := ""
	switch p.peek().kind {
	case ctString:
		name = p.next().val
	case ctError:
		p.next()
		p.skipLine()
		p.cur, p.discard = nil, true
		return
	}
	if !endsStatement(p.peek().kind) {
		t := p.peek()
		what := "'='"
		if t.kind == ctString {
			what = "'" + t.val + "'"
		}
		p.d.errorf(t.pos, "unexpected %s after section header '%s %s' (section names cannot contain white space or '=')",
			what, kind, name)
		p.skipLine()
		p.cur, p.discard = nil, true
		return
	}
	if kind != KindSetup && name == "" {
		p.d.errorf(head.pos, "section name missing")
		p.cur, p.discard = nil, true
		return
	}
	p.cur, p.discard = p.addSection(kind, name, head.pos), false
}

func (p *confParser) addSection(kind SectionKind, name string, pos Pos) *Section {
	var m map[string]*Section
	switch kind {
	case KindSetup:
		if p.setup == nil {
			p.setup = &Section{Kind: KindSetup, Pos: pos}
			p.sections = append(p.sections, p.setup)
		}
		return p.setup
	case KindConn:
		m = p.conns
	default:
		m = p.cas
	}
	if s := m[name]; s != nil {
		return s
	}
	s := &Section{Kind: kind, Name: name, Pos: pos}
	m[name] = s
	p.sections = append(p.sections, s)
	return s
}

func (p *confParser) setting() {
	t := p.peek()
	switch t.kind {
	case ctError:
		p.next()
		p.skipLine()
		return
	case ctEq:
		p.d.errorf(t.pos, "parameter name missing before '='")
		p.skipLine()
		return
	case ctString:
	default:
		return // empty or blank line
	}
	key := p.next()
	switch n := p.peek(); n.kind {
	case ctEq:
		p.next()
	case ctString:
		if key.val == "conn" || key.val == "ca" || key.val == "config" {
			p.d.errorf(key.pos, "section header '%s %s' must start in column 0 (no white space before it)", key.val, n.val)
		} else {
			p.d.errorf(key.pos, "expected '=' after '%s'", key.val)
		}
		p.skipLine()
		return
	case ctError:
		p.next()
		p.skipLine()
		return
	default:
		p.d.errorf(key.pos, "missing value for setting '%s'", key.val)
		return
	}
	var vals []string
	for p.peek().kind == ctString {
		vals = append(vals, p.next().val)
	}
	switch n := p.peek(); n.kind {
	case ctEq:
		p.d.errorf(n.pos, "unexpected '=' in the value of '%s' (enclose values containing '=' in double quotes)", key.val)
		p.skipLine()
		return
	case ctError:
		p.next()
		p.skipLine()
		return
	}
	if key.val == "" {
		p.d.errorf(key.pos, "setting name can't be empty")
		return
	}
	p.addSetting(Setting{Key: key.val, Value: strings.Join(vals, " "), Unset: len(vals) == 0, Pos: key.pos})
}

func (p *confParser) addSetting(st Setting) {
	if p.cur == nil {
		if !p.discard {
			p.d.warnf(st.Pos, "parameter '%s' outside of any section ignored", st.Key)
		}
		return
	}
	if st.Key == "also" {
		switch {
		case p.cur.Kind == KindSetup:
			p.d.warnf(st.Pos, "also= is not supported in config setup, ignored")
		case st.Unset || st.Value == "" || st.Value == "%default":
			// every section inherits from %default anyway
		default:
			p.cur.Also = append(p.cur.Also, AlsoRef{Name: st.Value, Pos: st.Pos})
		}
		return
	}
	p.cur.set(st)
}
