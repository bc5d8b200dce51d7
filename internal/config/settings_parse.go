package config

import (
	"strings"
)

// The strongswan.conf scanner follows libstrongswan's settings_lexer.l:
// names are runs of characters other than # { } : . , = " and blanks;
// after '=' the value runs to the end of the line, a '#' or a '}' and
// consists of blank-separated words and double-quoted strings (which may
// span lines and know \n, \r, \t and \<newline>); after ':' come
// comma-separated dotted section names; "include PATTERN" splices files in.
// Newlines are only significant at the end of a value.

type setTokKind uint8

const (
	stEOF setTokKind = iota
	stName
	stString // a quoted value part
	stLBrace
	stRBrace
	stDot
	stComma
	stColon
	stEq
	stNewline // ends a value
	stError   // already reported
)

type setToken struct {
	kind setTokKind
	val  string
	pos  Pos
}

func (k setTokKind) describe(t setToken) string {
	switch k {
	case stEOF:
		return "end of file"
	case stName:
		return "'" + t.val + "'"
	case stString:
		return "a quoted string"
	case stLBrace:
		return "'{'"
	case stRBrace:
		return "'}'"
	case stDot:
		return "'.'"
	case stComma:
		return "','"
	case stColon:
		return "':'"
	case stEq:
		return "'='"
	case stNewline:
		return "end of line"
	}
	return "invalid input"
}

func isSettingsNameByte(c byte) bool {
	switch c {
	case '#', '{', '}', ':', '.', ',', '=', '"', '\r', '\n', '\t', ' ':
		return false
	}
	return true
}

type setLexer struct {
	inc  *includer
	d    *diags
	toks []setToken
}

type setState uint8

const (
	stateInitial setState = iota
	stateRef
	stateVal
)

func (lx *setLexer) scanFile(name string, src []byte, depth int) {
	s := fileScanner{src: src, line: 1}
	emit := func(k setTokKind, v string, line int) {
		lx.toks = append(lx.toks, setToken{kind: k, val: v, pos: Pos{File: name, Line: line}})
	}
	state := stateInitial
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch state {
		case stateVal:
			switch {
			case c == '\r' || c == ' ' || c == '\t':
				s.i++
			case c == '#' || c == '}' || c == '\n':
				// the terminator itself is scanned again in the initial state
				emit(stNewline, "", s.line)
				state = stateInitial
			case c == '"':
				line := s.line
				s.i++
				str, ok := s.quotedSettings()
				if !ok {
					lx.d.errorf(Pos{name, line}, "unterminated string detected")
					emit(stError, "", line)
					return
				}
				emit(stString, str, line)
			default:
				j := s.i
				for j < len(s.src) && strings.IndexByte("#}\"\r\n\t ", s.src[j]) < 0 {
					j++
				}
				emit(stName, string(s.src[s.i:j]), s.line)
				s.i = j
			}
			continue
		case stateRef:
			switch {
			case c == ' ' || c == '\t' || c == '\r':
				s.i++
				continue
			case c == '\n':
				s.line++
				s.i++
				continue
			case c == '#':
				s.i = s.lineEnd(s.i)
				continue
			case c == ',':
				emit(stComma, "", s.line)
				s.i++
				continue
			case isSettingsNameByte(c):
				j := s.i
				for {
					for j < len(s.src) && isSettingsNameByte(s.src[j]) {
						j++
					}
					if j+1 < len(s.src) && s.src[j] == '.' && isSettingsNameByte(s.src[j+1]) {
						j++
						continue
					}
					break
				}
				emit(stName, string(s.src[s.i:j]), s.line)
				s.i = j
				continue
			}
			state = stateInitial // anything else is scanned in the initial state
			continue
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.i++
		case c == '\n':
			s.line++
			s.i++
		case c == '#':
			s.i = s.lineEnd(s.i)
		case c == '{':
			emit(stLBrace, "", s.line)
			s.i++
		case c == '}':
			emit(stRBrace, "", s.line)
			s.i++
		case c == '.':
			emit(stDot, "", s.line)
			s.i++
		case c == ',':
			emit(stComma, "", s.line)
			s.i++
		case c == ':':
			emit(stColon, "", s.line)
			s.i++
			state = stateRef
		case c == '=':
			emit(stEq, "", s.line)
			s.i++
			state = stateVal
		case s.includeAt():
			lx.include(&s, name, depth, emit)
		case c == '"':
			lx.d.errorf(Pos{name, s.line}, "unexpected string detected (quotes are only allowed in values)")
			emit(stError, "", s.line)
			s.i++
			// skip the quoted text so its content does not produce noise
			if _, ok := s.quotedSettings(); !ok {
				return
			}
		default:
			j := s.i
			for j < len(s.src) && isSettingsNameByte(s.src[j]) {
				j++
			}
			emit(stName, string(s.src[s.i:j]), s.line)
			s.i = j
		}
	}
	if state == stateVal {
		emit(stNewline, "", s.line)
	}
}

