// Package sqlcli is `ipsec pool`, strongSwan's tool to manage the virtual IP
// pools and attributes of the attr-sql database: the same options, the
// same output byte for byte, the same exit codes (1 for a bad command, 66
// when the database cannot be opened), over SQLite or PostgreSQL.
//
// Unlike strongSwan's, every command (and a whole --batch) runs in one
// transaction: a command that fails leaves the database as it was.
//
// It must not import the IKE core or any daemon package.
package sqlcli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/goswan/goswan/internal/config"
	sqlpool "github.com/goswan/goswan/internal/pool/sql"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1  // EXIT_FAILURE
	ExitInit    = 66 // SS_RC_INITIALIZATION_FAILED
)

// Env is what a run of the tool sees of the world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Now tells the time (time.Now if nil).
	Now func() time.Time
	// Local is the time zone of --leases without --utc (time.Local if
	// nil).
	Local *time.Location
	// Argv0 names the program in getopt's messages ("pool" if empty).
	Argv0 string
}

func (e *Env) fill() {
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Local == nil {
		e.Local = time.Local
	}
	if e.Argv0 == "" {
		e.Argv0 = "pool"
	}
}

// Main runs the tool as strongSwan's pool binary does: it opens the
// database strongswan.conf names (pool.database, else
// charon.plugins.attr-sql.database, else the legacy libhydra one),
// creating the attr-sql schema in an empty database, then runs args.
func Main(settings *config.Settings, args []string, env Env) int {
	env.fill()
	uri, ok := sqlpool.ToolURI(settings)
	if !ok {
		fmt.Fprintln(env.Stderr, "database URI pool.database not set.")
		return ExitInit
	}
	db, err := sqlpool.Open(uri)
	if err == nil {
		if err = db.EnsureSchema(context.Background()); err != nil {
			db.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "opening database failed.")
		return ExitInit
	}
	defer db.Close()
	return Run(context.Background(), db, args, env)
}

// exitError ends a command with a status; its message has been printed.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// fail is the usual failure: EXIT_FAILURE.
var fail = exitError(ExitFailure)

// Run executes the arguments of one `ipsec pool` invocation (without the
// program name) in one transaction and returns the exit status.
func Run(ctx context.Context, db *sqlpool.DB, args []string, env Env) int {
	env.fill()
	r := &runner{env: env, out: bufio.NewWriter(env.Stdout)}
	defer r.out.Flush()
	// the options are checked before the database is touched
	cmd, err := r.parse(args)
	if err == nil {
		err = db.InTx(ctx, func(tx *sqlpool.Tx) error {
			r.tx = tx
			return r.exec(ctx, cmd, 0)
		})
	}
	if err == nil {
		return ExitOK
	}
	var e exitError
	if errors.As(err, &e) {
		return int(e)
	}
	r.out.Flush()
	fmt.Fprintf(env.Stderr, "%s: %v\n", env.Argv0, err)
	return ExitFailure
}

// runner holds the state of one invocation. start, end and replace live
// as long as the invocation, as pool.c's globals do across --batch lines.
type runner struct {
	env     Env
	out     *bufio.Writer
	tx      *sqlpool.Tx
	start   netip.Addr
	end     netip.Addr
	replace bool
}

// operations
type operation uint8

const (
	opUndef operation = iota
	opUsage
	opStatus
	opStatusAttr
	opAdd
	opAddAttr
	opDel
	opDelAttr
	opShowAttr
	opResize
	opLeases
	opPurge
	opBatch
)

// valueType is the kind of an attribute value (pool_attributes.h).
type valueType uint8

const (
	valueNone valueType = iota
	valueHex
	valueString
	valueAddr
	valueSubnet
)

func (v valueType) String() string {
	return [...]string{"none", "hex", "string", "addr", "subnet"}[v]
}

