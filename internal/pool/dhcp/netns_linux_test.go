package dhcp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/goswan/goswan/internal/config"
)

// The lab: the DHCP server's namespace and the gateway's, joined by a
// veth pair; dnsmasq serves 192.168.77.0/24 in the first, the provider
// runs in the second. Nothing touches the root namespace.

const (
	labServer = "192.168.77.1"
	labGW     = "192.168.77.2"
)

type lab struct {
	gw, srv   string // namespace names
	gwIf      string // the gateway's end of the veth
	dir       string
	leaseFile string
	dnsmasq   *exec.Cmd
	out       *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func requireLab(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, raw sockets)")
	}
	for _, bin := range []string{"ip", "dnsmasq"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (apt-get install iproute2 dnsmasq-base)", bin)
		}
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newLab sets up the namespaces and starts dnsmasq with its default
// options plus extra.
func newLab(t *testing.T, extra ...string) *lab {
	t.Helper()
	requireLab(t)
	var r [4]byte
	rand.Read(r[:])
	sfx := hex.EncodeToString(r[:])
	l := &lab{gw: "gswdg-" + sfx, srv: "gswds-" + sfx, gwIf: "dg" + sfx, dir: t.TempDir(), out: &syncBuffer{}}
	srvIf := "ds" + sfx
	for _, ns := range []string{l.srv, l.gw} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Skipf("ip netns add: %v: %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// created inside the server's namespace, its peer moved right away
	run(t, "ip", "-n", l.srv, "link", "add", srvIf, "type", "veth", "peer", "name", l.gwIf, "netns", l.gw)
	run(t, "ip", "-n", l.srv, "addr", "add", labServer+"/24", "dev", srvIf)
	run(t, "ip", "-n", l.srv, "link", "set", srvIf, "up")
	run(t, "ip", "-n", l.gw, "addr", "add", labGW+"/24", "dev", l.gwIf)
	run(t, "ip", "-n", l.gw, "link", "set", l.gwIf, "up")

	l.leaseFile = filepath.Join(l.dir, "leases")
	args := []string{"netns", "exec", l.srv, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0",
		"--interface=" + srvIf, "--bind-interfaces", "--user=root", "--group=root",
		"--dhcp-range=192.168.77.100,192.168.77.150,255.255.255.0,2m",
		"--dhcp-option=6,192.168.77.53,192.168.77.54", "--dhcp-option=44,192.168.77.55",
		"--dhcp-leasefile=" + l.leaseFile, "--pid-file=" + filepath.Join(l.dir, "pid"),
		"--dhcp-authoritative", "--no-ping", "--log-dhcp", "--log-facility=-"}
	args = append(args, extra...)
	l.dnsmasq = exec.Command("ip", args...)
	l.dnsmasq.Stdout, l.dnsmasq.Stderr = l.out, l.out
	if err := l.dnsmasq.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = l.dnsmasq.Process.Kill()
		_ = l.dnsmasq.Wait()
		if t.Failed() || testing.Verbose() {
			t.Logf("dnsmasq:\n%s", l.out.String())
		}
	})
	// wait until it listens
	for i := 0; ; i++ {
		if strings.Contains(l.out.String(), "DHCP, IP range") {
			break
		}
		if i > 500 {
			t.Fatalf("dnsmasq did not start:\n%s", l.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return l
}

// provider creates a provider inside the gateway's namespace with the
// given charon.plugins.dhcp settings.
func (l *lab) provider(t *testing.T, conf string) (*Provider, *logBuffer) {
	t.Helper()
	s, diags := config.ParseSettings(nil, "strongswan.conf", []byte("charon { plugins { dhcp {\n"+conf+"\n} } }"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	lg, buf := testLogger(t)
	h, err := netns.GetFromName(l.gw)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	type result struct {
		p   *Provider
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := netns.Set(h); err != nil {
			res <- result{err: err}
			return
		}
		p, err := New(s, lg)
		res <- result{p, err}
	}()
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.p.Close() })
	return r.p, buf
}

// lease returns the dnsmasq lease file line of addr, "" if none.
func (l *lab) lease(t *testing.T, addr netip.Addr) string {
	t.Helper()
	b, err := os.ReadFile(l.leaseFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[2] == addr.String() {
			return line
		}
	}
	return ""
}

// waitLease waits until addr's lease is present (or gone).
func (l *lab) waitLease(t *testing.T, addr netip.Addr, present bool) string {
	t.Helper()
	for i := 0; i < 500; i++ {
		if line := l.lease(t, addr); (line != "") == present {
			return line
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(l.leaseFile)
	t.Fatalf("lease of %s present=%v expected; lease file:\n%s", addr, !present, b)
	return ""
}

func inRange(a netip.Addr) bool {
	lo, hi := netip.MustParseAddr("192.168.77.100"), netip.MustParseAddr("192.168.77.150")
	return a.Compare(lo) >= 0 && a.Compare(hi) <= 0
}

func TestNetnsDynamic(t *testing.T) {
	l := newLab(t)
	p, logs := l.provider(t, "interface = "+l.gwIf)
	sa := peer("carol.strongswan.org")
	vip, ok := p.AcquireAddress(pools, sa, anyV4)
	if !ok || !inRange(vip) {
		t.Fatalf("AcquireAddress = %v, %v", vip, ok)
	}
	logs.waitFor(t, "received DHCP OFFER "+vip.String()+" from "+labServer)
	logs.waitFor(t, "received DHCP ACK for "+vip.String())
	line := l.waitLease(t, vip, true)
	f := strings.Fields(line)
	if !strings.HasPrefix(f[1], "7a:a7:") || f[3] != "carol" {
		t.Errorf("lease %q: want a 7a:a7 MAC and the host name", line)
	}
	attrs := p.Attributes(pools, sa, []netip.Addr{vip})
	var got []string
	for _, a := range attrs {
		got = append(got, fmt.Sprintf("%s %s", a.Type, netip.AddrFrom4([4]byte(a.Value))))
	}
	want := []string{"INTERNAL_IP4_DNS 192.168.77.53", "INTERNAL_IP4_DNS 192.168.77.54", "INTERNAL_IP4_NBNS 192.168.77.55"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("attributes %v, want %v", got, want)
	}
	// a second peer gets another address
	sa2 := peer("dave@strongswan.org")
	vip2, ok := p.AcquireAddress(pools, sa2, anyV4)
	if !ok || !inRange(vip2) || vip2 == vip {
		t.Fatalf("second AcquireAddress = %v, %v", vip2, ok)
	}
	// dnsmasq writes its lease file after the ACK: wait for the second
	// lease before checking below that releasing the first keeps it
	l.waitLease(t, vip2, true)
	if !p.ReleaseAddress(pools, vip, sa) {
		t.Fatal("release")
	}
	logs.waitFor(t, "sending DHCP RELEASE for "+vip.String()+" to "+labServer)
	l.waitLease(t, vip, false)
	// the other lease stays (dnsmasq rewrites its lease file in place, so
	// a single read may catch it half written: wait for the line)
	l.waitLease(t, vip2, true)
}

func TestNetnsStaticClientID(t *testing.T) {
	l := newLab(t, "--dhcp-host=id:carol@strongswan.org,192.168.77.20")
	p, _ := l.provider(t, "interface = "+l.gwIf+"\nidentity_lease = yes")
	sa := peer("carol@strongswan.org")
	vip, ok := p.AcquireAddress(pools, sa, anyV4)
	if !ok || vip.String() != "192.168.77.20" {
		t.Fatalf("AcquireAddress = %v, %v", vip, ok)
	}
	line := l.waitLease(t, vip, true)
	if !strings.HasSuffix(line, " "+hex.EncodeToString([]byte("carol@strongswan.org"))) &&
		!strings.Contains(line, colonHex([]byte("carol@strongswan.org"))) {
		t.Errorf("lease %q lacks the client id", line)
	}
	p.ReleaseAddress(pools, vip, sa)
	l.waitLease(t, vip, false)
}

func colonHex(b []byte) string {
	s := make([]string, len(b))
	for i, c := range b {
		s[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(s, ":")
}

func TestNetnsStaticMAC(t *testing.T) {
	id := peer("dave@strongswan.org").PeerID
	mac := clientMAC(id, [4]byte{}, true)
	l := newLab(t, "--dhcp-host="+mac.String()+",192.168.77.21")
	p, _ := l.provider(t, "interface = "+l.gwIf+"\nidentity_lease = yes")
	sa := peer("dave@strongswan.org")
	vip, ok := p.AcquireAddress(pools, sa, anyV4)
	if !ok || vip.String() != "192.168.77.21" {
		t.Fatalf("AcquireAddress = %v, %v", vip, ok)
	}
	if line := l.waitLease(t, vip, true); !strings.Contains(line, mac.String()) {
		t.Errorf("lease %q", line)
	}
	// the same identity again (a second SA) shares the lease
	vip2, ok := p.AcquireAddress(pools, sa, anyV4)
	if !ok || vip2 != vip {
		t.Fatalf("second AcquireAddress = %v, %v", vip2, ok)
	}
	p.ReleaseAddress(pools, vip, sa)
	time.Sleep(200 * time.Millisecond)
	if l.lease(t, vip) == "" {
		t.Fatal("released while another SA holds the address")
	}
	p.ReleaseAddress(pools, vip, sa)
	l.waitLease(t, vip, false)
}

// expiry returns the expiry time of a dnsmasq lease line.
func expiry(t *testing.T, line string) int64 {
	var e int64
	if _, err := fmt.Sscan(line, &e); err != nil {
		t.Fatalf("lease line %q: %v", line, err)
	}
	return e
}

func TestNetnsRenew(t *testing.T) {
	for _, relay := range []bool{false, true} {
		name := "broadcast"
		conf := ""
		if relay {
			name = "relay"
			conf = "server = " + labServer + "\nuse_server_port = yes"
		}
		t.Run(name, func(t *testing.T) {
			// dnsmasq's shortest lease is 2 minutes; T1 is ours to set
			l := newLab(t, "--dhcp-option=option:T1,3", "--dhcp-option=option:T2,100")
			if !relay {
				conf = "interface = " + l.gwIf
			}
			p, logs := l.provider(t, conf)
			sa := peer("carol@strongswan.org")
			vip, ok := p.AcquireAddress(pools, sa, anyV4)
			if !ok || !inRange(vip) {
				t.Fatalf("AcquireAddress = %v, %v", vip, ok)
			}
			first := expiry(t, l.waitLease(t, vip, true))
			time.Sleep(1100 * time.Millisecond) // dnsmasq's expiry has seconds
			logs.waitCount(t, "received DHCP ACK for "+vip.String(), 2)
			logs.waitFor(t, "renewing in 3s")
			var second int64
			for i := 0; i < 100; i++ {
				if second = expiry(t, l.waitLease(t, vip, true)); second > first {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if second <= first {
				t.Errorf("lease not extended: expiry %d, then %d", first, second)
			}
			if !strings.Contains(l.out.String(), "DHCPACK") {
				t.Error("dnsmasq logged no ACK")
			}
			p.ReleaseAddress(pools, vip, sa)
			l.waitLease(t, vip, false)
		})
	}
}

// As relay agent (giaddr set, replies to port 67 of our address): with
// use_server_port the socket sits there, without it only the packet
// socket takes the replies.
func TestNetnsRelay(t *testing.T) {
	for _, conf := range []string{
		"server = " + labServer + "\nuse_server_port = yes\nforce_server_address = yes",
		"server = " + labServer,
	} {
		t.Run(strings.ReplaceAll(conf, "\n", ","), func(t *testing.T) {
			l := newLab(t)
			p, logs := l.provider(t, conf)
			sa := peer("carol@strongswan.org")
			vip, ok := p.AcquireAddress(pools, sa, anyV4)
			if !ok || !inRange(vip) {
				t.Fatalf("AcquireAddress = %v, %v", vip, ok)
			}
			logs.waitFor(t, "to "+labServer)
			if strings.Contains(l.out.String(), "broadcast response") {
				t.Errorf("dnsmasq broadcast its replies instead of sending them to the relay")
			}
			p.ReleaseAddress(pools, vip, sa)
			l.waitLease(t, vip, false)
		})
	}
}

// Without an interface the broadcast leaves by the route to
// 255.255.255.255 (here the default route).
func TestNetnsNoInterface(t *testing.T) {
	l := newLab(t)
	run(t, "ip", "-n", l.gw, "route", "add", "default", "via", labServer)
	p, _ := l.provider(t, "")
	sa := peer("carol@strongswan.org")
	vip, ok := p.AcquireAddress(pools, sa, anyV4)
	if !ok || !inRange(vip) {
		t.Fatalf("AcquireAddress = %v, %v", vip, ok)
	}
	p.ReleaseAddress(pools, vip, sa)
	l.waitLease(t, vip, false)
}
