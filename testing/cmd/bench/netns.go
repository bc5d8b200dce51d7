package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The network: two inner hosts behind two gateways, joined by veth pairs
// (no bridge, nothing in the root namespace):
//
//	alice 10.1.0.10 --eth0/eth1-- moon 10.1.0.1 | 192.168.0.1 --eth0/eth0-- 192.168.0.2 sun | 10.2.0.1 --eth1/eth0-- 10.2.0.10 bob
//
// The gateways have no route between 10.1.0.0/16 and 10.2.0.0/16 but the
// tunnel's (table 220, via ipsec0), so nothing reaches bob in the clear.
const (
	aliceAddr = "10.1.0.10"
	bobAddr   = "10.2.0.10"
	moonAddr  = "192.168.0.1"
	sunAddr   = "192.168.0.2"
)

var hostNames = []string{"alice", "moon", "sun", "bob"}

// host is one network namespace of the bench. A gateway also has a
// private mount namespace, held open by a sleeping process: its /run and
// /etc/ipsec.{conf,secrets} are bind mounts of files in dir, so that its
// daemon's pid files, control socket and configuration are its own.
type host struct {
	name    string
	ns      string
	gateway bool
	dir     string    // gateways: run/, ipsec.conf, ipsec.secrets, strongswan.conf, charon.log
	holder  *exec.Cmd // gateways: the process whose mount namespace commands enter
}

// holderScript runs in a fresh mount namespace (ip netns exec makes one,
// with / a slave of the root's: nothing mounted here shows outside).
const holderScript = `set -e
mount --bind "$1/run" /run
mount --bind "$1/ipsec.conf" /etc/ipsec.conf
mount --bind "$1/ipsec.secrets" /etc/ipsec.secrets
echo ready
exec sleep infinity`

// gatewayPath is the PATH the daemons and their tools run with.
const gatewayPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// command runs argv inside h: in its mount and network namespaces for a
// gateway, else in its network namespace.
func (h *host) command(ctx context.Context, env []string, argv ...string) *exec.Cmd {
	var c *exec.Cmd
	if h.holder != nil {
		args := append([]string{"-t", strconv.Itoa(h.holder.Process.Pid), "-m", "-n", "--"}, argv...)
		c = exec.CommandContext(ctx, "nsenter", args...)
	} else {
		args := append([]string{"netns", "exec", h.ns}, argv...)
		c = exec.CommandContext(ctx, "ip", args...)
	}
	c.Env = append([]string{"PATH=" + gatewayPath, "HOME=/root", "LANG=C"}, env...)
	c.Dir = "/"
	c.WaitDelay = 2 * time.Second
	return c
}

// output runs argv in h with a timeout and returns its combined output.
func (h *host) output(ctx context.Context, timeout time.Duration, env []string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := h.command(ctx, env, argv...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %s: %w", h.name, strings.Join(argv, " "), err)
	}
	return string(out), nil
}

