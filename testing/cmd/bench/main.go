// Command bench measures goswan's userspace ESP datapath and IKE
// handshakes against strongSwan 5.9's charon with kernel-libipsec, in the
// same run, and prints the figures with a CPU profile of our daemon.
// `make bench` runs it after the Go benchmarks; it needs root, iperf3
// and Debian's strongSwan (testing/install-deps).
//
// Topology (net-to-net, what a VPN gateway does): inner hosts alice and
// bob behind gateways moon and sun, four network namespaces PREFIX{alice,
// moon,sun,bob} joined by veth pairs; the tunnel protects 10.1.0.0/16 <->
// 10.2.0.0/16 and iperf3 runs from alice to bob, so both gateways forward,
// encrypt and decrypt. Both gateways run the same implementation, started
// with `ipsec start` and configured by ipsec.conf, ipsec.secrets and
// strongswan.conf (STRONGSWAN_CONF) written by the bench: PSK, IKE
// aes128gcm16-prfsha256-x25519, ESP as measured. The gateways get private
// mount namespaces whose /run and /etc/ipsec.{conf,secrets} are bind
// mounts of files in the state directory.
//
// Host-to-host (what a server protecting its own traffic does): the
// tunnel protects moon's and sun's own addresses (conn host, no subnets)
// and iperf3 runs from moon to sun, beside the daemons; the routing rule
// keeps the marked IKE and ESP packets out of table 220, whose route to
// the peer leads into ipsec0 (strongSwan needs kernel-libipsec's
// allow_peer_ts for that route). Measured with the first cipher, TCP and
// UDP-64, for both implementations; the table's topology column tells
// the rows apart.
//
// Measurements, each -duration long: TCP with one stream (-O 1 omits the
// first second of slow start), TCP with two streams (AES-GCM only), and
// UDP with 64-byte payloads at an unlimited sending rate, counting the
// datagrams bob receives; per ESP cipher for both implementations, plus
// ours with ESP in UDP (forceencaps=yes; strongSwan's libipsec always
// encapsulates). Then a TCP run with GOSWAN_CPUPROFILE set on both
// gateways (cmd/charon writes a pprof CPU profile) whose merged top is
// printed, and a handshake benchmark: N IKE_SAs (with CHILD_SAs, no
// policies) initiated at once by moon, timed in moon's log, with both
// daemons' RSS before and after.
//
// Nothing leaves the namespaces the bench creates; it never binds ports
// in the root namespace. Everything is removed at the end, on failure and
// on SIGINT/SIGTERM; a crashed run's leftovers are removed by the next.
// Results (iperf3 JSON, daemon logs, profiles, the table) stay in
// STATE/results/TIMESTAMP.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type options struct {
	duration   time.Duration
	handshakes int
	prefix     string
	state      string
	ours       string
	strongswan string
	goTool     string
	ciphers    []cipher
	skipSS     bool
	skipHS     bool
	keep       int
	hold       string
}

type bench struct {
	opts    options
	hosts   map[string]*host
	results string
	out     io.Writer
}

func (b *bench) hostList() []*host {
	l := make([]*host, 0, len(hostNames))
	for _, n := range hostNames {
		l = append(l, b.hosts[n])
	}
	return l
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.out, "bench: "+format+"\n", args...)
}

func main() {
	os.Exit(mainErr())
}

