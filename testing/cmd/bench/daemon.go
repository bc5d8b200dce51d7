package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// impl is an IKE daemon under test, run through its ipsec command.
type impl struct {
	name  string // "goswan", "strongswan"
	ipsec string
}

// configure writes the gateways' configuration files for im.
func (b *bench) configure(moonConf, sunConf string) error {
	for _, h := range []*host{b.hosts["moon"], b.hosts["sun"]} {
		conf := moonConf
		if h.name == "sun" {
			conf = sunConf
		}
		files := map[string]string{
			"ipsec.conf":      conf,
			"ipsec.secrets":   secretsConf(),
			"strongswan.conf": strongswanConf(filepath.Join(h.dir, "charon.log")),
		}
		for f, c := range files {
			if err := writeFile(filepath.Join(h.dir, f), c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) daemonEnv(h *host, extra ...string) []string {
	return append([]string{"STRONGSWAN_CONF=" + filepath.Join(h.dir, "strongswan.conf")}, extra...)
}

// ipsec runs `ipsec args...` of im on gateway h.
func (b *bench) ipsec(ctx context.Context, h *host, im impl, timeout time.Duration, args ...string) (string, error) {
	return h.output(ctx, timeout, b.daemonEnv(h), append([]string{im.ipsec}, args...)...)
}

// startDaemons starts im on sun, then on moon, and waits until both
// answer. env adds variables to a gateway's daemon environment.
func (b *bench) startDaemons(ctx context.Context, im impl, env map[string][]string) error {
	for _, name := range []string{"sun", "moon"} {
		h := b.hosts[name]
		out, err := h.output(ctx, 40*time.Second, b.daemonEnv(h, env[name]...), im.ipsec, "start")
		if err != nil {
			return fmt.Errorf("%w: %s", err, strings.TrimSpace(out))
		}
	}
	// strongSwan's starter returns before charon serves: wait for the
	// control socket to answer
	for _, name := range []string{"sun", "moon"} {
		h := b.hosts[name]
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, err := b.ipsec(ctx, h, im, 5*time.Second, "status")
			if err == nil && strings.Contains(out, "Security Associations") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %s does not answer ipsec status: %s", name, im.name, strings.TrimSpace(out))
			}
			if err := sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// stopDaemons stops the daemons on both gateways and removes what they
// may have left: processes, the TUN device, table 220 and its rules, pid
// files.
func (b *bench) stopDaemons(ctx context.Context, im impl) {
	for _, name := range []string{"moon", "sun"} {
		h := b.hosts[name]
		if out, err := b.ipsec(ctx, h, im, 20*time.Second, "stop"); err != nil {
			b.logf("%s: ipsec stop: %v: %s", name, err, strings.TrimSpace(out))
		}
	}
	for _, name := range []string{"moon", "sun"} {
		h := b.hosts[name]
		killNetns(h.ns, h.holder.Process.Pid)
		run(ctx, "ip", "-n", h.ns, "route", "flush", "table", "220")
		for range 10 {
			if run(ctx, "ip", "-n", h.ns, "rule", "del", "lookup", "220") != nil {
				break
			}
		}
		if run(ctx, "ip", "-n", h.ns, "link", "show", "ipsec0") == nil {
			run(ctx, "ip", "-n", h.ns, "link", "del", "ipsec0")
		}
		entries, _ := os.ReadDir(filepath.Join(h.dir, "run"))
		for _, e := range entries {
			os.RemoveAll(filepath.Join(h.dir, "run", e.Name()))
		}
	}
}

// daemonPid is the pid of the charon of gateway h (from its pid file).
func daemonPid(h *host) int {
	b, err := os.ReadFile(filepath.Join(h.dir, "run", "charon.pid"))
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// cpuTime is the user+system CPU time pid has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	// fields 14 and 15 of stat (utime, stime), in USER_HZ (100 on Linux)
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// rssKiB is the resident set size of pid.
func rssKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

var saCountRE = regexp.MustCompile(`Security Associations \((\d+) up, (\d+) connecting\)`)

// saCounts parses the summary line of ipsec status.
func saCounts(status string) (up, connecting int, ok bool) {
	m := saCountRE.FindStringSubmatch(status)
	if m == nil {
		return 0, 0, false
	}
	up, _ = strconv.Atoi(m[1])
	connecting, _ = strconv.Atoi(m[2])
	return up, connecting, true
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