// command is one parsed command line.
type command struct {
	op        operation
	name      string
	value     string
	filter    string
	pool      string
	identity  string
	hasPool   bool
	hasID     bool
	addresses string
	hasAddrs  bool
	valueType valueType
	timeout   int64
	utc       bool
	hexout    bool
}

// errorf prints a message to stderr and fails.
func (r *runner) errorf(format string, args ...any) error {
	r.out.Flush()
	fmt.Fprintf(r.env.Stderr, format, args...)
	return fail
}

// usageFail prints a message and the usage and fails, as pool.c does for
// bad options.
func (r *runner) usageFail(format string, args ...any) error {
	r.out.Flush()
	if format != "" {
		fmt.Fprintf(r.env.Stderr, format, args...)
	}
	r.out.WriteString(usageText)
	return fail
}

// isAttribute reports whether --add/--del name an attribute instead of a
// pool.
func isAttribute(name string) bool {
	return strings.EqualFold(name, "dns") || strings.EqualFold(name, "nbns") || strings.EqualFold(name, "wins")
}

// parse reads one command line as pool.c's do_args.
func (r *runner) parse(args []string) (*command, error) {
	c := &command{}
	g := &getopt{args: args, argv0: r.env.Argv0, errw: r.env.Stderr}
	for {
		val, arg, ok := g.next()
		if !ok {
			break
		}
		switch val {
		case 'h':
			c.op = opUsage
		case 'w':
			c.op = opStatus
		case '1':
			c.op = opStatusAttr
		case 'u':
			c.utc = true
		case 'c', 'a':
			if val == 'c' {
				r.replace = true
			}
			c.name = arg
			c.op = opAdd
			if isAttribute(arg) {
				c.op = opAddAttr
			}
			if r.replace && c.op == opAddAttr {
				return nil, r.usageFail("invalid pool name: reserved for '%s' attribute.\n", arg)
			}
		case '2':
			c.name, c.op = arg, opAddAttr
		case 'd':
			c.name = arg
			c.op = opDel
			if isAttribute(arg) {
				c.op = opDelAttr
			}
		case '3':
			c.name, c.op = arg, opDelAttr
		case '4':
			c.op = opShowAttr
		case 'r':
			c.name, c.op = arg, opResize
		case 'l':
			c.op = opLeases
		case 'p':
			c.name, c.op = arg, opPurge
		case 'b':
			c.name = arg
			if c.op == opBatch {
				return nil, r.errorf("--batch commands can not be nested\n")
			}
			c.op = opBatch
		case 's':
			a, ok := config.ParseHost(arg)
			if !ok {
				r.start = netip.Addr{}
				return nil, r.usageFail("invalid start address: '%s'.\n", arg)
			}
			r.start = a
		case 'e':
			a, ok := config.ParseHost(arg)
			if !ok {
				r.end = netip.Addr{}
				return nil, r.usageFail("invalid end address: '%s'.\n", arg)
			}
			r.end = a
		case 't':
			t, ok := parseTimespan(arg)
			if !ok {
				return nil, r.usageFail("invalid timeout '%s'.\n", arg)
			}
			c.timeout = t
		case 'f':
			c.filter = arg
		case 'y':
			c.addresses, c.hasAddrs = arg, true
		case 'g':
			c.valueType, c.value = valueString, arg
		case 'n':
			c.valueType, c.value = valueSubnet, arg
		case 'v':
			c.valueType, c.value = valueAddr, arg
		case 'x':
			c.valueType, c.value = valueHex, arg
		case '5':
			c.hexout = true
		case '6':
			c.pool, c.hasPool = arg, true
		case '7':
			c.identity, c.hasID = arg, true
		default:
			return nil, r.usageFail("")
		}
	}
	return c, nil
}

