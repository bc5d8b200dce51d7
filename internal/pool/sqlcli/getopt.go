package sqlcli

import (
	"fmt"
	"io"
	"strings"
)

// option is one long option of pool.c's table.
type option struct {
	name   string
	hasArg bool
	val    byte
}

// options are pool.c's long options, in its order (which matters for the
// list of an ambiguous abbreviation).
var options = []option{
	{"help", false, 'h'},
	{"utc", false, 'u'},
	{"status", false, 'w'},
	{"add", true, 'a'},
	{"replace", true, 'c'},
	{"del", true, 'd'},
	{"resize", true, 'r'},
	{"leases", false, 'l'},
	{"purge", true, 'p'},
	{"statusattr", false, '1'},
	{"addattr", true, '2'},
	{"delattr", true, '3'},
	{"showattr", false, '4'},
	{"batch", true, 'b'},
	{"start", true, 's'},
	{"end", true, 'e'},
	{"addresses", true, 'y'},
	{"timeout", true, 't'},
	{"filter", true, 'f'},
	{"addr", true, 'v'},
	{"mask", true, 'v'},
	{"server", true, 'v'},
	{"subnet", true, 'n'},
	{"string", true, 'g'},
	{"hex", true, 'x'},
	{"hexout", false, '5'},
	{"pool", true, '6'},
	{"identity", true, '7'},
}

// getopt walks arguments as glibc's getopt_long with an empty short option
// string: long options may be abbreviated to a unique prefix and take their
// value as --opt=value or as the next argument; arguments that are no
// options are skipped (permuted to the end); "--" ends the options.
type getopt struct {
	args  []string
	i     int
	argv0 string
	errw  io.Writer
	short string // the rest of a cluster of short options
}

// next returns the next option and its value; ok is false at the end.
// An unknown, ambiguous or incomplete option is reported on errw as glibc
// does and returned as '?'.
func (g *getopt) next() (val byte, arg string, ok bool) {
	if g.short != "" {
		c := g.short[0]
		g.short = g.short[1:]
		fmt.Fprintf(g.errw, "%s: invalid option -- '%c'\n", g.argv0, c)
		return '?', "", true
	}
	for g.i < len(g.args) {
		a := g.args[g.i]
		switch {
		case a == "--":
			g.i = len(g.args)
			return 0, "", false
		case strings.HasPrefix(a, "--"):
			g.i++
			return g.long(a[2:])
		case len(a) > 1 && a[0] == '-':
			g.i++
			g.short = a[2:]
			fmt.Fprintf(g.errw, "%s: invalid option -- '%c'\n", g.argv0, a[1])
			return '?', "", true
		default:
			g.i++ // a non-option: ignored, as pool.c ignores them
		}
	}
	return 0, "", false
}

func (g *getopt) long(s string) (byte, string, bool) {
	name, value, hasValue := strings.Cut(s, "=")
	var found *option
	var ambig []*option
	for i := range options {
		o := &options[i]
		if !strings.HasPrefix(o.name, name) {
			continue
		}
		if o.name == name {
			found, ambig = o, nil
			break
		}
		switch {
		case found == nil:
			found = o
		case found.hasArg != o.hasArg || found.val != o.val:
			if len(ambig) == 0 {
				ambig = append(ambig, found)
			}
			ambig = append(ambig, o)
		}
	}
	if len(ambig) > 0 {
		fmt.Fprintf(g.errw, "%s: option '--%s' is ambiguous; possibilities:", g.argv0, s)
		for i := range options {
			for _, o := range ambig {
				if o == &options[i] {
					fmt.Fprintf(g.errw, " '--%s'", o.name)
					break
				}
			}
		}
		fmt.Fprintln(g.errw)
		return '?', "", true
	}
	if found == nil {
		fmt.Fprintf(g.errw, "%s: unrecognized option '--%s'\n", g.argv0, s)
		return '?', "", true
	}
	switch {
	case hasValue && !found.hasArg:
		fmt.Fprintf(g.errw, "%s: option '--%s' doesn't allow an argument\n", g.argv0, found.name)
		return '?', "", true
	case hasValue:
		return found.val, value, true
	case found.hasArg:
		if g.i >= len(g.args) {
			fmt.Fprintf(g.errw, "%s: option '--%s' requires an argument\n", g.argv0, found.name)
			return '?', "", true
		}
		g.i++
		return found.val, g.args[g.i-1], true
	}
	return found.val, "", true
}
