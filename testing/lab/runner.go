package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The scenario runner follows strongSwan's testing/do-tests:
//
//  1. every host that is up is reset: daemons stopped (`ipsec stop`),
//     leftover processes killed, /etc layers rebuilt and remounted (the
//     writable layer emptied), logs truncated, conntrack, xfrm state and
//     policies, routing table 220 and its rules flushed, iptables.flush
//     loaded; hosts the scenario needs are started first;
//  2. tcpdump runs on TCPDUMPHOSTS ("-i eth0 not port ssh and not port
//     domain", line buffered);
//  3. pretest.dat lines host::command run in order;
//  4. evaltest.dat lines host::command::pattern::hit: the command's stdout
//     is grepped for pattern (GNU grep, after undoing the double-quote
//     escapes do-tests' shell would remove); hit YES = must match, NO =
//     must not, a number = exactly that many matching lines, anything else
//     never fails (do-tests' behaviour; upstream has such typos). The
//     command "tcpdump" stops that host's capture and greps its output;
//  5. results are collected; posttest.dat runs; the hosts are reaped.

// RunOptions control a run.
type RunOptions struct {
	Keep       bool          // skip posttest and the final reap: leave the daemons up
	Verbose    bool          // print the whole output of failed lines and of pre/posttest
	Compat     []string      // evaltest rewrite sets (compat.go); "auto" picks by host
	Timeout    time.Duration // per command; Config.CmdTimeout if 0
	ResultsDir string        // parent of GROUP/NAME result directories
	// SkipDatapath skips the evaltest lines that need a datapath (pings,
	// and tcpdump lines looking for ESP) and reports them as SKIP: for
	// IKE-only runs of an implementation without ESP.
	SkipDatapath bool
}

// needsDatapath reports whether an evaltest line checks traffic through a
// tunnel rather than IKE.
func needsDatapath(d DatLine) bool {
	cmd := strings.TrimSpace(d.Cmd)
	if strings.HasPrefix(cmd, "ping") || strings.HasPrefix(cmd, "ssh") {
		return true
	}
	return d.IsTcpdump() && strings.Contains(d.Pattern, "ESP")
}

// Result is the outcome of one scenario.
type Result struct {
	Name           string
	Passed, Failed int
	Err            error // the scenario could not be run completely
	Duration       time.Duration
	Dir            string // results directory
}

// OK reports whether every evaltest line passed and nothing went wrong.
func (r Result) OK() bool { return r.Err == nil && r.Failed == 0 }

// Run runs the scenarios in dirs one after the other.
func (l *Lab) Run(ctx context.Context, dirs []string, opts RunOptions) []Result {
	var res []Result
	for _, d := range dirs {
		if ctx.Err() != nil {
			break
		}
		res = append(res, l.RunScenario(ctx, d, opts))
	}
	return res
}

type tcpdumpProc struct {
	iface   string
	rootPid int
	stopped bool
}

type scenarioRun struct {
	l        *Lab
	opts     RunOptions
	sc       *Scenario
	res      string
	console  *os.File
	up       []string
	tcpdumps map[string]*tcpdumpProc
}

