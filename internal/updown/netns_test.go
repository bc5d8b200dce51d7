package updown

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vishvananda/netns"
)

// testNS is a network namespace of a test ("ip netns add"), so that
// nothing touches the root namespace's firewall, routes or interfaces.
type testNS struct {
	name string
	fd   netns.NsHandle
}

var nsSeq atomic.Int32

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces)")
	}
	for _, bin := range []string{"ip", "nft", "iptables-nft", "iptables-save", "ip6tables-save"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s", bin)
		}
	}
}

func newNS(t *testing.T) *testNS {
	t.Helper()
	requireRoot(t)
	name := fmt.Sprintf("gsud-%d-%d", os.Getpid(), nsSeq.Add(1))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	fd, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fd.Close() })
	n := &testNS{name: name, fd: fd}
	n.run(t, "ip", "link", "set", "lo", "up")
	return n
}

// run runs a command inside the namespace and returns its output.
func (n *testNS) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := n.cmd(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (n *testNS) cmd(args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...)
}

// restore loads iptables-restore input in the namespace.
func (n *testNS) restore(t *testing.T, rules []byte) {
	t.Helper()
	c := n.cmd("iptables-restore")
	c.Stdin = bytes.NewReader(rules)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("iptables-restore: %v: %s", err, out)
	}
}

// in runs f on a thread inside the namespace (for sockets and TUN
// devices, which belong to the namespace they are created in). The
// thread is never returned to the runtime.
func (n *testNS) in(t *testing.T, f func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread dies with us
		if err := netns.Set(n.fd); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