func mainErr() int {
	var o options
	var cipherList string
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each iperf3 measurement")
	fs.IntVar(&o.handshakes, "handshakes", 200, "IKE_SAs for the handshake benchmark (0: skip)")
	fs.StringVar(&o.prefix, "prefix", "gb-", "prefix of the network namespaces")
	fs.StringVar(&o.state, "state", "/var/tmp/goswan-bench", "state directory (configuration, results)")
	fs.StringVar(&o.ours, "ipsec", "", "our ipsec command (default: ipsec beside this program, else bin/ipsec)")
	fs.StringVar(&o.strongswan, "strongswan", "/usr/sbin/ipsec", "strongSwan's ipsec command")
	fs.StringVar(&o.goTool, "go", "go", "go command, for go tool pprof")
	fs.StringVar(&cipherList, "ciphers", "aes128gcm16,chacha20poly1305,aes128-sha256", "ESP ciphers to measure")
	fs.BoolVar(&o.skipSS, "no-strongswan", false, "measure our daemon only")
	fs.IntVar(&o.keep, "keep-results", 10, "result directories to keep")
	fs.StringVar(&o.hold, "hold", "", "goswan|strongswan: bring up its tunnel (first cipher), measure nothing, wait for Ctrl-C (for poking around)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	o.skipHS = o.handshakes <= 0
	for _, name := range strings.Split(cipherList, ",") {
		found := false
		for _, c := range ciphers {
			if c.name == strings.TrimSpace(name) {
				o.ciphers, found = append(o.ciphers, c), true
			}
		}
		if !found {
			fmt.Fprintf(os.Stderr, "bench: unknown cipher %q\n", name)
			return 2
		}
	}
	if o.ours == "" {
		o.ours = "bin/ipsec"
		if exe, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(exe), "ipsec"); fileExists(p) {
				o.ours = p
			}
		}
	}
	if abs, err := filepath.Abs(o.ours); err == nil {
		o.ours = abs
	}
	if err := preflight(o); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	b := &bench{opts: o, hosts: map[string]*host{}, out: os.Stdout}
	for _, n := range hostNames {
		h := &host{name: n, ns: o.prefix + n, gateway: n == "moon" || n == "sun"}
		if h.gateway {
			h.dir = filepath.Join(o.state, "hosts", n)
		}
		b.hosts[n] = h
	}
	if err := b.run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func preflight(o options) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces)")
	}
	var missing []string
	for _, t := range []string{"ip", "nsenter", "iperf3", "ss", "ping", "mount"} {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s (testing/install-deps installs them)", strings.Join(missing, ", "))
	}
	if !fileExists(o.ours) {
		return fmt.Errorf("%s not found (make build)", o.ours)
	}
	if !o.skipSS && !fileExists(o.strongswan) {
		return fmt.Errorf("%s not found: strongSwan is needed for the comparison (testing/install-deps, or -no-strongswan)", o.strongswan)
	}
	for _, f := range []string{"/etc/ipsec.conf", "/etc/ipsec.secrets", "/dev/net/tun"} {
		if !fileExists(f) {
			return fmt.Errorf("%s missing (the gateways bind their own over it)", f)
		}
	}
	return nil
}