// RunScenario runs one scenario.
func (l *Lab) RunScenario(ctx context.Context, dir string, opts RunOptions) (result Result) {
	start := time.Now()
	result.Name = scenarioName(dir)
	defer func() {
		result.Duration = time.Since(start)
		status := fmt.Sprintf("%d passed, %d failed", result.Passed, result.Failed)
		if result.Err != nil {
			status += ", ERROR: " + result.Err.Error()
		}
		l.logf("=== %s: %s (%.1fs, results: %s)", result.Name, status, result.Duration.Seconds(), result.Dir)
	}()
	if opts.Timeout == 0 {
		opts.Timeout = l.Cfg.CmdTimeout
	}
	if opts.ResultsDir == "" {
		opts.ResultsDir = l.Cfg.ResultsDir()
	}
	sc, err := LoadScenario(dir)
	if err != nil {
		result.Err = err
		return result
	}
	result.Name = sc.Name
	r := &scenarioRun{l: l, opts: opts, sc: sc, tcpdumps: map[string]*tcpdumpProc{}}
	r.res = filepath.Join(opts.ResultsDir, filepath.FromSlash(sc.Name))
	result.Dir = r.res
	if err := os.RemoveAll(r.res); err != nil {
		result.Err = err
		return result
	}
	if err := os.MkdirAll(r.res, 0o755); err != nil {
		result.Err = err
		return result
	}
	r.console, err = os.OpenFile(filepath.Join(r.res, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o644)
	if err != nil {
		result.Err = err
		return result
	}
	defer r.console.Close()

	result.Passed, result.Failed, result.Err = r.run(ctx)
	return result
}

func (r *scenarioRun) run(ctx context.Context) (passed, failed int, err error) {
	l, sc := r.l, r.sc

	compat, auto := r.resolveCompat()
	var runsStrongSwan func(string) bool
	if auto {
		// in a mixed run, a host running our daemon still puts its
		// virtual IP on eth0
		runsStrongSwan = l.Cfg.RunsStrongSwan
	}
	eval, changed := ApplyCompatHosts(sc.Eval, compat, runsStrongSwan)
	if err := writeDat(filepath.Join(r.res, "evaltest.effective.dat"), eval); err != nil {
		return 0, 0, err
	}

	// hosts: those test.conf names plus any a .dat line uses
	need := sc.Conf.AllHosts()
	for _, set := range [][]DatLine{sc.Pre, eval, sc.Post} {
		for _, d := range set {
			if d.Runnable() {
				need = append(need, d.Host)
			}
		}
	}
	// and those the scenario has configuration for (upstream copies it to
	// them whether or not test.conf names them)
	if ents, err := os.ReadDir(filepath.Join(sc.Dir, "hosts")); err == nil {
		for _, e := range ents {
			if _, ok := LookupHost(e.Name()); ok && e.IsDir() {
				need = append(need, e.Name())
			}
		}
	}
	need, unknown := SortHosts(need)
	if len(unknown) > 0 {
		return 0, 0, fmt.Errorf("unknown hosts in .dat files: %v", unknown)
	}
	var desc []string
	for _, h := range sc.Conf.IpsecHosts {
		kind := "plain"
		if l.Cfg.RunsStrongSwan(h) {
			kind = "strongSwan+libipsec"
		}
		desc = append(desc, fmt.Sprintf("%s=%s[%s]", h, l.Cfg.IpsecBin(h), kind))
	}
	l.logf("=== %s  (%s)", sc.Name, strings.Join(desc, " "))
	if d := plainDescription(sc.Description); d != "" {
		for _, line := range wrap(d, 96) {
			l.logf("    %s", line)
		}
	}
	if len(compat) > 0 {
		l.logf("    compat %s: %d evaltest lines rewritten (see evaltest.effective.dat)", strings.Join(compat, ","), changed)
	}

	upStart := time.Now()
	if err := l.Up(ctx, need); err != nil {
		return 0, 0, err
	}
	r.up = l.UpHosts()
	if err := r.resetHosts(ctx); err != nil {
		return 0, 0, err
	}
	r.consolef("lab: hosts up and reset in %.1fs: %s\n\n", time.Since(upStart).Seconds(), strings.Join(r.up, " "))

	// from here on, clean up whatever happens
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r.stopAllTcpdumps()
		r.collectLogs()
		if !r.opts.Keep {
			r.reapAll(cctx)
		}
	}()

	for _, h := range sc.Conf.DBHosts {
		_, _, _ = l.ShellOutput(ctx, h, "mkdir -p /etc/db.d", r.opts.Timeout)
	}
	if len(sc.Conf.TcpdumpHosts) > 0 {
		r.consolef("TCPDUMP\n\n")
		for _, spec := range sc.Conf.TcpdumpHosts {
			if err := r.startTcpdump(ctx, spec); err != nil {
				return 0, 0, err
			}
		}
	}

	l.logf("--- pretest")
	r.consolef("PRE-TEST\n\n")
	if err := r.runSteps(ctx, sc.Pre); err != nil {
		return 0, 0, err
	}

	l.logf("--- evaltest")
	r.consolef("\nTEST\n\n")
	for _, d := range eval {
		if ctx.Err() != nil {
			return passed, failed, ctx.Err()
		}
		if d.Comment {
			r.consolef("%s\n", d.Raw)
			continue
		}
		if !d.Runnable() {
			continue
		}
		if r.opts.SkipDatapath && needsDatapath(d) {
			r.l.logf("[SKIP] %s::%s::%s::%s (needs the datapath)", d.Host, d.Cmd, d.Pattern, d.Hit)
			r.consolef("SKIP (needs the datapath): %s\n", d.Raw)
			if d.IsTcpdump() {
				r.stopTcpdump(d.Host)
			}
			continue
		}
		ok, err := r.evalLine(ctx, d)
		if err != nil {
			return passed, failed, err
		}
		if ok {
			passed++
		} else {
			failed++
		}
	}

	r.stopAllTcpdumps()
	r.collectResults(ctx)

	if r.opts.Keep {
		l.logf("--- posttest skipped (--keep): daemons left running")
	} else {
		l.logf("--- posttest")
		r.consolef("\nPOST-TEST\n\n")
		if err := r.runSteps(ctx, sc.Post); err != nil {
			return passed, failed, err
		}
	}
	return passed, failed, nil
}

