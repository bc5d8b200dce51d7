package config

import (
	"bytes"
	"strings"
)

// The ipsec.conf scanner follows the token rules of strongSwan 5.9's starter
// (src/starter/parser/lexer.l): a line starting with blanks yields SPACES,
// "config setup", "conn" and "ca" are section keywords only in column 0,
// '#' starts a comment anywhere outside quotes, a value is a run of
// characters other than blanks, '"', '#' and '=', double-quoted strings may
// contain anything (with \n, \r, \t and \<newline> escapes), and
// "include PATTERN" splices the matching files into the token stream.

type confTokKind uint8

const (
	ctEOF confTokKind = iota
	ctNewline
	ctSpaces
	ctEq
	ctConfigSetup
	ctConn
	ctCA
	ctString
	ctError // malformed input, already reported
)

type confToken struct {
	kind confTokKind
	val  string
	pos  Pos
}

type confLexer struct {
	inc  *includer
	d    *diags
	toks []confToken
}

// scanFile appends the tokens of one file (and of the files it includes).
func (lx *confLexer) scanFile(name string, src []byte, depth int) {
	s := fileScanner{src: src, line: 1, bol: true}
	crlf := false
	emit := func(k confTokKind, v string, line int) {
		lx.toks = append(lx.toks, confToken{kind: k, val: v, pos: Pos{File: name, Line: line}})
	}
	for s.i < len(s.src) {
		c := s.src[s.i]
		if s.bol {
			j := s.skipBlanksFrom(s.i)
			if bytes.HasPrefix(s.src[j:], []byte("version")) {
				// legacy "version 2" line, ignored like starter does
				s.i = s.lineEnd(j)
				s.bol = false
				continue
			}
		}
		switch {
		case c == ' ' || c == '\t':
			j := s.skipBlanksFrom(s.i)
			if j < len(s.src) && s.src[j] == '#' {
				s.i = s.lineEnd(j)
			} else {
				if s.bol {
					emit(ctSpaces, "", s.line)
				}
				s.i = j
			}
			s.bol = false
		case c == '#':
			s.i = s.lineEnd(s.i)
			s.bol = false
		case c == '\n':
			emit(ctNewline, "", s.line)
			s.line++
			s.i++
			s.bol = true
		case c == '\r' && s.i+1 < len(s.src) && s.src[s.i+1] == '\n':
			if !crlf {
				crlf = true
				lx.d.warnf(Pos{name, s.line}, "file has CRLF line ends: strongSwan's starter reads the carriage return as part of values (ignored here)")
			}
			s.i++
		case c == '=':
			emit(ctEq, "", s.line)
			s.i++
			s.bol = false
		case s.bol && bytes.HasPrefix(s.src[s.i:], []byte("config setup")):
			emit(ctConfigSetup, "", s.line)
			s.i += len("config setup")
			s.bol = false
		case s.bol && s.stringRun(s.i) == 4 && bytes.HasPrefix(s.src[s.i:], []byte("conn")):
			emit(ctConn, "", s.line)
			s.i += 4
			s.bol = false
		case s.bol && s.stringRun(s.i) == 2 && bytes.HasPrefix(s.src[s.i:], []byte("ca")):
			emit(ctCA, "", s.line)
			s.i += 2
			s.bol = false
		case s.includeAt():
			lx.include(&s, name, depth, emit)
			s.bol = false
		case c == '"':
			line := s.line
			s.i++
			str, ok := s.quoted()
			if !ok {
				lx.d.errorf(Pos{name, line}, "unterminated string detected")
				emit(ctError, "", line)
			} else {
				emit(ctString, str, line)
			}
			s.bol = false
		default:
			n := s.stringRun(s.i)
			emit(ctString, string(s.src[s.i:s.i+n]), s.line)
			s.i += n
			s.bol = false
		}
	}
}

// include handles "include PATTERN": s.i is at the 'i' of include.
func (lx *confLexer) include(s *fileScanner, name string, depth int, emit func(confTokKind, string, int)) {
	line := s.line
	s.i += len("include")
	wsEnd := s.skipBlanksFrom(s.i)
	if wsEnd >= len(s.src) || s.src[wsEnd] == '=' {
		// only reachable with two or more blanks before '=': the scanner's
		// trailing context then matches a blank and the pattern is empty
		s.i = wsEnd
		lx.d.warnf(Pos{name, line}, "no include pattern specified, ignored")
		return
	}
	s.i = wsEnd
	pattern, ok := s.includePattern()
	if !ok {
		lx.d.errorf(Pos{name, line}, "unterminated string detected")
		emit(ctError, "", line)
		return
	}
	lx.inc.include(Pos{name, line}, name, pattern, depth, lx.scanFile)
}