func (lx *setLexer) include(s *fileScanner, name string, depth int, emit func(setTokKind, string, int)) {
	line := s.line
	s.i += len("include")
	wsEnd := s.skipBlanksFrom(s.i)
	if wsEnd >= len(s.src) || s.src[wsEnd] == '=' {
		s.i = wsEnd
		lx.d.warnf(Pos{name, line}, "no include pattern specified, ignored")
		return
	}
	s.i = wsEnd
	pattern, ok := s.includePatternSettings()
	if !ok {
		lx.d.errorf(Pos{name, line}, "unterminated string detected")
		emit(stError, "", line)
		return
	}
	lx.inc.include(Pos{name, line}, name, pattern, depth, lx.scanFile)
}

// quotedSettings scans a double-quoted string of strongswan.conf (like
// quoted, but carriage returns are dropped).
func (s *fileScanner) quotedSettings() (string, bool) {
	var b strings.Builder
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch c {
		case '"':
			s.i++
			return b.String(), true
		case '\r':
			s.i++
		case '\\':
			if s.i+1 >= len(s.src) {
				s.i++
				return "", false
			}
			n := s.src[s.i+1]
			switch {
			case n == 'n':
				b.WriteByte('\n')
				s.i += 2
			case n == 'r':
				b.WriteByte('\r')
				s.i += 2
			case n == 't':
				b.WriteByte('\t')
				s.i += 2
			case n == '\n':
				s.line++
				s.i += 2
			case n == '\r' && s.i+2 < len(s.src) && s.src[s.i+2] == '\n':
				s.line++
				s.i += 3
			default:
				b.WriteByte(n)
				s.i += 2
			}
		default:
			if c == '\n' {
				s.line++
			}
			b.WriteByte(c)
			s.i++
		}
	}
	return "", false
}

// includePatternSettings scans an include pattern of strongswan.conf:
// blanks, '#', '}' and newlines end it unless escaped; '\r' is dropped.
func (s *fileScanner) includePatternSettings() (string, bool) {
	var b strings.Builder
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch c {
		case '#', '\n', '}':
			return b.String(), true
		case ' ', '\t':
			s.i++
			return b.String(), true
		case '\r':
			s.i++
		case '"':
			s.i++
			str, ok := s.quotedSettings()
			if !ok {
				return "", false
			}
			b.WriteString(str)
			return b.String(), true
		case '\\':
			if s.i+1 < len(s.src) && strings.IndexByte("\"#} ", s.src[s.i+1]) >= 0 {
				b.WriteByte(s.src[s.i+1])
				s.i += 2
			} else {
				b.WriteByte('\\')
				s.i++
			}
		default:
			b.WriteByte(c)
			s.i++
		}
	}
	return b.String(), true
}

// setParser builds the section tree from the tokens, following
// settings_parser.y; after an error it skips the rest of the line.
type setParser struct {
	toks  []setToken
	eof   Pos // where the input ends, for errors at the end of file
	i     int
	d     *diags
	root  *settingsSection
	stack []*settingsSection // open sections; nil entries are discarded ones
	opens []setToken         // the name tokens that opened them
}

func (p *setParser) peek() setToken {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return setToken{kind: stEOF, pos: p.eof}
}

