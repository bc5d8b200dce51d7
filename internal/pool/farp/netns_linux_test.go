package farp

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/vishvananda/netns"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/log"
)

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestNetnsARP: a LAN host asks for a roadwarrior's virtual IP and gets
// the gateway's MAC while the CHILD_SA is up, nothing before and after.
func TestNetnsARP(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, packet sockets)")
	}
	for _, bin := range []string{"ip", "arping"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (apt-get install iproute2 iputils-arping)", bin)
		}
	}
	var r [4]byte
	rand.Read(r[:])
	sfx := hex.EncodeToString(r[:])
	gw, lan := "gswfg-"+sfx, "gswfl-"+sfx
	gwIf, lanIf := "fg"+sfx, "fl"+sfx
	for _, ns := range []string{gw, lan} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Skipf("ip netns add: %v: %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	run(t, "ip", "-n", gw, "link", "add", gwIf, "type", "veth", "peer", "name", lanIf, "netns", lan)
	run(t, "ip", "-n", gw, "addr", "add", "192.168.0.1/24", "dev", gwIf)
	run(t, "ip", "-n", gw, "link", "set", gwIf, "up")
	run(t, "ip", "-n", lan, "addr", "add", "192.168.0.10/24", "dev", lanIf)
	run(t, "ip", "-n", lan, "link", "set", lanIf, "up")
	var gwMAC string
	if m := regexp.MustCompile(`link/ether ([0-9a-f:]{17})`).FindStringSubmatch(run(t, "ip", "-n", gw, "link", "show", gwIf)); m != nil {
		gwMAC = m[1]
	} else {
		t.Fatal("no MAC for the gateway's interface")
	}

	buf := &syncBuffer{}
	lg := log.New(log.Options{Foreground: true, Stdout: buf, SyslogPath: "/nonexistent/log"})
	s, _ := config.ParseSettings(nil, "strongswan.conf", []byte("charon { filelog { stdout { default = 2 } } }"))
	lg.Configure(s)

	h, err := netns.GetFromName(gw)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	type result struct {
		p   *Proxy
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := netns.Set(h); err != nil {
			res <- result{err: err}
			return
		}
		p, err := New(lg)
		res <- result{p, err}
	}()
	rs := <-res
	if rs.err != nil {
		t.Fatal(rs.err)
	}
	p := rs.p
	defer p.Close()

	// arping's exit status: 0 with a reply
	arping := func(target string) (string, bool) {
		out, err := exec.Command("ip", "netns", "exec", lan, "arping", "-I", lanIf, "-c", "1", "-w", "1", target).CombinedOutput()
		return string(out), err == nil
	}
	if out, ok := arping("192.168.0.200"); ok {
		t.Fatalf("reply before the CHILD_SA is up:\n%s", out)
	}
	rw := child(1, []string{"192.168.0.0/24"}, []string{"192.168.0.200/32"})
	p.ChildUpDown(nil, rw, true)
	out, ok := arping("192.168.0.200")
	if !ok {
		t.Fatalf("no reply for the virtual IP:\n%s\nlog:\n%s", out, buf)
	}
	if !strings.Contains(strings.ToLower(out), "["+gwMAC+"]") {
		t.Errorf("reply not with the gateway's MAC %s:\n%s", gwMAC, out)
	}
	if out, ok := arping("192.168.0.201"); ok {
		t.Errorf("reply for an address outside the CHILD_SA:\n%s", out)
	}
	p.ChildUpDown(nil, rw, false)
	if out, ok := arping("192.168.0.200"); ok {
		t.Errorf("reply after the CHILD_SA went down:\n%s", out)
	}
	if !strings.Contains(buf.String(), "replying to ARP request for 192.168.0.200 from 192.168.0.10") {
		t.Errorf("log:\n%s", buf)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