// includer reads included files for one parse, within a budget: nested
// includes can multiply (a file including itself twice reaches 2^10 copies
// at the depth limit).
type includer struct {
	fsys  FS
	d     *diags
	files int
	bytes int64
}

// Limits on what one parse reads through includes (variables so that the
// fuzz tests can lower them).
var (
	maxIncludedFiles       = 1000
	maxIncludedBytes int64 = 64 << 20
)

// include expands pattern relative to the including file and feeds every
// readable match to scan.
func (in *includer) include(pos Pos, current, pattern string, depth int,
	scan func(name string, src []byte, depth int)) {
	if pattern == "" {
		in.d.warnf(pos, "no include pattern specified, ignored")
		return
	}
	if depth >= maxIncludeDepth {
		in.d.errorf(pos, "include '%s' nested too deeply (more than %d levels), ignored", pattern, maxIncludeDepth)
		return
	}
	full := includePattern(current, pattern)
	matches, err := globFiles(in.fsys, full)
	if err != nil {
		in.d.warnf(pos, "expanding file pattern '%s' failed: %v", full, err)
		return
	}
	if len(matches) == 0 {
		in.d.warnf(pos, "no files found matching '%s'", full)
		return
	}
	for _, m := range matches {
		data, ok := in.read(pos, m)
		if ok {
			scan(m, data, depth+1)
		}
	}
}

// read reads one included file, reporting problems at pos.
func (in *includer) read(pos Pos, name string) ([]byte, bool) {
	if in.files >= maxIncludedFiles || in.bytes >= maxIncludedBytes {
		in.d.errorf(pos, "too many included files (more than %d files or %d MiB), '%s' ignored",
			maxIncludedFiles, maxIncludedBytes>>20, name)
		return nil, false
	}
	data, err := readConfigFile(in.fsys, name)
	if err != nil {
		in.d.warnf(pos, "unable to open '%s': %s", name, errText(err))
		return nil, false
	}
	in.files++
	in.bytes += int64(len(data))
	return data, true
}

// fileScanner holds the position in one file.
type fileScanner struct {
	src  []byte
	i    int
	line int
	bol  bool
}

func (s *fileScanner) skipBlanksFrom(i int) int {
	for i < len(s.src) && (s.src[i] == ' ' || s.src[i] == '\t') {
		i++
	}
	return i
}

// lineEnd returns the index of the next '\n' at or after i (or len).
func (s *fileScanner) lineEnd(i int) int {
	if j := bytes.IndexByte(s.src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(s.src)
}

func isConfStringByte(c byte) bool {
	return c != '"' && c != '#' && c != '=' && c != ' ' && c != '\t' && c != '\n'
}

// stringRun returns the length of the unquoted value token at i
// ((@#)?[^"#= \t\n]+, stopping before a CRLF's \r).
func (s *fileScanner) stringRun(i int) int {
	start := i
	if bytes.HasPrefix(s.src[i:], []byte("@#")) && i+2 < len(s.src) && isConfStringByte(s.src[i+2]) {
		i += 2
	}
	for i < len(s.src) && isConfStringByte(s.src[i]) {
		if s.src[i] == '\r' && i+1 < len(s.src) && s.src[i+1] == '\n' {
			break
		}
		i++
	}
	return i - start
}

// includeAt reports whether "include" followed by blanks and a character
// other than '=' starts at s.i (or two blanks before '=', see include).
func (s *fileScanner) includeAt() bool {
	if !bytes.HasPrefix(s.src[s.i:], []byte("include")) {
		return false
	}
	j := s.i + len("include")
	k := s.skipBlanksFrom(j)
	if k == j || k >= len(s.src) {
		return false
	}
	return s.src[k] != '=' || k-j >= 2
}

// quoted scans a double-quoted string; s.i is just past the opening quote.
// It reports false for a string not terminated before the end of the file.
func (s *fileScanner) quoted() (string, bool) {
	var b strings.Builder
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch c {
		case '"':
			s.i++
			return b.String(), true
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

// includePattern scans an include pattern: blanks, '#' and newlines end it
// unless escaped with '\', a double-quoted part ends it after the quote.
func (s *fileScanner) includePattern() (string, bool) {
	var b strings.Builder
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch c {
		case '#', '\n':
			return trimCR(b.String()), true
		case ' ', '\t':
			s.i++
			return b.String(), true
		case '"':
			s.i++
			str, ok := s.quoted()
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

func trimCR(s string) string { return strings.TrimSuffix(s, "\r") }