// lock makes sure one bench at a time uses the state directory (and so
// the namespaces).
func lock(state string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(state, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another bench uses %s", state)
	}
	return func() { f.Close() }, nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// job is one tunnel set-up with the measurements made through it.
type job struct {
	im      impl
	c       cipher
	encap   bool // forceencaps=yes
	ms      []measurement
	profile bool     // our daemons write CPU profiles
	env     []string // added to our daemons' environment
	variant string   // describes env
	topo    topology // zero: net-to-net
}

func (j job) topology() topology {
	if j.topo.name == "" {
		return netToNet
	}
	return j.topo
}

func (j job) tag() string {
	t := j.im.name + "." + j.c.name
	if j.topology().hostToHost {
		t += ".host"
	}
	if j.encap {
		t += ".udpencap"
	}
	if j.profile {
		t += ".profiled"
	}
	if j.variant != "" {
		t += "." + j.variant
	}
	return t
}

// row is a job's results.
type row struct {
	job
	res  map[string]result
	errs map[string]error
}

func (b *bench) run(ctx context.Context) error {
	if err := os.MkdirAll(b.opts.state, 0o755); err != nil {
		return err
	}
	unlock, err := lock(b.opts.state)
	if err != nil {
		return err
	}
	defer unlock()
	b.results = filepath.Join(b.opts.state, "results", time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(b.results, 0o755); err != nil {
		return err
	}
	pruneResults(filepath.Join(b.opts.state, "results"), b.opts.keep)

	start := time.Now()
	load0 := loadavg()
	b.logf("load average %s; %d cores; results in %s", load0, numCPU(), b.results)
	b.teardown() // what a crashed run left
	defer func() {
		b.teardown()
		if l := b.leftovers(); len(l) > 0 {
			b.logf("NOT REMOVED: %s", strings.Join(l, ", "))
		}
	}()
	for attempt := 1; ; attempt++ {
		err := b.setupNetwork(ctx)
		if err == nil {
			break
		}
		b.teardown()
		if attempt == 2 || ctx.Err() != nil {
			return fmt.Errorf("network setup: %w", err)
		}
		b.logf("network setup: %v; retrying once", err)
	}

	ours := impl{name: "goswan", ipsec: b.opts.ours}
	ss := impl{name: "strongswan", ipsec: b.opts.strongswan}
	var jobs []job
	for _, c := range b.opts.ciphers {
		ms := []measurement{mTCP, mUDP64}
		if c.name == "aes128gcm16" {
			ms = []measurement{mTCP, mTCP2, mUDP64}
		}
		jobs = append(jobs, job{im: ours, c: c, ms: ms})
		if !b.opts.skipSS {
			jobs = append(jobs, job{im: ss, c: c, ms: ms})
		}
	}
	gcm := b.opts.ciphers[0]
	jobs = append(jobs, job{im: ours, c: gcm, topo: hostToHost, ms: []measurement{mTCP, mUDP64}})
	if !b.opts.skipSS {
		jobs = append(jobs, job{im: ss, c: gcm, topo: hostToHost, ms: []measurement{mTCP, mUDP64}})
	}
	jobs = append(jobs,
		job{im: ours, c: gcm, encap: true, ms: []measurement{mTCP, mUDP64}},
		job{im: ours, c: gcm, ms: []measurement{mTCP, mUDP64}, env: []string{"GOMAXPROCS=1"}, variant: "GOMAXPROCS=1"},
		job{im: ours, c: gcm, ms: []measurement{mTCP}, profile: true})

	switch b.opts.hold {
	case "":
	case ours.name:
		return b.hold(ctx, job{im: ours, c: b.opts.ciphers[0]})
	case ss.name:
		return b.hold(ctx, job{im: ss, c: b.opts.ciphers[0]})
	default:
		return fmt.Errorf("-hold %s: goswan or strongswan", b.opts.hold)
	}
	var rows []*row
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		rows = append(rows, b.runJob(ctx, j))
	}
	var hs []hsResult
	if !b.opts.skipHS {
		for _, im := range []impl{ours, ss} {
			if ctx.Err() != nil || (im.name == "strongswan" && b.opts.skipSS) {
				continue
			}
			b.logf("%s: %d concurrent IKE_SA setups", im.name, b.opts.handshakes)
			r := b.handshakes(ctx, im)
			if r.err == nil {
				b.logf("  %d IKE_SAs in %.2f s: %.0f/s", r.n, r.elapsed.Seconds(), r.rate())
			}
			hs = append(hs, r)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted")
	}
	top := b.profileTop(ctx)

	var report strings.Builder
	b.writeReport(&report, rows, hs, top, load0, loadavg(), time.Since(start))
	fmt.Fprint(b.out, "\n"+report.String())
	os.WriteFile(filepath.Join(b.results, "report.txt"), []byte(report.String()), 0o644)
	for _, r := range rows {
		if len(r.errs) > 0 {
			return errors.New("some measurements failed")
		}
	}
	return nil
}

// runJob brings the tunnel up for j (retrying once) and makes its
// measurements (each retried once).
func (b *bench) runJob(ctx context.Context, j job) *row {
	r := &row{job: j, res: map[string]result{}, errs: map[string]error{}}
	desc := fmt.Sprintf("%s %s %s", j.im.name, j.c.name, j.topology().name)
	if j.encap {
		desc += " (ESP in UDP)"
	}
	if j.profile {
		desc += " (CPU profile)"
	}
	if j.variant != "" {
		desc += " (" + j.variant + ")"
	}
	b.logf("%s", desc)
	defer func() {
		b.saveLogs(j.tag())
		b.stopDaemons(ctx, j.im)
	}()
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		if err = b.bringUp(ctx, j); err == nil || ctx.Err() != nil {
			break
		}
		b.saveLogs(j.tag() + ".failed")
		b.stopDaemons(ctx, j.im)
		b.logf("  tunnel setup: %v", err)
		if attempt == 1 {
			b.logf("  retrying once")
		}
	}
	if err != nil {
		for _, m := range j.ms {
			r.errs[m.name] = err
		}
		return r
	}
	for _, m := range j.ms {
		var res result
		for attempt := 1; attempt <= 2; attempt++ {
			if res, err = b.iperf(ctx, m, j.tag(), j.topology()); err == nil || ctx.Err() != nil {
				break
			}
			b.logf("  %s: %v", m.name, err)
			if attempt == 1 {
				b.logf("  retrying once")
			}
		}
		if err != nil {
			r.errs[m.name] = err
			continue
		}
		r.res[m.name] = res
		if m.udp {
			b.logf("  %-7s %7.0f kpps received (%.0f%% lost), daemons %.2f cores", m.name, res.kpps, res.lost*100, res.cpu)
		} else {
			b.logf("  %-7s %7.2f Gbit/s (%d retransmits), daemons %.2f cores", m.name, res.gbps, res.retr, res.cpu)
		}
	}
	for _, h := range []string{"moon", "sun"} {
		out, _ := b.ipsec(ctx, b.hosts[h], j.im, 10*time.Second, "statusall")
		os.WriteFile(filepath.Join(b.results, j.tag()+"."+h+".statusall"), []byte(out), 0o644)
	}
	return r
}

// bringUp starts the daemons for j and the tunnel, and checks that the
// iperf3 client reaches the server through it (alice bob, or moon sun
// host-to-host, whose traffic must be routed into ipsec0).
func (b *bench) bringUp(ctx context.Context, j job) error {
	t := j.topology()
	if err := b.configure(tunnelConf("moon", j.c, j.encap, t), tunnelConf("sun", j.c, j.encap, t)); err != nil {
		return err
	}
	env := map[string][]string{}
	for _, h := range []string{"moon", "sun"} {
		env[h] = j.env
		if j.profile {
			env[h] = append(env[h], "GOSWAN_CPUPROFILE="+filepath.Join(b.results, h+".cpu.prof"))
		}
	}
	if err := b.startDaemons(ctx, j.im, env); err != nil {
		return err
	}
	out, err := b.ipsec(ctx, b.hosts["moon"], j.im, 30*time.Second, "up", t.conn)
	if err != nil || !strings.Contains(out, "established successfully") {
		return fmt.Errorf("ipsec up %s: %v: %s", t.conn, err, lastLines(out, 5))
	}
	client := b.hosts[t.client]
	if out, err := client.output(ctx, 10*time.Second, nil, "ping", "-c", "3", "-i", "0.2", "-W", "2", t.dst); err != nil {
		return fmt.Errorf("%s cannot ping %s through the tunnel: %v: %s", t.client, t.server, err, lastLines(out, 3))
	}
	if t.hostToHost {
		// moon reaches sun in the clear as well: make sure the
		// tunnel's route carries the traffic, on both sides
		for _, h := range []struct{ host, dst string }{{"moon", sunAddr}, {"sun", moonAddr}} {
			out, err := b.hosts[h.host].output(ctx, 5*time.Second, nil, "ip", "route", "get", h.dst)
			if err != nil || !strings.Contains(out, "dev ipsec0") {
				return fmt.Errorf("%s: traffic to %s does not go into the tunnel: %v: %s", h.host, h.dst, err, lastLines(out, 2))
			}
		}
	}
	return nil
}

// saveLogs copies the gateways' daemon logs to the results.
func (b *bench) saveLogs(tag string) {
	for _, h := range []string{"moon", "sun"} {
		if data, err := os.ReadFile(filepath.Join(b.hosts[h].dir, "charon.log")); err == nil {
			os.WriteFile(filepath.Join(b.results, tag+"."+h+".log"), data, 0o644)
		}
	}
}

// profileTop is go tool pprof -top of the profiles of both gateways.
func (b *bench) profileTop(ctx context.Context) string {
	var profs []string
	for _, h := range []string{"moon", "sun"} {
		if p := filepath.Join(b.results, h+".cpu.prof"); fileExists(p) {
			profs = append(profs, p)
		}
	}
	if len(profs) == 0 {
		return "no CPU profile was written"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var s strings.Builder
	for i, flags := range [][]string{{"-top"}, {"-top", "-cum"}} {
		args := append(append([]string{"tool", "pprof"}, flags...), "-nodecount=15")
		args = append(args, profs...)
		out, err := exec.CommandContext(ctx, b.opts.goTool, args...).CombinedOutput()
		fmt.Fprintf(&s, "$ go %s\n", strings.Join(args[:len(args)-len(profs)], " "))
		if err != nil {
			fmt.Fprintf(&s, "%v\n%s", err, out)
			continue
		}
		text := string(out)
		if i > 0 {
			// the header repeats the first one's
			if k := strings.Index(text, "      flat"); k >= 0 {
				text = text[k:]
			}
		}
		s.WriteString(text)
	}
	return s.String()
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}

func numCPU() int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		return set.Count()
	}
	return 0
}

// pruneResults keeps the newest keep result directories.
func pruneResults(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil || keep <= 0 {
		return
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for len(names) > keep {
		os.RemoveAll(filepath.Join(dir, names[0]))
		names = names[1:]
	}
}

// hold brings up j's tunnel and waits for an interrupt.
func (b *bench) hold(ctx context.Context, j job) error {
	defer b.stopDaemons(context.WithoutCancel(ctx), j.im)
	if err := b.bringUp(ctx, j); err != nil {
		return err
	}
	b.logf("%s %s tunnel up; e.g. ip netns exec %salice iperf3 -c %s (server: ip netns exec %sbob iperf3 -s);",
		j.im.name, j.c.name, b.opts.prefix, bobAddr, b.opts.prefix)
	b.logf("gateways: nsenter -t PID -m -n (PIDs %d, %d); Ctrl-C tears down", b.hosts["moon"].holder.Process.Pid, b.hosts["sun"].holder.Process.Pid)
	<-ctx.Done()
	return nil
}
