package lab

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// TestConf is a scenario's test.conf: a bash fragment of variable
// assignments naming the hosts a test uses.
type TestConf struct {
	VirtHosts    []string
	IpsecHosts   []string
	TcpdumpHosts []string // "host" or "host:iface"
	RadiusHosts  []string
	DBHosts      []string
	Swanctl      bool
	Vars         map[string]string // every assignment, unexpanded
}

// AllHosts returns every host the test names, in topology order.
func (t TestConf) AllHosts() []string {
	var all []string
	all = append(all, t.VirtHosts...)
	all = append(all, t.IpsecHosts...)
	for _, h := range t.TcpdumpHosts {
		all = append(all, tcpdumpHost(h))
	}
	all = append(all, t.RadiusHosts...)
	all = append(all, t.DBHosts...)
	known, _ := SortHosts(all)
	return known
}

// tcpdumpHost splits "host[:iface]".
func tcpdumpHost(s string) string {
	h, _, _ := strings.Cut(s, ":")
	return h
}

func tcpdumpIface(s string) string {
	if _, i, ok := strings.Cut(s, ":"); ok && i != "" {
		return i
	}
	return "eth0"
}

var assignRE = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=`)

// ParseTestConf reads the assignments of a test.conf. It understands what
// the scenarios use: NAME=value, NAME="value" (possibly spanning lines),
// NAME='value', comments and blank lines; other lines are ignored.
func ParseTestConf(r io.Reader) (TestConf, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return TestConf{}, err
	}
	vars := map[string]string{}
	s := string(data)
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line = s[:i]
		}
		trimmed := strings.TrimLeft(line, " \t")
		m := assignRE.FindStringSubmatch(trimmed)
		if m == nil {
			s = s[min(len(line)+1, len(s)):]
			continue
		}
		rest := s[len(line)-len(trimmed)+len(m[0]):]
		val, n, err := shellValue(rest)
		if err != nil {
			return TestConf{}, fmt.Errorf("test.conf: %s: %w", m[1], err)
		}
		vars[m[1]] = val
		s = rest[n:]
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		} else {
			s = ""
		}
	}
	t := TestConf{Vars: vars}
	t.VirtHosts = strings.Fields(vars["VIRTHOSTS"])
	t.IpsecHosts = strings.Fields(vars["IPSECHOSTS"])
	t.TcpdumpHosts = strings.Fields(vars["TCPDUMPHOSTS"])
	t.RadiusHosts = strings.Fields(vars["RADIUSHOSTS"])
	t.DBHosts = strings.Fields(vars["DBHOSTS"])
	t.Swanctl = vars["SWANCTL"] != ""
	return t, nil
}

// shellValue reads one shell word at the start of s (quotes removed) and
// returns it with the number of bytes consumed.
func shellValue(s string) (string, int, error) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && strings.IndexByte("$`\"\\\n", s[j+1]) >= 0 {
					j++
					if s[j] != '\n' {
						b.WriteByte(s[j])
					}
					continue
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return "", 0, errors.New("unterminated double quote")
			}
			i = j + 1
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", 0, errors.New("unterminated single quote")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '\\' && i+1 < len(s):
			if s[i+1] != '\n' {
				b.WriteByte(s[i+1])
			}
			i += 2
		case c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '#':
			return b.String(), i, nil
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i, nil
}

// DatLine is one line of pretest.dat, evaltest.dat or posttest.dat,
// split like do-tests does with awk -F "::".
type DatLine struct {
	N       int    // line number
	Raw     string // the line as read
	Comment bool   // starts with '#'
	Host    string // field 1, spaces removed
	Cmd     string // field 2, as written
	Pattern string // field 3, as written (see Unescape)
	Hit     string // field 4, trimmed: YES, NO, a count, or anything else
}

// Runnable reports whether do-tests would execute the line: not a comment
// and a non-empty command field.
func (d DatLine) Runnable() bool { return !d.Comment && d.Cmd != "" }

// IsTcpdump reports whether the command is the tcpdump pseudo-command.
func (d DatLine) IsTcpdump() bool { return strings.TrimSpace(d.Cmd) == "tcpdump" }

// String reassembles the line (after rewrites) in .dat syntax.
func (d DatLine) String() string {
	if d.Comment {
		return d.Raw
	}
	s := d.Host + "::" + d.Cmd
	if d.Pattern != "" || d.Hit != "" {
		s += "::" + d.Pattern + "::" + d.Hit
	}
	return s
}

// SplitDatLine splits one line on "::" as awk -F "::" does: the separators
// are taken left to right without overlap, so a literal IPv6 address such
// as fec1::1 breaks the fields (upstream writes fec1:\:1 in commands).
func SplitDatLine(n int, line string) DatLine {
	line = strings.TrimRight(line, "\r\n")
	d := DatLine{N: n, Raw: line}
	if strings.HasPrefix(line, "#") {
		d.Comment = true
		return d
	}
	f := strings.Split(line, "::")
	get := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	d.Host = strings.ReplaceAll(strings.TrimSpace(get(0)), " ", "")
	d.Cmd = get(1)
	d.Pattern = get(2)
	d.Hit = strings.TrimSpace(get(3))
	return d
}

// ParseDat reads a .dat file.
func ParseDat(r io.Reader) ([]DatLine, error) {
	var out []DatLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		out = append(out, SplitDatLine(n, sc.Text()))
	}
	return out, sc.Err()
}

