// Command lab runs the project's test lab: strongSwan's test network
// (hosts alice, venus, moon, carol, winnetou, dave, sun, bob) in network
// namespaces, and a runner for test scenarios in strongSwan's format.
//
//	lab up [HOST...]          build the switch and hosts (default: all)
//	lab down                  stop everything, remove namespaces and state
//	lab status                hosts and their processes
//	lab exec HOST CMD...      run a command inside a host
//	lab run [flags] SCEN...   run scenarios (dir, GROUP/NAME or GROUP)
//	lab pki [DIR]             (re)generate the test PKI
//
// Environment: LAB_PREFIX (netns prefix, gs-), LAB_STATE
// (/var/tmp/goswan-lab), IPSEC_BIN and IPSEC_BIN_<host> (what `ipsec` runs
// in the hosts), LAB_SS_FIXUPS[_<host>] (strongSwan adjustments: auto, 1,
// 0), LAB_FW_TUN[_<host>], LAB_CMD_TIMEOUT, LAB_COMPAT, LAB_PASSENV,
// LAB_TESTING (the project's testing/ directory).
//
// The same binary, installed into the state directory, is the hosts' PID 1
// (hidden command host-init) and, under other names, the shims ipsec,
// expect-connection, expect-file, iptables-restore, ip6tables-restore,
// killall and pkill.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/lab"
	"github.com/goswan/goswan/testing/pki"
)

const usage = `usage: lab COMMAND [ARGS]

  up [HOST...]           build the switch and the hosts (default: all)
  down                   stop all hosts, delete the namespaces and the state
                         (the PKI cache and results are kept)
  status                 list the hosts and their processes
  exec HOST CMD [ARG...] run CMD inside HOST (all its namespaces, clean env)
  run [flags] SCENARIO...
                         run scenarios: a directory, GROUP/NAME or GROUP
                         (under --scenarios DIR, else testing/tests)
  pki [DIR]              regenerate the test PKI (default: the cache in the state dir)

run flags:
  --keep                 leave the daemons up (skip posttest and the final reap)
  -v                     print all output of failed lines and of pre/posttest
  --compat NAME          evaltest rewrites: libipsec, none, or auto = libipsec when
                         an IPsec host runs strongSwan (default $LAB_COMPAT, else auto)
  --timeout DURATION     per command (default 60s, $LAB_CMD_TIMEOUT seconds)
  --ike-only             skip evaltest lines that need a datapath (ping, ESP in
                         tcpdump), reported as SKIP
  --scenarios DIR        where GROUP/NAME arguments are looked up first
  --results DIR          where results go (default $LAB_STATE/results)

environment: LAB_PREFIX (gs-), LAB_STATE (/var/tmp/goswan-lab), IPSEC_BIN,
IPSEC_BIN_<host>, LAB_SS_FIXUPS[_<host>] (auto|1|0), LAB_FW_TUN[_<host>],
LAB_PASSENV, LAB_TESTING
`

