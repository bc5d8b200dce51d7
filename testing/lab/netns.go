package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Network namespaces are created and wired with iproute2 (`ip netns add`,
// `ip -n NS ...`). Everything runs against the lab's own namespaces: the
// veth pairs are created inside the switch namespace with the peer end
// placed straight into the host namespace, so the root namespace's
// interfaces, routes and firewall are never touched.

// ipCmd runs ip(8) with args and returns its error with its output.
func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// ipBatch runs several ip commands in namespace ns with one process.
func ipBatch(ctx context.Context, ns string, cmds []string) error {
	if len(cmds) == 0 {
		return nil
	}
	c := exec.CommandContext(ctx, "ip", "-n", ns, "-batch", "-")
	c.Stdin = strings.NewReader(strings.Join(cmds, "\n") + "\n")
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip -n %s -batch: %v: %s\ncommands:\n%s", ns, err, bytes.TrimSpace(out), strings.Join(cmds, "\n"))
	}
	return nil
}

// netnsPath is where iproute2 keeps a named namespace.
func netnsPath(name string) string { return filepath.Join("/run/netns", name) }

func netnsExists(name string) bool {
	_, err := os.Stat(netnsPath(name))
	return err == nil
}

// inNetns runs f on an OS thread that has joined network namespace name.
// The thread is never returned to the Go scheduler (the goroutine exits
// while locked, so the runtime terminates the thread): other goroutines
// never run in the lab's namespace. Processes started by f (exec.Cmd.Start)
// are cloned from this thread and so start inside the namespace.
func inNetns(name string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(netnsPath(name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open netns %s: %w", name, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("setns %s: %w", name, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// writeSysctls sets /proc/sys values (keys with dots) in the calling
// thread's network namespace; missing keys are skipped when optional.
func writeSysctls(kv [][2]string, optional bool) error {
	for _, e := range kv {
		p := "/proc/sys/" + strings.ReplaceAll(e[0], ".", "/")
		if err := os.WriteFile(p, []byte(e[1]), 0o644); err != nil {
			if optional && os.IsNotExist(err) {
				continue
			}
			return fmt.Errorf("sysctl %s=%s: %w", e[0], e[1], err)
		}
	}
	return nil
}

// listNetns returns the names of the named network namespaces.
func listNetns() []string {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return nil
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

// cleanAddresses removes the global addresses a daemon left on host's
// interfaces (virtual IPs of a killed daemon, say): every address of an
// eth* interface that the topology does not give it.
func (l *Lab) cleanAddresses(ctx context.Context, h string) error {
	host, _ := LookupHost(h)
	want := map[string]bool{}
	for _, i := range host.Ifaces {
		want[i.Name+" "+i.Addr.String()] = true
		want[i.Name+" "+i.Addr6.String()] = true
	}
	out, err := exec.CommandContext(ctx, "ip", "-n", l.Cfg.netns(h), "-j", "addr", "show").Output()
	if err != nil {
		return fmt.Errorf("%s: ip addr show: %w", h, err)
	}
	var links []struct {
		Ifname   string `json:"ifname"`
		AddrInfo []struct {
			Local     string `json:"local"`
			Prefixlen int    `json:"prefixlen"`
			Scope     string `json:"scope"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return fmt.Errorf("%s: ip -j addr show: %w", h, err)
	}
	var cmds []string
	for _, ln := range links {
		if !strings.HasPrefix(ln.Ifname, "eth") {
			continue
		}
		for _, a := range ln.AddrInfo {
			if a.Scope != "global" {
				continue
			}
			p := fmt.Sprintf("%s/%d", a.Local, a.Prefixlen)
			if pf, err := netip.ParsePrefix(p); err == nil {
				p = pf.String()
			}
			if !want[ln.Ifname+" "+p] {
				cmds = append(cmds, fmt.Sprintf("addr del %s dev %s", p, ln.Ifname))
			}
		}
	}
	if len(cmds) > 0 {
		l.logf("    note: %s: removing leftover addresses: %s", h, strings.Join(cmds, "; "))
	}
	return ipBatch(ctx, l.Cfg.netns(h), cmds)
}