func run(ctx context.Context, argv ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func netnsExists(ns string) bool {
	_, err := os.Stat(filepath.Join("/run/netns", ns))
	return err == nil
}

// setupNetwork creates the namespaces, links and addresses, and starts
// the gateways' mount namespace holders.
func (b *bench) setupNetwork(ctx context.Context) error {
	for _, h := range b.hostList() {
		if err := run(ctx, "ip", "netns", "add", h.ns); err != nil {
			return err
		}
	}
	alice, moon, sun, bob := b.hosts["alice"], b.hosts["moon"], b.hosts["sun"], b.hosts["bob"]
	steps := [][]string{
		{"ip", "-n", moon.ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", alice.ns},
		{"ip", "-n", moon.ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", sun.ns},
		{"ip", "-n", sun.ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", bob.ns},
		{"ip", "-n", alice.ns, "addr", "add", aliceAddr + "/16", "dev", "eth0"},
		{"ip", "-n", moon.ns, "addr", "add", "10.1.0.1/16", "dev", "eth1"},
		{"ip", "-n", moon.ns, "addr", "add", moonAddr + "/24", "dev", "eth0"},
		{"ip", "-n", sun.ns, "addr", "add", sunAddr + "/24", "dev", "eth0"},
		{"ip", "-n", sun.ns, "addr", "add", "10.2.0.1/16", "dev", "eth1"},
		{"ip", "-n", bob.ns, "addr", "add", bobAddr + "/16", "dev", "eth0"},
	}
	for _, h := range b.hostList() {
		for _, l := range []string{"lo", "eth0", "eth1"} {
			if l == "eth1" && !h.gateway {
				continue
			}
			steps = append(steps, []string{"ip", "-n", h.ns, "link", "set", l, "up"})
		}
	}
	steps = append(steps,
		[]string{"ip", "-n", alice.ns, "route", "add", "default", "via", "10.1.0.1"},
		[]string{"ip", "-n", bob.ns, "route", "add", "default", "via", "10.2.0.1"})
	for _, h := range b.hostList() {
		steps = append(steps, []string{"ip", "netns", "exec", h.ns, "sysctl", "-qw",
			"net.ipv4.ip_forward=1", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"})
	}
	for _, s := range steps {
		if err := run(ctx, s...); err != nil {
			return err
		}
	}
	for _, h := range b.hostList() {
		if h.gateway {
			if err := b.startHolder(ctx, h); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) startHolder(ctx context.Context, h *host) error {
	if err := os.MkdirAll(filepath.Join(h.dir, "run"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"ipsec.conf", "ipsec.secrets", "strongswan.conf"} {
		if err := writeFile(filepath.Join(h.dir, f), ""); err != nil {
			return err
		}
	}
	c := exec.Command("ip", "netns", "exec", h.ns, "/bin/sh", "-c", holderScript, "holder", h.dir)
	c.Stderr = os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // no terminal signals
	out, err := c.StdoutPipe()
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- strings.TrimSpace(line) == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			c.Process.Kill()
			c.Wait()
			return fmt.Errorf("%s: mount namespace setup failed", h.name)
		}
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		c.Wait()
		return fmt.Errorf("%s: mount namespace setup timed out", h.name)
	case <-ctx.Done():
		c.Process.Kill()
		c.Wait()
		return ctx.Err()
	}
	h.holder = c
	return nil
}

// writeFile rewrites p in place: the bind mounts refer to the inode, so
// the file must never be replaced by a new one.
func writeFile(p, content string) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(content)
	return errors.Join(err, f.Close())
}

// netnsPids lists the processes in network namespace ns.
func netnsPids(ns string) []int {
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil && p > 1 && p != os.Getpid() {
			pids = append(pids, p)
		}
	}
	return pids
}

// killNetns kills every process in ns except keep and waits until they
// are gone (at most 5 s).
func killNetns(ns string, keep int) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []int
		for _, p := range netnsPids(ns) {
			if p != keep {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return
		}
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// teardown removes everything setupNetwork created (also what a crashed
// earlier run left behind): processes in the namespaces, the namespaces
// (and with them links, TUN devices and mounts).
func (b *bench) teardown() {
	for _, h := range b.hostList() {
		if !netnsExists(h.ns) {
			continue
		}
		killNetns(h.ns, 0)
	}
	for _, h := range b.hostList() {
		if h.holder != nil {
			h.holder.Process.Kill()
			h.holder.Wait()
			h.holder = nil
		}
		if netnsExists(h.ns) {
			if err := run(context.Background(), "ip", "netns", "del", h.ns); err != nil {
				b.logf("teardown: %v", err)
			}
		}
	}
}

// leftovers names what teardown should have removed but did not.
func (b *bench) leftovers() []string {
	var l []string
	for _, h := range b.hostList() {
		if netnsExists(h.ns) {
			l = append(l, "netns "+h.ns)
		}
	}
	return l
}
