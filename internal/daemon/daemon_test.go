package daemon

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/fake"
	"github.com/goswan/goswan/internal/log"
)

// loopNet is the hosts' view of the network in this test: one loopback
// address each.
type loopNet struct {
	kernel.Net
	addr netip.Addr
	vips *sync.Map // virtual IPs installed (prefix -> true)
}

func (n loopNet) AddVirtualIP(_ context.Context, ip netip.Prefix, _ string) error {
	n.vips.Store(ip, true)
	return nil
}

func (n loopNet) DelVirtualIP(_ context.Context, ip netip.Prefix) error {
	n.vips.Delete(ip)
	return nil
}

func (n loopNet) virtualIPs() []string {
	var out []string
	n.vips.Range(func(k, _ any) bool { out = append(out, k.(netip.Prefix).String()); return true })
	return out
}

func (n loopNet) Addresses(context.Context) ([]netip.Addr, error) { return []netip.Addr{n.addr}, nil }
func (n loopNet) SourceAddr(context.Context, netip.Addr) (netip.Addr, error) {
	return n.addr, nil
}

type lines struct {
	mu sync.Mutex
	l  []string
}

func (w *lines) Log(level int, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.l = append(w.l, msg)
}

func (w *lines) has(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.l {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeUDPPort(t *testing.T) int {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

type testDaemon struct {
	d      *Daemon
	dir    string
	out    *syncBuf
	cancel context.CancelFunc
	done   chan error
}

// startDaemon runs a daemon at addr on the given ports with a net-net conn
// to the peer.
func startDaemon(t *testing.T, self, peer string, port, natt, peerPort int, selfID, peerID string, spiBase uint32) *testDaemon {
	t.Helper()
	return startDaemonConf(t, self, peer, port, natt, peerPort, selfID, peerID, spiBase, "auto=add")
}

func startDaemonConf(t *testing.T, self, peer string, port, natt, peerPort int, selfID, peerID string, spiBase uint32, auto string) *testDaemon {
	t.Helper()
	dir := t.TempDir()
	conf := fmt.Sprintf(`config setup

conn %%default
	keyexchange=ikev2
	authby=secret
	mobike=no
	keyingtries=1

conn net
	left=%s
	leftid=@%s
	leftsubnet=10.%s.0.0/16
	right=%s
	rightikeport=%d
	rightid=@%s
	rightsubnet=10.%s.0.0/16
	%s
`, self, selfID, self[len(self)-1:], peer, peerPort, peerID, peer[len(peer)-1:], auto)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "ipsec.d", "cacerts"), 0o755)
	os.MkdirAll(filepath.Join(dir, "ipsec.d", "crls"), 0o755)
	write("ipsec.conf", conf)
	write("ipsec.secrets", "@a @b : PSK \"daemon test secret\"\n")
	// the ARP proxy stays off (it would answer on the host's real
	// interfaces) and DNS servers go to a file of the test
	write("strongswan.conf", fmt.Sprintf("charon {\n  port = %d\n  port_nat_t = %d\n  plugins {\n    socket-default {\n      use_ipv6 = no\n    }\n    farp {\n      load = no\n    }\n    resolve {\n      file = %s\n    }\n  }\n}\n",
		port, natt, filepath.Join(dir, "resolv.conf")))
	out := &syncBuf{}
	logger := log.New(log.Options{Foreground: true, Stdout: out, SyslogPath: "/nonexistent"})
	d, err := New(Options{ConfDir: dir, StrongswanConf: filepath.Join(dir, "strongswan.conf"), Logger: logger,
		Kernel: fake.New(spiBase, netip.MustParseAddr(self)), Net: loopNet{addr: netip.MustParseAddr(self), vips: &sync.Map{}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	td := &testDaemon{d: d, dir: dir, out: out, cancel: cancel, done: make(chan error, 1)}
	go func() { td.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-td.done
		if t.Failed() {
			logger.Flush()
			t.Logf("--- log of %s:\n%s", selfID, out.b.String())
		}
	})
	return td
}

func TestDaemonsOverLoopback(t *testing.T) {
	pa, pb := freeUDPPort(t), freeUDPPort(t)
	na, nb := freeUDPPort(t), freeUDPPort(t)
	a := startDaemon(t, "127.0.0.1", "127.0.0.2", pa, na, pb, "a", "b", 0xa0000001)
	b := startDaemon(t, "127.0.0.2", "127.0.0.1", pb, nb, pa, "b", "a", 0xb0000001)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// ipsec up net
	out := &lines{}
	if err := a.d.Initiate(ctx, "net", "net", out); err != nil {
		t.Fatalf("initiate: %v", err)
	}
	for _, want := range []string{"initiating IKE_SA net[1] to 127.0.0.2", "generating IKE_SA_INIT request 0 [ SA KE No",
		"authentication of 'b' with pre-shared key successful", "IKE_SA net[1] established between 127.0.0.1[a]...127.0.0.2[b]",
		"CHILD_SA net{1} established with SPIs"} {
		if !out.has(want) {
			t.Errorf("ipsec up output lacks %q: %q", want, out.l)
		}
	}

	// ipsec statusall
	st, err := a.d.Status(ctx, control.StatusQuery{Daemon: true, Conns: true, SAs: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := control.WriteStatus(&buf, st, control.FormatOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"net:  127.0.0.1...127.0.0.2  IKEv2",
		"net:   local:  [a] uses pre-shared key authentication",
		"net:   child:  10.1.0.0/16 === 10.2.0.0/16 TUNNEL",
		"Security Associations (1 up, 0 connecting):",
		"net[1]: ESTABLISHED", "127.0.0.1[a]...127.0.0.2[b]",
		"net{1}:  INSTALLED, TUNNEL, reqid 1, ESP SPIs: a0000001_i b0000001_o",
		"net{1}:   10.1.0.0/16 === 10.2.0.0/16",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("statusall lacks %q:\n%s", want, text)
		}
	}

	// ipsec down net[1] on b: a learns it too
	bst, _ := b.d.Status(ctx, control.StatusQuery{SAs: true})
	if len(bst.IKESAs) != 1 {
		t.Fatalf("b has %d IKE_SAs", len(bst.IKESAs))
	}
	down := &lines{}
	if err := b.d.TerminateIKE(ctx, bst.IKESAs[0].UniqueID, down); err != nil {
		t.Fatal(err)
	}
	if !down.has("deleting IKE_SA net[1] between 127.0.0.2[b]...127.0.0.1[a]") {
		t.Errorf("down output: %q", down.l)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.d.mgr.Count() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.d.mgr.Count() != 0 {
		t.Fatal("a kept the deleted IKE_SA")
	}
	if err := b.d.TerminateIKE(ctx, 99, down); !errors.Is(err, control.ErrNotFound) || !down.has("unable to terminate IKE_SA: ID 99 not found") {
		t.Fatalf("terminating an unknown SA: %v", err)
	}

	// ipsec reload picks up a new conn
	conf, _ := os.ReadFile(filepath.Join(a.dir, "ipsec.conf"))
	os.WriteFile(filepath.Join(a.dir, "ipsec.conf"), append(conf, []byte("\nconn other\n\tleft=127.0.0.1\n\tright=127.0.0.9\n\tauto=add\n")...), 0o600)
	if err := a.d.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.d.Status(ctx, control.StatusQuery{Conns: true}); len(st.Conns) != 2 {
		t.Fatalf("after reload: %d conns", len(st.Conns))
	}
	// a wrong secret after rereadsecrets makes the next attempt fail
	os.WriteFile(filepath.Join(a.dir, "ipsec.secrets"), []byte("@a @b : PSK \"changed\"\n"), 0o600)
	if err := a.d.RereadSecrets(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.d.Initiate(ctx, "net", "net", &lines{}); err == nil {
		t.Fatal("established with a changed secret")
	}
	if l, err := a.d.Leases(ctx, "", ""); err != nil || len(l.Pools) != 0 {
		t.Fatalf("leases without pools: %+v, %v", l, err)
	}
}

func TestListCertsUsesNow(t *testing.T) {
	pa, na := freeUDPPort(t), freeUDPPort(t)
	a := startDaemon(t, "127.0.0.1", "127.0.0.2", pa, na, pa+1, "a", "b", 0xa0000001)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(a.dir, "ipsec.d", "cacerts", "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	if err := a.d.RereadAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := a.d.List(context.Background(), control.ListOptions{All: true}, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `subject:  "CN=Test CA"`) || !strings.Contains(buf.String(), "ok (expires in") {
		t.Fatalf("CA missing or its validity judged wrongly:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "not valid yet") {
		t.Fatalf("validity judged at the zero time:\n%s", buf.String())
	}
}

func TestRouteAtStartAndAcquire(t *testing.T) {
	pa, pb := freeUDPPort(t), freeUDPPort(t)
	na, nb := freeUDPPort(t), freeUDPPort(t)
	b := startDaemon(t, "127.0.0.2", "127.0.0.1", pb, nb, pa, "b", "a", 0xb0000001)
	a := startDaemonConf(t, "127.0.0.1", "127.0.0.2", pa, na, pb, "a", "b", 0xa0000001, "auto=route")
	_ = b
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	var st *control.Status
	for time.Now().Before(deadline) {
		st, _ = a.d.Status(ctx, control.StatusQuery{SAs: true})
		if len(st.Routed) == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(st.Routed) != 1 {
		t.Fatalf("auto=route conn not routed: %+v", st.Routed)
	}
	var traps int
	for _, p := range a.d.kernel.(*fake.Kernel).Policies() {
		if p.Trap {
			traps++
		}
	}
	if traps == 0 {
		t.Fatal("no trap policy installed")
	}
	// traffic hits the trap: the kernel raises an acquire
	a.d.kernel.(*fake.Kernel).Inject(kernel.Acquire{ReqID: st.Routed[0].ReqID})
	for time.Now().Before(deadline.Add(10 * time.Second)) {
		st, _ = a.d.Status(ctx, control.StatusQuery{SAs: true})
		if len(st.IKESAs) == 1 && len(st.IKESAs[0].Children) == 1 && st.IKESAs[0].Children[0].State == control.ChildInstalled {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("acquire did not establish the conn: %+v", st.IKESAs)
}