func (p *setParser) next() setToken {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (p *setParser) top() *settingsSection {
	if len(p.stack) == 0 {
		return p.root
	}
	return p.stack[len(p.stack)-1]
}

func (p *setParser) parse() {
	for {
		t := p.next()
		switch t.kind {
		case stEOF:
			for i := len(p.opens) - 1; i >= 0; i-- {
				o := p.opens[i]
				p.d.errorf(o.pos, "section '%s' is not closed: missing '}' before the end of %s", o.val, o.pos.File)
			}
			return
		case stNewline:
		case stError:
			p.recover(t)
		case stRBrace:
			if len(p.stack) == 0 {
				p.d.errorf(t.pos, "unexpected '}' (no section is open)")
				continue
			}
			p.stack, p.opens = p.stack[:len(p.stack)-1], p.opens[:len(p.opens)-1]
		case stName:
			p.statement(t)
		default:
			p.d.errorf(t.pos, "unexpected %s, expected a name", t.kind.describe(t))
			p.recover(t)
		}
	}
}

func (p *setParser) statement(name setToken) {
	switch n := p.next(); n.kind {
	case stLBrace:
		p.open(name, nil)
	case stColon:
		var refs []string
		for {
			r := p.next()
			if r.kind != stName {
				p.d.errorf(r.pos, "unexpected %s in the references of section '%s', expected a section name", r.kind.describe(r), name.val)
				p.recover(r)
				return
			}
			refs = append(refs, r.val)
			sep := p.next()
			if sep.kind == stComma {
				continue
			}
			if sep.kind != stLBrace {
				p.d.errorf(sep.pos, "unexpected %s after the references of section '%s', expected ',' or '{'", sep.kind.describe(sep), name.val)
				p.recover(sep)
				return
			}
			p.open(name, refs)
			return
		}
	case stEq:
		var parts []string
		for {
			v := p.peek()
			if v.kind != stName && v.kind != stString {
				break
			}
			parts = append(parts, p.next().val)
		}
		switch t := p.next(); t.kind {
		case stNewline:
		case stError:
			p.recover(t)
			return
		default:
			p.d.errorf(t.pos, "unexpected %s in the value of '%s'", t.kind.describe(t), name.val)
			p.recover(t)
			return
		}
		if sec := p.top(); sec != nil {
			kv := &settingsKV{key: name.val, pos: name.pos}
			if parts != nil {
				kv.value, kv.set = strings.Join(parts, " "), true
			}
			sec.addKV(kv)
		}
	case stDot:
		p.d.errorf(n.pos, "unexpected '.' after '%s': names cannot contain dots (use nested sections)", name.val)
		p.recover(n)
	case stName:
		p.d.errorf(name.pos, "expected '=', '{' or ':' after '%s'", name.val)
		p.recover(name)
	case stError:
		p.recover(n)
	default:
		p.d.errorf(n.pos, "unexpected %s after '%s', expected '=', '{' or ':'", n.kind.describe(n), name.val)
		p.recover(n)
	}
}

func (p *setParser) open(name setToken, refs []string) {
	var sec *settingsSection
	if parent := p.top(); parent != nil {
		sec = parent.child(name.val, name.pos)
		for _, r := range refs {
			sec.addRef(r, false)
		}
	}
	p.stack = append(p.stack, sec)
	p.opens = append(p.opens, name)
}

// recover skips the rest of the line of the offending token t (already
// consumed); braces are still tracked so the sections stay balanced, a '{'
// opening a section whose contents are dropped.
func (p *setParser) recover(t setToken) {
	line := t.pos
	for n := t; ; n = p.next() {
		switch n.kind {
		case stLBrace:
			p.stack = append(p.stack, nil)
			p.opens = append(p.opens, setToken{kind: stName, val: "?", pos: n.pos})
		case stRBrace:
			if len(p.stack) > 0 {
				p.stack, p.opens = p.stack[:len(p.stack)-1], p.opens[:len(p.opens)-1]
			}
		}
		if next := p.peek(); next.kind == stEOF || next.pos != line {
			return
		}
	}
}