// Unescape undoes what the double quotes around a pattern do in do-tests'
// `grep "PATTERN"`: a backslash before $, `, ", \ or a newline is
// removed. Other backslashes stay, for grep to see. (Parameter expansion
// is not emulated: no scenario relies on it.)
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
			i++
			if s[i] != '\n' {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ExpandPrePost turns a pretest/posttest command into the text the host's
// shell receives. do-tests runs them as `ssh root@host "CMD"`: the local
// shell sees CMD inside double quotes (quotes in CMD toggle quoting), and
// ssh joins the resulting words with single spaces. So `fec0:\:1` stays
// escaped for the remote shell, while in `"ip route add fec0:\:/16"` the
// quotes end the outer quoting and the local shell removes the backslash.
func ExpandPrePost(cmd string) string {
	var b strings.Builder
	inDouble := true
	pendingSpace := false
	emit := func(c byte) {
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteByte(c)
	}
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		if inDouble {
			switch {
			case c == '"':
				inDouble = false
			case c == '\\' && i+1 < len(cmd) && strings.IndexByte("$`\"\\\n", cmd[i+1]) >= 0:
				i++
				if cmd[i] != '\n' {
					emit(cmd[i])
				}
			default:
				emit(c)
			}
			continue
		}
		switch {
		case c == '"':
			inDouble = true
		case c == '\\' && i+1 < len(cmd):
			i++
			if cmd[i] != '\n' {
				emit(cmd[i])
			}
		case c == '\'':
			j := strings.IndexByte(cmd[i+1:], '\'')
			if j < 0 {
				j = len(cmd) - i - 1
			}
			for _, x := range []byte(cmd[i+1 : i+1+j]) {
				emit(x)
			}
			i += j + 1
		case c == ' ' || c == '\t':
			if b.Len() > 0 {
				pendingSpace = true
			}
		default:
			emit(c)
		}
	}
	return b.String()
}

// Scenario is a test case in strongSwan's format.
type Scenario struct {
	Name        string // GROUP/NAME
	Dir         string // where it was read from
	Conf        TestConf
	Pre         []DatLine
	Eval        []DatLine
	Post        []DatLine
	Description string
}

// IsScenarioDir reports whether dir looks like a scenario.
func IsScenarioDir(dir string) bool {
	for _, f := range []string{"test.conf", "evaltest.dat"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}

// ResolveScenarios turns command-line arguments into scenario directories.
// An argument is a directory (a scenario, or a group of scenarios), or
// GROUP[/NAME] below one of the search directories.
func ResolveScenarios(args []string, search []string) ([]string, error) {
	var out []string
	for _, a := range args {
		cands := []string{}
		if filepath.IsAbs(a) || strings.HasPrefix(a, ".") {
			cands = append(cands, a)
		} else {
			cands = append(cands, a)
			for _, s := range search {
				if s != "" {
					cands = append(cands, filepath.Join(s, a))
				}
			}
		}
		found := false
		for _, c := range cands {
			fi, err := os.Stat(c)
			if err != nil || !fi.IsDir() {
				continue
			}
			if IsScenarioDir(c) {
				out = append(out, c)
				found = true
				break
			}
			// a group: every scenario directory below it
			ents, err := os.ReadDir(c)
			if err != nil {
				continue
			}
			var sub []string
			for _, e := range ents {
				if p := filepath.Join(c, e.Name()); e.IsDir() && IsScenarioDir(p) {
					sub = append(sub, p)
				}
			}
			if len(sub) > 0 {
				sort.Strings(sub)
				out = append(out, sub...)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("scenario %q not found (looked in: %s)", a, strings.Join(cands, ", "))
		}
	}
	return out, nil
}

// scenarioName derives GROUP/NAME from a scenario directory.
func scenarioName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	abs = filepath.Clean(abs)
	return filepath.Base(filepath.Dir(abs)) + "/" + filepath.Base(abs)
}

// LoadScenario reads the control files of a scenario directory. Placeholders
// are substituted in the .dat files; the hosts/ tree is handled by the layer
// builder.
func LoadScenario(dir string) (*Scenario, error) {
	s := &Scenario{Dir: dir, Name: scenarioName(dir)}
	f, err := os.Open(filepath.Join(dir, "test.conf"))
	if err != nil {
		return nil, err
	}
	s.Conf, err = ParseTestConf(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	read := func(name string, required bool) ([]DatLine, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return ParseDat(strings.NewReader(SubstitutePlaceholders(string(data))))
	}
	if s.Pre, err = read("pretest.dat", false); err != nil {
		return nil, err
	}
	if s.Eval, err = read("evaltest.dat", true); err != nil {
		return nil, err
	}
	if s.Post, err = read("posttest.dat", false); err != nil {
		return nil, err
	}
	if d, err := os.ReadFile(filepath.Join(dir, "description.txt")); err == nil {
		s.Description = string(d)
	}
	if _, unknown := SortHosts(s.Conf.AllHostsRaw()); len(unknown) > 0 {
		return nil, fmt.Errorf("%s: test.conf names unknown hosts %v", s.Name, unknown)
	}
	return s, nil
}

// AllHostsRaw is AllHosts without filtering unknown names.
func (t TestConf) AllHostsRaw() []string {
	var all []string
	all = append(all, t.VirtHosts...)
	all = append(all, t.IpsecHosts...)
	for _, h := range t.TcpdumpHosts {
		all = append(all, tcpdumpHost(h))
	}
	all = append(all, t.RadiusHosts...)
	all = append(all, t.DBHosts...)
	return all
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// plainDescription strips the HTML of description.txt.
func plainDescription(s string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(s, "")), " ")
}