func main() {
	if name := filepath.Base(os.Args[0]); lab.IsShim(name) {
		os.Exit(lab.RunShim(name, os.Args[1:]))
	}
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg := lab.FromEnv()
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	code := 0
	switch cmd {
	case "up":
		err = withLockedLab(cfg, func(ctx context.Context, l *lab.Lab) error {
			t0 := time.Now()
			if err := l.Up(ctx, args); err != nil {
				return err
			}
			fmt.Printf("lab up: %s (%.1fs)\n", strings.Join(l.UpHosts(), " "), time.Since(t0).Seconds())
			return nil
		})
	case "down":
		err = withLockedLab(cfg, func(ctx context.Context, l *lab.Lab) error {
			t0 := time.Now()
			if err := l.Down(ctx); err != nil {
				return err
			}
			if left := l.Leftovers(); len(left) > 0 {
				return fmt.Errorf("left behind:\n  %s", strings.Join(left, "\n  "))
			}
			fmt.Printf("lab down: nothing left (%.1fs)\n", time.Since(t0).Seconds())
			return nil
		})
	case "status":
		err = withLab(cfg, status)
	case "exec":
		code, err = execCmd(cfg, args)
	case "run":
		code, err = runCmd(cfg, args)
	case "pki":
		err = pkiCmd(cfg, args)
	case "host-init":
		if len(args) != 2 {
			err = errors.New("usage: lab host-init HOST GEN")
			break
		}
		err = lab.HostInit(cfg, args[0], args[1])
	case "host-mount-etc":
		if len(args) != 1 {
			err = errors.New("usage: lab host-mount-etc GEN")
			break
		}
		err = lab.MountEtc(args[0])
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprint(os.Stderr, usage)
		code = 2
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab %s: %v\n", cmd, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func withLab(cfg lab.Config, f func(context.Context, *lab.Lab) error) error {
	l, err := lab.New(cfg, os.Stdout)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return f(ctx, l)
}

// withLockedLab is withLab holding the lab's lock.
func withLockedLab(cfg lab.Config, f func(context.Context, *lab.Lab) error) error {
	return withLab(cfg, func(ctx context.Context, l *lab.Lab) error {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		return f(ctx, l)
	})
}

func status(_ context.Context, l *lab.Lab) error {
	sw, hosts := l.Status()
	fmt.Printf("state %s, netns prefix %s, switch %s\n", l.Cfg.State, l.Cfg.Prefix, map[bool]string{true: "up", false: "down"}[sw])
	for _, h := range hosts {
		if !h.Up {
			fmt.Printf("%-9s down\n", h.Name)
			continue
		}
		kind := "plain files"
		if h.StrongSwan {
			kind = "strongSwan adjustments"
		}
		fmt.Printf("%-9s up   init %-7d ipsec=%s (%s)\n", h.Name, h.InitPid, h.IpsecBin, kind)
		for _, p := range h.Procs {
			fmt.Printf("            %5d %s\n", p.NsPid, trunc(p.Cmdline, 100))
		}
	}
	return nil
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func execCmd(cfg lab.Config, args []string) (int, error) {
	if len(args) < 2 {
		return 2, errors.New("usage: lab exec HOST CMD [ARG...]")
	}
	l, err := lab.New(cfg, os.Stderr)
	if err != nil {
		return 1, err
	}
	path, argv, env, err := l.ExecArgv(args[0], args[1:])
	if err != nil {
		return 1, err
	}
	// replace this process: the terminal, signals and exit status pass
	// straight through
	return 1, syscall.Exec(path, argv, env)
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// durationFlag accepts "90s", "2m" or plain seconds.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(v string) error {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		*f.d = time.Duration(n * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func runCmd(cfg lab.Config, args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var (
		opts      lab.RunOptions
		compat    stringList
		scenarios stringList
	)
	opts.Timeout = cfg.CmdTimeout
	fs.BoolVar(&opts.Keep, "keep", false, "leave the daemons up (skip posttest and the final reap)")
	fs.BoolVar(&opts.SkipDatapath, "ike-only", false, "skip evaltest lines that need a datapath (ping, ESP in tcpdump)")
	fs.BoolVar(&opts.Verbose, "v", false, "verbose")
	fs.Var(&compat, "compat", "evaltest rewrite set: libipsec, auto, none (repeatable)")
	fs.Var(durationFlag{&opts.Timeout}, "timeout", "per-command timeout")
	fs.Var(&scenarios, "scenarios", "directory where GROUP/NAME arguments are looked up (repeatable)")
	fs.StringVar(&opts.ResultsDir, "results", "", "results directory")
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	// flags may follow the scenario arguments
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2, err
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(names) == 0 {
		fs.Usage()
		return 2, nil
	}
	if len(compat) == 0 {
		// default: rewrite for libipsec exactly when strongSwan with
		// kernel-libipsec takes part (--compat none for the original lines)
		compat = stringList{"auto"}
		if c := os.Getenv("LAB_COMPAT"); c != "" {
			compat = stringList{c}
		}
	}
	for _, c := range compat {
		sets, err := lab.ParseCompat(c)
		if err != nil {
			return 2, err
		}
		opts.Compat = append(opts.Compat, sets...)
	}
	search := append([]string{}, scenarios...)
	if cfg.TestingDir != "" {
		search = append(search, filepath.Join(cfg.TestingDir, "tests"))
	}
	dirs, err := lab.ResolveScenarios(names, search)
	if err != nil {
		return 2, err
	}
	l, err := lab.New(cfg, os.Stdout)
	if err != nil {
		return 1, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	unlock, err := l.Lock(ctx)
	if err != nil {
		return 1, err
	}
	defer unlock()
	res := l.Run(ctx, dirs, opts)
	_, _, ok := lab.Summary(os.Stdout, res)
	if ctx.Err() != nil {
		return 130, errors.New("interrupted")
	}
	if !ok {
		return 1, nil
	}
	return 0, nil
}

func pkiCmd(cfg lab.Config, args []string) error {
	if len(args) > 1 {
		return errors.New("usage: lab pki [DIR]")
	}
	dir := cfg.PKIDir()
	if len(args) == 1 {
		dir = args[0]
	}
	t0 := time.Now()
	p, err := pki.Generate(pki.Options{})
	if err != nil {
		return err
	}
	if err := p.WriteDir(dir); err != nil {
		return err
	}
	fmt.Printf("test PKI written to %s (%.1fs)\n", dir, time.Since(t0).Seconds())
	fmt.Printf("  %-10s            %s\n", "CA", pki.DN(p.CA.Subject))
	for _, c := range p.Creds {
		fmt.Printf("  %-10s serial %02x  %s\n", c.Name, c.Cert.SerialNumber, pki.DN(c.Cert.Subject))
	}
	return nil
}
