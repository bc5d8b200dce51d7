package sa

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/fake"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// The handshake and memory benchmarks run both ends in one process over
// the in-memory network of the tests (no sockets, the fake kernel), as
// strongSwan's load-tester figures are made: the roadwarrior carol
// initiates IKE_SAs to the gateway moon, each a full IKE_SA_INIT +
// IKE_AUTH with one CHILD_SA, with a window of initiations in flight. The
// hosts log at charon's default level 1 (to nowhere) and draw randomness
// from crypto/rand. `go test -bench Handshake -cpu 1,2` gives the rate on
// one and two cores.

// benchKinds are the authentication set-ups measured: key exchange X25519
// for all, so that they differ in authentication only.
var benchKinds = []struct {
	name, keyType string
	psk           bool
}{
	{name: "psk-x25519", psk: true},
	{name: "ecdsa-p256-x25519", keyType: "ecdsa"},
	{name: "rsa-2048-x25519", keyType: "rsa"},
	{name: "ed25519-x25519", keyType: "ed25519"},
}

const benchMoon = `config setup
	uniqueids=no

conn rw
	keyexchange=ikev2
	ike=aes128gcm16-prfsha256-x25519!
	esp=aes128gcm16!
	left=192.168.0.1
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=%any
	AUTH
	auto=add
`

const benchCarol = `conn home
	keyexchange=ikev2
	ike=aes128gcm16-prfsha256-x25519!
	esp=aes128gcm16!
	left=192.168.0.100
	leftid=carol@strongswan.org
	right=192.168.0.1
	rightid=@moon.strongswan.org
	rightsubnet=10.1.0.0/16
	AUTH
	auto=add
`

// benchEnv is a gateway and a roadwarrior set up for kind.
func benchEnv(b *testing.B, keyType string, psk bool, ipsec func(*fake.Kernel) kernel.IPsec) (e *testEnv, moon, carol *host) {
	e = newTestEnv(b)
	e.ipsec = ipsec
	e.bench = true
	e.net.noRecord = true
	e.keyTypes = map[string]string{"moon": keyType, "carol": keyType}
	e.settings = func(s *Settings) {
		// every initiation comes from one address: no per-IP half-open
		// limits, as for a load test
		s.CookieThreshold, s.CookieThresholdIP, s.BlockThreshold = 1<<30, 1<<30, 1<<30
		// one IKE_SA per initiation
		s.ReuseIKESA = false
	}
	moonAuth, carolAuth := "leftcert=moonCert.pem", "leftcert=carolCert.pem"
	moonSec, carolSec := keySecretType("moon", keyType), keySecretType("carol", keyType)
	if psk {
		moonAuth, carolAuth = "authby=secret", "authby=secret"
		moonSec = "@moon.strongswan.org carol@strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n"
		carolSec = moonSec
	}
	moon = e.addHost("moon", "192.168.0.1", strings.Replace(benchMoon, "AUTH", moonAuth, 1), moonSec, 1)
	carol = e.addHost("carol", "192.168.0.100", strings.Replace(benchCarol, "AUTH", carolAuth, 1), carolSec, 3)
	// the first IKE_SA carries INITIAL_CONTACT, which makes moon drop
	// every other IKE_SA with carol that completes meanwhile: set it up
	// alone, the others then omit the notify (as charon's would)
	if err := carol.up("home"); err != nil {
		b.Fatal(err)
	}
	e.settle()
	return e, moon, carol
}

// establish has carol set up n IKE_SAs with window initiations in
// flight, and fails on the first error.
func establish(b *testing.B, carol *host, n, window int) {
	sem := make(chan struct{}, window)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range n {
		sem <- struct{}{}
		wg.Add(1)
		err := carol.mgr.Initiate("home", nil, func(err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
			<-sem
			wg.Done()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// benchWindow is the number of initiations in flight: enough to keep
// every core busy while each end waits for the other.
func benchWindow() int { return 8 * runtime.GOMAXPROCS(0) }

func BenchmarkHandshake(b *testing.B) {
	for _, k := range benchKinds {
		b.Run(k.name, func(b *testing.B) {
			e, moon, carol := benchEnv(b, k.keyType, k.psk, nil)
			b.ResetTimer()
			establish(b, carol, b.N, benchWindow())
			b.StopTimer()
			e.settle()
			if got := moon.mgr.Count(); got != b.N+1 {
				b.Fatalf("moon has %d IKE_SAs, want %d", got, b.N+1)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tunnels/s")
		})
	}
}

// BenchmarkSAMemory sets up N tunnels (PSK, X25519) and reports the heap
// and goroutine stack bytes per established IKE_SA with its CHILD_SA (each
// tunnel is one on each end, so the growth is divided by 2N). The kernel
// keeps no SAs or policies (a real kernel holds them outside the daemon);
// the network keeps no packets.
func BenchmarkSAMemory(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for range b.N {
				heap, stack := saMemory(b, n)
				b.ReportMetric(heap, "heap-B/SA")
				b.ReportMetric(stack, "stack-B/SA")
				b.ReportMetric(heap+stack, "B/SA")
			}
		})
	}
}

// stateless is a kernel.IPsec that keeps no SAs or policies: what a real
// kernel holds is not the daemon's memory.
type stateless struct {
	*fake.Kernel
	spi atomic.Uint32
}

func (k *stateless) GetSPI(context.Context, netip.Addr, netip.Addr, uint8, uint32) (uint32, error) {
	return 0xc0000000 | k.spi.Add(1), nil
}
func (k *stateless) AddSA(context.Context, *kernel.SA) error         { return nil }
func (k *stateless) DelSA(context.Context, kernel.SAID) error        { return nil }
func (k *stateless) AddPolicy(context.Context, *kernel.Policy) error { return nil }
func (k *stateless) DelPolicy(context.Context, *kernel.Policy) error { return nil }

func saMemory(b *testing.B, n int) (heap, stack float64) {
	e, moon, carol := benchEnv(b, "", true, func(k *fake.Kernel) kernel.IPsec { return &stateless{Kernel: k} })
	settled := func() runtime.MemStats {
		e.settle()
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms
	}
	before := settled()
	establish(b, carol, n, benchWindow())
	after := settled()
	if got := moon.mgr.Count() + carol.mgr.Count(); got != 2*(n+1) {
		b.Fatalf("%d IKE_SAs, want %d", got, 2*(n+1))
	}
	per := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(2*n) }
	runtime.KeepAlive(moon)
	runtime.KeepAlive(carol)
	return per(after.HeapAlloc, before.HeapAlloc), per(after.StackInuse, before.StackInuse)
}