// exec runs a parsed command; depth counts --batch levels.
func (r *runner) exec(ctx context.Context, c *command, depth int) error {
	switch c.op {
	case opUsage:
		r.out.WriteString(usageText)
		return nil
	case opStatus:
		return r.status(ctx)
	case opStatusAttr:
		return r.statusAttr(ctx, c.hexout)
	case opAdd:
		switch {
		case c.hasAddrs:
			return r.addAddresses(ctx, c.name, c.addresses, c.timeout)
		case r.start.IsValid() && r.end.IsValid():
			return r.add(ctx, c.name, r.start, r.end, c.timeout)
		}
		return r.usageFail("missing arguments.\n")
	case opAddAttr:
		if c.valueType == valueNone {
			return r.usageFail("missing arguments.\n")
		}
		if c.hasID && !c.hasPool {
			return r.usageFail("--identity option can't be used without --pool.\n")
		}
		return r.addAttr(ctx, c)
	case opDel:
		return r.del(ctx, c.name)
	case opDelAttr:
		if c.hasID && !c.hasPool {
			return r.usageFail("--identity option can't be used without --pool.\n")
		}
		return r.delAttr(ctx, c)
	case opShowAttr:
		r.showAttr()
		return nil
	case opResize:
		if !r.end.IsValid() {
			return r.usageFail("missing arguments.\n")
		}
		return r.resize(ctx, c.name, r.end)
	case opLeases:
		return r.leases(ctx, c.filter, c.utc)
	case opPurge:
		return r.purge(ctx, c.name)
	case opBatch:
		if depth > 0 {
			return r.errorf("--batch commands can not be nested\n")
		}
		return r.batch(ctx, c.name)
	}
	return r.usageFail("")
}

// batch runs the commands of a file ("-" for stdin), one per line, in the
// invocation's transaction: one failing command undoes them all.
func (r *runner) batch(ctx context.Context, name string) error {
	var in io.Reader = r.env.Stdin
	if !strings.HasPrefix(name, "-") {
		f, err := os.Open(name)
		if err != nil {
			return r.errorf("opening '%s' failed: %s\n", name, strerror(err))
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReader(in)
	for {
		line, err := readLine(br, 512)
		if line == "" && err != nil {
			break
		}
		if line == "\n" {
			continue
		}
		args := strings.FieldsFunc(line, func(c rune) bool { return c == ' ' || c == '\n' })
		// pool.c's argv has 32 slots: the program name, the words and
		// a terminating NULL
		switch {
		case len(args) > 31:
			return r.errorf("too many arguments: %s\n", args[31])
		case len(args) == 31:
			return r.errorf("too many arguments: (null)\n")
		}
		c, perr := r.parse(args)
		if perr != nil {
			return perr
		}
		if err := r.exec(ctx, c, 1); err != nil {
			return err
		}
	}
	return nil
}

// readLine reads like fgets with a buffer of n bytes: up to and including
// a newline, at most n-1 bytes.
func readLine(br *bufio.Reader, n int) (string, error) {
	var sb strings.Builder
	for sb.Len() < n-1 {
		c, err := br.ReadByte()
		if err != nil {
			return sb.String(), err
		}
		sb.WriteByte(c)
		if c == '\n' {
			break
		}
	}
	return sb.String(), nil
}

// strerror renders an error as glibc's strerror of its errno.
func strerror(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	s := err.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// parseTimespan parses --timeout as timespan_from_string with hours as the
// default unit: a number with an optional unit s, m, h or d.
func parseTimespan(s string) (int64, bool) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	if i < len(s) && s[i] == '+' {
		i++
	}
	j := i
	var v uint64
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		if v > (1<<63)/10 {
			return 0, false
		}
		v = v*10 + uint64(s[j]-'0')
		j++
	}
	if j == i {
		return 0, false
	}
	for j < len(s) && strings.IndexByte(" \t\n\v\f\r", s[j]) >= 0 {
		j++
	}
	unit := byte('h')
	if j < len(s) {
		unit = s[j]
	}
	switch unit {
	case 'd':
		v *= 24 * 3600
	case 'h':
		v *= 3600
	case 'm':
		v *= 60
	case 's':
	default:
		return 0, false
	}
	return int64(v), true
}