// resolveCompat expands "auto": the libipsec rules apply when an IPsec
// host of the scenario runs strongSwan with kernel-libipsec. auto reports
// that the sets come from "auto" alone, not from an explicit choice.
func (r *scenarioRun) resolveCompat() (sets []string, auto bool) {
	var out []string
	seen := map[string]bool{}
	auto = true
	for _, c := range r.opts.Compat {
		if c != "auto" {
			auto = false
		}
		if c == "auto" {
			hosts := r.sc.Conf.IpsecHosts
			if len(hosts) == 0 {
				hosts = r.sc.Conf.VirtHosts
			}
			c = ""
			for _, h := range hosts {
				if r.l.Cfg.RunsStrongSwan(h) {
					c = "libipsec"
				}
			}
		}
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, auto
}

func writeDat(p string, lines []DatLine) error {
	var b strings.Builder
	for _, d := range lines {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return os.WriteFile(p, []byte(b.String()), 0o644)
}

func (r *scenarioRun) consolef(format string, args ...any) {
	fmt.Fprintf(r.console, format, args...)
}

func stamp() string { return time.Now().Format("15:04:05.000") + " " }

// resetHosts prepares every host that is up for the scenario, in parallel.
func (r *scenarioRun) resetHosts(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(r.up))
	for i, h := range r.up {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.resetHost(ctx, h)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

const resetScript = `conntrack -F >/dev/null 2>&1
ip xfrm state flush; ip xfrm policy flush
/usr/sbin/iptables-restore < /etc/iptables.flush
/usr/sbin/ip6tables-restore < /etc/ip6tables.flush
ip route flush table 220 2>/dev/null; ip -6 route flush table 220 2>/dev/null
while ip rule del pref 220 2>/dev/null; do :; done
while ip -6 rule del pref 220 2>/dev/null; do :; done
true`

func (r *scenarioRun) resetHost(ctx context.Context, h string) error {
	l := r.l
	l.stopDaemons(ctx, h)
	if k := l.reap(h); len(k) > 0 {
		l.logf("    note: %s: killed leftover processes: %s", h, strings.Join(k, " "))
	}
	gen, err := l.buildLayers(h, r.sc.Dir)
	if err != nil {
		return fmt.Errorf("%s: %w", h, err)
	}
	if err := l.remountEtc(ctx, h, gen); err != nil {
		return err
	}
	d := l.Cfg.hostDir(h)
	for _, f := range []string{"daemon.log", "auth.log", "syslog", "freeradius/radius.log"} {
		if err := os.Truncate(filepath.Join(d, "log", f), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	for _, f := range []string{"tcpdump.log", "tcpdump.err.log"} {
		_ = os.Remove(filepath.Join(d, "tmp", f))
	}
	if err := l.cleanAddresses(ctx, h); err != nil {
		return err
	}
	out, code, err := l.ShellOutput(ctx, h, resetScript, r.opts.Timeout)
	if err != nil || code != 0 {
		return fmt.Errorf("%s: reset: exit %d %v: %s", h, code, err, strings.TrimSpace(out))
	}
	return nil
}

// runSteps runs pretest or posttest lines.
func (r *scenarioRun) runSteps(ctx context.Context, lines []DatLine) error {
	for _, d := range lines {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.Comment {
			r.consolef("%s\n", d.Raw)
			continue
		}
		if !d.Runnable() {
			continue
		}
		cmd := ExpandPrePost(d.Cmd)
		r.consolef("%s%s# %s\n", stamp(), d.Host, cmd)
		out, err := os.CreateTemp(r.l.Cfg.State, ".step-")
		if err != nil {
			return err
		}
		t0 := time.Now()
		code, err := r.l.Shell(ctx, d.Host, cmd, r.opts.Timeout, out, out)
		b, _ := os.ReadFile(out.Name())
		out.Close()
		os.Remove(out.Name())
		r.console.Write(b)
		r.consolef("\n")
		note := ""
		if err != nil {
			note = "   (" + err.Error() + ")"
		} else if code != 0 {
			note = fmt.Sprintf("   (exit %d)", code)
		}
		if dt := time.Since(t0); dt > 2*time.Second {
			note += fmt.Sprintf("   [%.1fs]", dt.Seconds())
		}
		r.l.logf("    %-8s %s%s", d.Host, cmd, note)
		if r.opts.Verbose && len(b) > 0 {
			r.l.logf("%s", indent(string(b), "        | "))
		}
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// evalLine runs one evaltest line and reports whether it passed.
func (r *scenarioRun) evalLine(ctx context.Context, d DatLine) (bool, error) {
	l := r.l
	var output []byte
	var stderr []byte
	shown := d.Cmd
	t0 := stamp()
	if d.IsTcpdump() {
		r.stopTcpdump(d.Host)
		output, _ = os.ReadFile(filepath.Join(l.Cfg.hostDir(d.Host), "tmp", "tcpdump.log"))
		shown = "cat /tmp/tcpdump.log"
	} else {
		out, err := os.CreateTemp(l.Cfg.State, ".eval-out-")
		if err != nil {
			return false, err
		}
		errf, err := os.CreateTemp(l.Cfg.State, ".eval-err-")
		if err != nil {
			out.Close()
			return false, err
		}
		_, rerr := l.Shell(ctx, d.Host, d.Cmd, r.opts.Timeout, out, errf)
		output, _ = os.ReadFile(out.Name())
		stderr, _ = os.ReadFile(errf.Name())
		for _, f := range []*os.File{out, errf} {
			f.Close()
			os.Remove(f.Name())
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			stderr = append(stderr, []byte("lab: "+rerr.Error()+"\n")...)
		}
	}
	pattern := Unescape(d.Pattern)
	matches, gerr := grepLines(pattern, output)
	pass, note := judge(d.Hit, len(matches), gerr)

	tag := "PASS"
	if !pass {
		tag = "FAIL"
	}
	l.logf("[%s] %s::%s::%s::%s%s", tag, d.Host, d.Cmd, d.Pattern, d.Hit, note)
	if !pass {
		lines := strings.Split(strings.TrimRight(string(output), "\n"), "\n")
		if !r.opts.Verbose && len(lines) > 5 {
			lines = append(lines[:5], fmt.Sprintf("... (%d more lines, see console.log)", len(lines)-5))
		}
		if len(output) > 0 {
			l.logf("%s", indent(strings.Join(lines, "\n"), "        | "))
		}
		if len(stderr) > 0 {
			l.logf("%s", indent(strings.TrimRight(string(stderr), "\n"), "        ! "))
		}
	}

	if !pass {
		r.consolef("~~~~~~~ FAIL ~~~~~~~\n")
	}
	r.consolef("%s%s# %s | grep '%s'  [%s]\n", t0, d.Host, shown, d.Pattern, d.Hit)
	if len(matches) > 0 {
		r.consolef("%s\n", strings.Join(matches, "\n"))
	}
	if gerr != nil {
		r.consolef("lab: grep: %v\n", gerr)
	}
	r.console.Write(stderr)
	if !pass && len(output) > 0 {
		r.consolef("~~ output ~~~~~~~~~~\n%s", output)
		if !bytes.HasSuffix(output, []byte("\n")) {
			r.consolef("\n")
		}
		r.consolef("~~~~~~~~~~~~~~~~~~~~\n")
	}
	r.consolef("\n")
	return pass, nil
}

// judge applies the hit field to the number of matching lines.
func judge(hit string, n int, grepErr error) (bool, string) {
	if grepErr != nil {
		return false, "  (bad pattern: " + grepErr.Error() + ")"
	}
	switch {
	case hit == "YES":
		return n > 0, ""
	case hit == "NO":
		return n == 0, ""
	case isDigits(hit):
		want, _ := strconv.Atoi(hit)
		if n != want {
			return false, fmt.Sprintf("  (%d matching lines)", n)
		}
		return true, ""
	default:
		return true, fmt.Sprintf("  (hit %q is neither YES, NO nor a number: never fails, as in do-tests)", hit)
	}
}

// grepLines returns the lines of data that GNU grep matches with the basic
// regular expression pattern. grep itself is used so that the patterns
// mean exactly what they mean to do-tests.
func grepLines(pattern string, data []byte) ([]string, error) {
	c := exec.Command("grep", "-e", pattern)
	c.Env = []string{"LC_ALL=C"}
	c.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return nil, nil
	default:
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	s := strings.TrimRight(out.String(), "\n")
	if s == "" && out.Len() == 0 {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}

func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// tcpdump

func (r *scenarioRun) startTcpdump(ctx context.Context, spec string) error {
	h, iface := tcpdumpHost(spec), tcpdumpIface(spec)
	cmd := fmt.Sprintf("tcpdump -l --immediate-mode -i %s not port ssh and not port domain >/tmp/tcpdump.log 2>/tmp/tcpdump.err.log </dev/null & echo $!", iface)
	r.consolef("%s%s# %s\n\n", stamp(), h, cmd)
	out, code, err := r.l.ShellOutput(ctx, h, cmd, r.opts.Timeout)
	if err != nil || code != 0 {
		return fmt.Errorf("%s: starting tcpdump: exit %d %v: %s", h, code, err, out)
	}
	nsPid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		return fmt.Errorf("%s: starting tcpdump: %q", h, out)
	}
	initPid, _ := r.l.HostPid(h)
	ps, _ := hostProcs(initPid)
	td := &tcpdumpProc{iface: iface}
	for _, p := range ps {
		if p.NsPid == nsPid {
			td.rootPid = p.Pid
		}
	}
	if td.rootPid == 0 {
		return fmt.Errorf("%s: tcpdump exited at once: %s", h, r.readHostFile(h, "tmp/tcpdump.err.log"))
	}
	r.tcpdumps[h] = td
	// wait until it captures, instead of do-tests' fixed delay
	errLog := filepath.Join(r.l.Cfg.hostDir(h), "tmp", "tcpdump.err.log")
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile(errLog); bytes.Contains(b, []byte("listening on")) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: tcpdump does not start: %s", h, r.readHostFile(h, "tmp/tcpdump.err.log"))
}

func (r *scenarioRun) readHostFile(h, rel string) string {
	b, _ := os.ReadFile(filepath.Join(r.l.Cfg.hostDir(h), rel))
	return strings.TrimSpace(string(b))
}

var tcpdumpStatsRE = regexp.MustCompile(`(\d+) packets? captured.*?(\d+) packets? received by filter`)

// stopTcpdump stops host's capture once it has printed every packet it
// received (do-tests asks with SIGUSR1 until "captured" equals "received
// by filter", for at most a second), then saves its log.
func (r *scenarioRun) stopTcpdump(h string) {
	td := r.tcpdumps[h]
	if td == nil || td.stopped {
		return
	}
	td.stopped = true
	errLog := filepath.Join(r.l.Cfg.hostDir(h), "tmp", "tcpdump.err.log")
	for i := 0; i < 100 && procAlive(td.rootPid); i++ {
		_ = syscall.Kill(td.rootPid, syscall.SIGUSR1)
		time.Sleep(10 * time.Millisecond)
		b, _ := os.ReadFile(errLog)
		m := tcpdumpStatsRE.FindAllSubmatch(b, -1)
		if len(m) > 0 && string(m[len(m)-1][1]) == string(m[len(m)-1][2]) {
			break
		}
	}
	r.consolef("%s%s# killall tcpdump\n\n", stamp(), h)
	killAndWait([]proc{{Pid: td.rootPid}}, syscall.SIGTERM, 2*time.Second)
	src := filepath.Join(r.l.Cfg.hostDir(h), "tmp", "tcpdump.log")
	if b, err := os.ReadFile(src); err == nil {
		_ = os.WriteFile(filepath.Join(r.res, h+".tcpdump.log"), b, 0o644)
	}
}

func (r *scenarioRun) stopAllTcpdumps() {
	for h := range r.tcpdumps {
		r.stopTcpdump(h)
	}
}

// results

func (r *scenarioRun) collectResults(ctx context.Context) {
	var script strings.Builder
	script.WriteString(`d=/tmp/.lab-results; rm -rf $d; mkdir -p $d; cd $d
for f in strongswan.conf strongswan.conf.testing ipsec.conf ipsec.secrets; do [ -f /etc/$f ] && cp /etc/$f ./$f; done
`)
	if r.sc.Conf.Swanctl {
		script.WriteString(`[ -f /etc/swanctl/swanctl.conf ] && cp /etc/swanctl/swanctl.conf swanctl.conf
for c in conns certs pools authorities sas pols stats; do swanctl --list-$c > swanctl.$c 2>&1; done
`)
	} else {
		script.WriteString("ipsec statusall > statusall 2>&1; ipsec listall > listall 2>&1\n")
	}
	script.WriteString(`ip -s xfrm policy > ip.policy 2>&1; ip -s xfrm state > ip.state 2>&1
{ ip route list table 220; ip -6 route list table 220; } > ip.route 2>&1
{ ip rule; ip -6 rule; } > ip.rule 2>&1
ip addr > ip.addr 2>&1
{ iptables -v -n -L; echo; ip6tables -v -n -L; } > iptables 2>&1
true`)
	for _, h := range r.sc.Conf.IpsecHosts {
		if _, ok := r.l.HostPid(h); !ok {
			continue
		}
		_, _, _ = r.l.ShellOutput(ctx, h, script.String(), r.opts.Timeout)
		dir := filepath.Join(r.l.Cfg.hostDir(h), "tmp", ".lab-results")
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				_ = os.WriteFile(filepath.Join(r.res, h+"."+e.Name()), b, 0o644)
			}
		}
		_ = os.RemoveAll(dir)
	}
}

// collectLogs copies the hosts' logs (after posttest, so that the daemons'
// shutdown is in them).
func (r *scenarioRun) collectLogs() {
	for _, h := range r.up {
		d := r.l.Cfg.hostDir(h)
		for _, f := range []string{"daemon.log", "auth.log", "freeradius/radius.log"} {
			b, err := os.ReadFile(filepath.Join(d, "log", f))
			if err != nil || len(b) == 0 {
				continue
			}
			_ = os.WriteFile(filepath.Join(r.res, h+"."+filepath.Base(f)), b, 0o644)
		}
	}
}

func (r *scenarioRun) reapAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range r.up {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.l.stopDaemons(ctx, h)
			if k := r.l.reap(h); len(k) > 0 {
				r.l.logf("    note: %s: killed leftover processes at the end: %s", h, strings.Join(k, " "))
			}
		}()
	}
	wg.Wait()
}

// Summary writes the closing line of a run.
func Summary(w io.Writer, res []Result) (passed, failed int, ok bool) {
	ok = true
	for _, r := range res {
		passed += r.Passed
		failed += r.Failed
		if !r.OK() {
			ok = false
		}
	}
	fmt.Fprintf(w, "total: %d passed, %d failed\n", passed, failed)
	return passed, failed, ok
}
