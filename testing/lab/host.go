package lab

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/pki"
)

// Lab manages the namespaces, hosts and state directory of one lab
// instance (one Config.Prefix / Config.State pair).
type Lab struct {
	Cfg Config
	Sys SystemFacts

	outMu sync.Mutex // guards writes to out
	out   io.Writer
}

// New returns a Lab for cfg that reports progress to out.
func New(cfg Config, out io.Writer) (*Lab, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if out == nil {
		out = io.Discard
	}
	return &Lab{Cfg: cfg, Sys: DetectSystem(), out: out}, nil
}

func (l *Lab) logf(format string, args ...any) {
	l.outMu.Lock()
	defer l.outMu.Unlock()
	fmt.Fprintf(l.out, format+"\n", args...)
}

// shimNames are the commands the lab puts first in a host's PATH; each is
// a symlink to the lab binary, which dispatches on its name (shim.go).
var shimNames = []string{"ipsec", "expect-connection", "expect-file", "iptables-restore", "ip6tables-restore", "killall", "pkill"}

// prepare creates the state directory, installs the lab binary and the
// shims into it, writes the syslog configuration and makes sure the PKI
// exists.
func (l *Lab) prepare() error {
	if os.Geteuid() != 0 {
		return errors.New("the lab needs root")
	}
	for _, d := range []string{l.Cfg.State, filepath.Dir(l.Cfg.binPath()), l.Cfg.shimDir(), filepath.Join(l.Cfg.State, "hosts")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := l.installSelf(); err != nil {
		return fmt.Errorf("installing the lab binary: %w", err)
	}
	for _, n := range shimNames {
		p := filepath.Join(l.Cfg.shimDir(), n)
		if t, err := os.Readlink(p); err == nil && t == "../bin/lab" {
			continue
		}
		_ = os.Remove(p)
		if err := os.Symlink("../bin/lab", p); err != nil {
			return err
		}
	}
	if err := os.WriteFile(l.Cfg.rsyslogConf(), []byte(rsyslogConf), 0o644); err != nil {
		return err
	}
	start := time.Now()
	gen, err := pki.Ensure(l.Cfg.PKIDir(), pki.Options{})
	if err != nil {
		return fmt.Errorf("test PKI: %w", err)
	}
	if gen {
		l.logf("test PKI generated in %s (%v)", l.Cfg.PKIDir(), time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// installSelf copies the running executable to State/bin/lab, which the
// hosts' init processes and the shims run. The copy is replaced
// atomically, so running hosts keep their (old) binary.
func (l *Lab) installSelf() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	dst := l.Cfg.binPath()
	if exe == dst {
		return nil
	}
	if sameContent(exe, dst) {
		return nil
	}
	return installExecutable(exe, dst)
}

// installExecutable copies src to dst (mode 0755, src's modification
// time) through a temporary file renamed over dst, so that processes
// running the old dst keep it.
func installExecutable(src, dst string) error {
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".new"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chtimes(tmp, si.ModTime(), si.ModTime()); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

func sameContent(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil || fa.Size() != fb.Size() {
		return false
	}
	sum := func(p string) []byte {
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return nil
		}
		return h.Sum(nil)
	}
	x, y := sum(a), sum(b)
	return x != nil && string(x) == string(y)
}

// Lock takes the lab's lock (State/.lock), waiting while another lab
// command (up, down, run) holds it, so that two runners never reset each
// other's hosts. The lock goes with the process.
func (l *Lab) Lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(l.Cfg.State, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(l.Cfg.State, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		if !told {
			b, _ := os.ReadFile(f.Name())
			l.logf("waiting for the lab lock (held by pid %s)", strings.TrimSpace(string(b)))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { f.Close() }, nil
}

// HostPid returns the root-namespace PID of host's init, if the host is up.
func (l *Lab) HostPid(h string) (int, bool) {
	b, err := os.ReadFile(l.Cfg.initPidFile(h))
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(f[0])
	start, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	if st, err := procStartTime(pid); err != nil || st != start || !procAlive(pid) {
		return 0, false
	}
	return pid, true
}

// UpHosts returns the hosts that are up, in topology order.
func (l *Lab) UpHosts() []string {
	var up []string
	for _, h := range HostNames() {
		if _, ok := l.HostPid(h); ok {
			up = append(up, h)
		}
	}
	return up
}

// Up builds the switch and the given hosts (all if none are given); hosts
// that are up already are left alone.
func (l *Lab) Up(ctx context.Context, hosts []string) error {
	if len(hosts) == 0 {
		hosts = HostNames()
	}
	known, unknown := SortHosts(hosts)
	if len(unknown) > 0 {
		return fmt.Errorf("unknown hosts %v (known: %s)", unknown, strings.Join(HostNames(), " "))
	}
	if err := l.prepare(); err != nil {
		return err
	}
	if err := l.ensureSwitch(ctx); err != nil {
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, 4)
	)
	for _, h := range known {
		if _, ok := l.HostPid(h); ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := l.upHost(ctx, h); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", h, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (l *Lab) ensureSwitch(ctx context.Context) error {
	sw := l.Cfg.switchNetns()
	if netnsExists(sw) {
		return nil
	}
	if err := ipCmd(ctx, "netns", "add", sw); err != nil {
		return err
	}
	// the switch has no addresses of its own: without IPv6 on its bridges
	// and ports they send no router solicitations that would show up in
	// the hosts' captures when a port comes up
	if err := inNetns(sw, func() error {
		return writeSysctls([][2]string{
			{"net.ipv6.conf.all.disable_ipv6", "1"},
			{"net.ipv6.conf.default.disable_ipv6", "1"},
		}, false)
	}); err != nil {
		return err
	}
	cmds := []string{"link set lo up"}
	for _, s := range Segments {
		cmds = append(cmds,
			"link add br-"+s.Name+" type bridge stp_state 0 forward_delay 0",
			"link set br-"+s.Name+" up")
	}
	if err := ipBatch(ctx, sw, cmds); err != nil {
		return err
	}
	// bridged frames must not pass the switch's netfilter (only present
	// when br_netfilter is loaded)
	return inNetns(sw, func() error {
		return writeSysctls([][2]string{
			{"net.bridge.bridge-nf-call-iptables", "0"},
			{"net.bridge.bridge-nf-call-ip6tables", "0"},
			{"net.bridge.bridge-nf-call-arptables", "0"},
		}, true)
	})
}

func (l *Lab) upHost(ctx context.Context, h string) error {
	host, _ := LookupHost(h)
	ns, sw, d := l.Cfg.netns(h), l.Cfg.switchNetns(), l.Cfg.hostDir(h)

	// remains of a host that died
	if netnsExists(ns) {
		if err := ipCmd(ctx, "netns", "del", ns); err != nil {
			return err
		}
	}
	for _, i := range host.Ifaces {
		_ = ipCmd(ctx, "-n", sw, "link", "del", h+"-"+i.Name)
	}
	if err := os.RemoveAll(d); err != nil {
		return err
	}
	for _, sub := range []string{"run/lock", "log", "tmp", "dev", "etc"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(d, "tmp"), 0o1777); err != nil {
		return err
	}

	if err := ipCmd(ctx, "netns", "add", ns); err != nil {
		return err
	}
	err := inNetns(ns, func() error {
		return writeSysctls([][2]string{
			{"net.ipv6.conf.default.accept_dad", "0"},
			{"net.ipv6.conf.all.accept_dad", "0"},
			{"net.ipv4.ip_forward", "1"},
			{"net.ipv6.conf.all.forwarding", "1"},
		}, false)
	})
	if err != nil {
		return err
	}
	var swCmds, hCmds []string
	hCmds = append(hCmds, "link set lo up")
	for _, i := range host.Ifaces {
		peer := h + "-" + i.Name
		swCmds = append(swCmds,
			fmt.Sprintf("link add %s type veth peer name %s netns %s", peer, i.Name, ns),
			fmt.Sprintf("link set %s master br-%s", peer, i.Seg),
			fmt.Sprintf("link set %s up", peer))
		hCmds = append(hCmds,
			fmt.Sprintf("link set %s address %s", i.Name, i.MAC()),
			fmt.Sprintf("addr add %s brd + dev %s", i.Addr, i.Name),
			fmt.Sprintf("addr add %s dev %s nodad", i.Addr6, i.Name))
		if !i.Down {
			hCmds = append(hCmds, fmt.Sprintf("link set %s up", i.Name))
		}
	}
	hCmds = append(hCmds, "route add default via "+host.Gateway.String())
	if err := ipBatch(ctx, sw, swCmds); err != nil {
		return err
	}
	if err := ipBatch(ctx, ns, hCmds); err != nil {
		return err
	}

	gen, err := l.buildLayers(h, "")
	if err != nil {
		return err
	}
	return l.startInit(h, gen)
}

// startInit starts `lab host-init HOST GEN` as PID 1 of new PID, mount and
// UTS namespaces inside the host's network namespace and waits until it
// reports that the host is set up.
func (l *Lab) startInit(h, gen string) error {
	d := l.Cfg.hostDir(h)
	logf, err := os.OpenFile(filepath.Join(d, "init.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path:       l.Cfg.binPath(),
		Args:       []string{"lab", "host-init", h, gen},
		Dir:        "/",
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LAB_STATE=" + l.Cfg.State, "LAB_PREFIX=" + l.Cfg.Prefix, "LANG=C"},
		Stdout:     logf,
		Stderr:     logf,
		ExtraFiles: []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS,
			Setsid:     true,
		},
	}
	err = inNetns(l.Cfg.netns(h), cmd.Start)
	w.Close()
	if err != nil {
		return fmt.Errorf("starting init: %w", err)
	}
	pid := cmd.Process.Pid
	_ = r.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, rerr := bufio.NewReader(r).ReadString('\n')
	if strings.TrimSpace(line) != "ok" {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		log, _ := os.ReadFile(filepath.Join(d, "init.log"))
		if rerr != nil && line == "" {
			line = rerr.Error()
		}
		return fmt.Errorf("host init failed: %s\n%s", strings.TrimSpace(line), log)
	}
	st, err := procStartTime(pid)
	if err != nil {
		return err
	}
	_ = cmd.Process.Release()
	return os.WriteFile(l.Cfg.initPidFile(h), fmt.Appendf(nil, "%d %d\n", pid, st), 0o644)
}

// buildLayers writes a new generation of host's /etc layers (base, and the
// scenario's when scenDir is set) and returns its directory.
func (l *Lab) buildLayers(h, scenDir string) (string, error) {
	etc := filepath.Join(l.Cfg.hostDir(h), "etc")
	n := 0
	for _, g := range listGenerations(etc) {
		n = max(n, g)
	}
	gen := filepath.Join(etc, strconv.Itoa(n+1))
	for _, sub := range []string{"base", "scen", "upper", "work"} {
		if err := os.MkdirAll(filepath.Join(gen, sub), 0o755); err != nil {
			return "", err
		}
	}
	ss := l.Cfg.RunsStrongSwan(h)
	src := LayerSources{TestingDir: l.Cfg.TestingDir, PKIDir: l.Cfg.PKIDir(), RealEtc: "/etc", Sys: l.Sys}
	if l.Cfg.TestingDir == "" {
		return "", errors.New("cannot find the project's testing/ directory (set LAB_TESTING)")
	}
	base := filepath.Join(gen, "base")
	if err := BuildBase(base, h, src, ss); err != nil {
		return "", fmt.Errorf("base layer: %w", err)
	}
	if scenDir != "" {
		if err := BuildScenarioLayer(filepath.Join(gen, "scen"), h, scenDir, []string{base, "/etc"}, ss, l.Sys); err != nil {
			return "", fmt.Errorf("scenario layer: %w", err)
		}
	}
	return gen, nil
}

func listGenerations(etc string) []int {
	ents, _ := os.ReadDir(etc)
	var gens []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() {
			gens = append(gens, n)
		}
	}
	sort.Ints(gens)
	return gens
}

// pruneGenerations removes all layer generations of host but keep.
func (l *Lab) pruneGenerations(h, keep string) {
	etc := filepath.Join(l.Cfg.hostDir(h), "etc")
	for _, g := range listGenerations(etc) {
		p := filepath.Join(etc, strconv.Itoa(g))
		if p != keep {
			_ = os.RemoveAll(p)
		}
	}
}

// remountEtc switches host's /etc to the layers of generation gen.
func (l *Lab) remountEtc(ctx context.Context, h, gen string) error {
	pid, ok := l.HostPid(h)
	if !ok {
		return fmt.Errorf("host %s is not up", h)
	}
	c := exec.CommandContext(ctx, "nsenter", "-t", strconv.Itoa(pid), "-m", "--", l.Cfg.binPath(), "host-mount-etc", gen)
	c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	c.Dir = "/"
	if out, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("remounting /etc of %s: %v: %s", h, err, strings.TrimSpace(string(out)))
	}
	l.pruneGenerations(h, gen)
	return nil
}

// HostEnv is the environment of commands run inside host: a clean one, as
// a login on a test host would have, with the lab's shims first in PATH.
func (l *Lab) HostEnv(h string) []string {
	fw := "1"
	if !l.Cfg.FwTun(h) {
		fw = "0"
	}
	env := []string{
		"PATH=" + l.Cfg.shimDir() + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"LANG=C",
		"LC_ALL=C",
		"TERM=dumb",
		"LAB_HOST=" + h,
		"LAB_STATE=" + l.Cfg.State,
		"LAB_FW_TUN=" + fw,
		"IPSEC_BIN=" + l.visibleIpsecBin(h),
		"STRONGSWAN_CONF=/etc/strongswan.conf.testing",
	}
	// LAB_PASSENV="A B": pass these variables from the caller (e.g. a
	// debug setting of our daemon)
	for _, k := range strings.Fields(l.Cfg.getenv("LAB_PASSENV")) {
		if v := l.Cfg.getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// nsenterArgs enters all namespaces of host's init.
func nsenterArgs(pid int, argv []string) []string {
	return append([]string{"-t", strconv.Itoa(pid), "-n", "-m", "-u", "-p", "--wd=/", "--"}, argv...)
}

// Command returns a command that runs argv inside host.
func (l *Lab) Command(ctx context.Context, h string, argv ...string) (*exec.Cmd, error) {
	pid, ok := l.HostPid(h)
	if !ok {
		return nil, fmt.Errorf("host %s is not up", h)
	}
	c := exec.CommandContext(ctx, "nsenter", nsenterArgs(pid, argv)...)
	c.Env = l.HostEnv(h)
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		// the whole group: nsenter and what it started in the host
		return syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	}
	c.WaitDelay = 2 * time.Second
	return c, nil
}

// ExecArgv returns the nsenter argument vector and environment for an
// interactive `lab exec` (the caller execs it, passing its terminal).
func (l *Lab) ExecArgv(h string, argv []string) (path string, args, env []string, err error) {
	pid, ok := l.HostPid(h)
	if !ok {
		return "", nil, nil, fmt.Errorf("host %s is not up", h)
	}
	path, err = exec.LookPath("nsenter")
	if err != nil {
		return "", nil, nil, err
	}
	env = l.HostEnv(h)
	if t := os.Getenv("TERM"); t != "" {
		for i, e := range env {
			if strings.HasPrefix(e, "TERM=") {
				env[i] = "TERM=" + t
			}
		}
	}
	return path, append([]string{"nsenter"}, nsenterArgs(pid, argv)...), env, nil
}

// Shell runs a bash command line inside host under `timeout`, with stdin
// from /dev/null and output to the given files. It returns the exit status.
func (l *Lab) Shell(ctx context.Context, h, cmdline string, timeout time.Duration, stdout, stderr *os.File) (int, error) {
	secs := strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)
	argv := []string{"timeout", "-k", "5", secs, "bash", "-c", cmdline}
	if l.Cfg.Nice != 0 {
		argv = append([]string{"nice", "-n", strconv.Itoa(l.Cfg.Nice)}, argv...)
	}
	c, err := l.Command(ctx, h, argv...)
	if err != nil {
		return -1, err
	}
	c.Stdout, c.Stderr = stdout, stderr
	err = c.Run()
	if ctx.Err() != nil {
		return -1, ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// ShellOutput is Shell with the combined output returned.
func (l *Lab) ShellOutput(ctx context.Context, h, cmdline string, timeout time.Duration) (string, int, error) {
	f, err := os.CreateTemp(l.Cfg.State, ".out-")
	if err != nil {
		return "", -1, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	code, err := l.Shell(ctx, h, cmdline, timeout, f, f)
	b, _ := os.ReadFile(f.Name())
	return string(b), code, err
}

// daemonRunning reports whether host has the pid file of a charon started
// by `ipsec start` (or of one started directly).
func (l *Lab) daemonRunning(h string) bool {
	for _, f := range []string{"starter.charon.pid", "charon.pid"} {
		if _, err := os.Stat(filepath.Join(l.Cfg.hostDir(h), "run", f)); err == nil {
			return true
		}
	}
	return false
}

// stopDaemons runs `ipsec stop` in host if a daemon seems to run.
func (l *Lab) stopDaemons(ctx context.Context, h string) {
	if !l.daemonRunning(h) {
		return
	}
	if out, code, err := l.ShellOutput(ctx, h, "ipsec stop", 20*time.Second); err != nil || code != 0 {
		l.logf("    note: %s: ipsec stop: exit %d %v %s", h, code, err, strings.TrimSpace(out))
	}
}

// reap kills every process of host except its init and syslog daemon and
// returns what it killed ("pid:comm", host PIDs).
func (l *Lab) reap(h string) []string {
	pid, ok := l.HostPid(h)
	if !ok {
		return nil
	}
	ps, err := hostProcs(pid)
	if err != nil {
		return nil
	}
	var victims []proc
	var names []string
	for _, p := range ps {
		if p.Pid == pid || (p.PPid == pid && p.Comm == "rsyslogd") {
			continue
		}
		victims = append(victims, p)
		names = append(names, fmt.Sprintf("%d:%s", p.NsPid, p.Comm))
	}
	killAndWait(victims, syscall.SIGTERM, time.Second)
	return names
}

// Down stops every host and removes the namespaces and the runtime state.
// The PKI and the results are kept.
func (l *Lab) Down(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, h := range HostNames() {
		pid, ok := l.HostPid(h)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.stopDaemons(ctx, h)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone([]proc{{Pid: pid}}, 5*time.Second)
		}()
	}
	wg.Wait()
	var errs []error
	mine := map[string]bool{l.Cfg.switchNetns(): true}
	for _, h := range HostNames() {
		mine[l.Cfg.netns(h)] = true
	}
	for _, n := range listNetns() {
		if mine[n] {
			if err := ipCmd(ctx, "netns", "del", n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if m := mountsBelow(l.Cfg.State); len(m) > 0 {
		errs = append(errs, fmt.Errorf("mounts below %s remain in the root namespace: %v", l.Cfg.State, m))
	} else {
		for _, p := range []string{"hosts", "scenario", "shim", "bin", "rsyslog.conf", "tmp"} {
			if err := os.RemoveAll(filepath.Join(l.Cfg.State, p)); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// mountsBelow lists mount points of the calling process's mount namespace
// at or below dir.
func mountsBelow(dir string) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountPath(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out
}

// unescapeMountPath undoes the octal escapes of /proc/*/mountinfo.
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// HostStatus describes one host for `lab status`.
type HostStatus struct {
	Name       string
	Up         bool
	InitPid    int
	StrongSwan bool   // strongSwan adjustments applied
	IpsecBin   string // what `ipsec` runs
	Procs      []proc // except init
}

// Status reports the state of every host.
func (l *Lab) Status() (switchUp bool, hosts []HostStatus) {
	switchUp = netnsExists(l.Cfg.switchNetns())
	for _, h := range HostNames() {
		s := HostStatus{Name: h, StrongSwan: l.Cfg.RunsStrongSwan(h), IpsecBin: l.Cfg.IpsecBin(h)}
		if pid, ok := l.HostPid(h); ok {
			s.Up, s.InitPid = true, pid
			ps, _ := hostProcs(pid)
			for _, p := range ps {
				if p.Pid != pid {
					s.Procs = append(s.Procs, p)
				}
			}
			sort.Slice(s.Procs, func(i, j int) bool { return s.Procs[i].NsPid < s.Procs[j].NsPid })
		}
		hosts = append(hosts, s)
	}
	return switchUp, hosts
}

// Leftovers reports what of this lab exists on the machine: namespaces,
// processes in the hosts' PID namespaces, mounts below the state
// directory. After Down it should be empty.
func (l *Lab) Leftovers() []string {
	var out []string
	mine := map[string]bool{l.Cfg.switchNetns(): true}
	for _, h := range HostNames() {
		mine[l.Cfg.netns(h)] = true
	}
	for _, n := range listNetns() {
		if mine[n] {
			out = append(out, "netns "+n)
		}
	}
	for _, h := range HostNames() {
		if pid, ok := l.HostPid(h); ok {
			out = append(out, fmt.Sprintf("host %s init pid %d", h, pid))
		}
	}
	// processes running our installed binary (host inits, shims)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && strings.HasPrefix(exe, l.Cfg.binPath()) && procAlive(pid) {
			out = append(out, fmt.Sprintf("process %d (%s)", pid, exe))
		}
	}
	for _, m := range mountsBelow(l.Cfg.State) {
		out = append(out, "mount "+m)
	}
	return out
}
