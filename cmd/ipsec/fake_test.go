package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
)

// The test binary doubles as a fake charon (for `ipsec start`) and as the
// ipsec command itself (for --nofork and pipe tests), selected by
// environment variables.
const (
	envFakeCharon = "GOSWAN_TEST_FAKE_CHARON" // "serve", "fail", "hang", "stubborn"
	envAsIPsec    = "GOSWAN_TEST_AS_IPSEC"
)

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(envAsIPsec) != "":
		os.Unsetenv(envAsIPsec) // the charon it starts is the fake one
		os.Args = append([]string{"ipsec"}, os.Args[1:]...)
		main()
		os.Exit(0)
	case os.Getenv(envFakeCharon) != "":
		os.Exit(fakeCharon(os.Getenv(envFakeCharon)))
	}
	os.Exit(m.Run())
}

// fakeCharon is a daemon built from the real service plumbing and a fake
// backend.
func fakeCharon(mode string) int {
	switch mode {
	case "fail":
		fmt.Fprintln(os.Stderr, "charon: bad things happened")
		return 3
	case "hang":
		fmt.Println("hanging around")
		time.Sleep(time.Hour)
		return 0
	}
	svc, err := service.Start(service.DefaultConfig(nil))
	if err != nil {
		fmt.Fprintln(os.Stderr, "charon:", err)
		return 1
	}
	defer svc.Close()
	b := newBackend()
	// stubborn: its shutdown never finishes, `ipsec stop` must kill it.
	b.stubborn = mode == "stubborn"
	if err := svc.Serve(context.Background(), b); err != nil {
		fmt.Fprintln(os.Stderr, "charon:", err)
		return 1
	}
	return 0
}

// backend is a fake daemon core.
type backend struct {
	mu        sync.Mutex
	stubborn  bool
	upFails   bool
	reloadErr error
	canceled  chan struct{}
	blockUp   bool
}

func newBackend() *backend { return &backend{canceled: make(chan struct{}, 1)} }

var testNow = time.Date(2026, 11, 27, 14, 56, 42, 0, time.UTC)

func (b *backend) Initiate(ctx context.Context, conn, child string, out control.LogWriter) error {
	b.mu.Lock()
	fails, block := b.upFails, b.blockUp
	b.mu.Unlock()
	out.Log(1, "initiating IKE_SA "+conn+"[1] to 192.168.0.1")
	if block {
		<-ctx.Done()
		b.canceled <- struct{}{}
		return ctx.Err()
	}
	if fails {
		out.Log(1, "establishing IKE_SA failed, peer not responding")
		return errors.New("peer not responding")
	}
	out.Log(1, "IKE_SA "+conn+"[1] established between 192.168.0.100[carol@strongswan.org]...192.168.0.1[moon.strongswan.org]")
	return nil
}

func (b *backend) TerminateIKE(ctx context.Context, id uint32, out control.LogWriter) error {
	out.Log(1, fmt.Sprintf("deleting IKE_SA home[%d] between 192.168.0.100[carol@strongswan.org]...192.168.0.1[moon.strongswan.org]", id))
	out.Log(1, "IKE_SA deleted")
	return nil
}

func (b *backend) TerminateChild(ctx context.Context, id uint32, out control.LogWriter) error {
	out.Log(1, "CHILD_SA closed")
	return nil
}

func (b *backend) Status(ctx context.Context, q control.StatusQuery) (*control.Status, error) {
	return &control.Status{
		Now: testNow,
		Daemon: control.DaemonInfo{
			Software: "goswan test, strongSwan 5.9.8 compatible", Sysname: "Linux", Release: "6.1.0", Machine: "x86_64",
			Started: testNow.Add(-5 * time.Second),
			Workers: control.Workers{Idle: 7, Total: 16, Working: [4]int{5, 0, 4, 0}},
			Plugins: []string{"charon", "stroke"},
		},
		Addresses: []netip.Addr{netip.MustParseAddr("192.168.0.100")},
		Conns: []control.Conn{{
			Name: "home", Local: "192.168.0.100", Remote: "192.168.0.1", Version: 2,
			LocalAuth:  []control.Auth{{ID: "carol@strongswan.org", Class: control.AuthPubkey}},
			RemoteAuth: []control.Auth{{ID: "moon.strongswan.org", Class: control.AuthPubkey}},
			Children: []control.ChildConfig{{Name: "home", Mode: control.ModeTunnel,
				LocalTS: []control.TrafficSelector{control.DynamicTS(false)}, RemoteTS: []control.TrafficSelector{control.SubnetTS(netip.MustParsePrefix("10.1.0.0/16"))}}},
		}, {Name: "other", Local: "%any", Remote: "%any", Version: 2, Children: []control.ChildConfig{{Name: "other", Mode: control.ModeTunnel}}}},
		Up: 1,
		IKESAs: []control.IKESA{{
			Name: "home", UniqueID: 1, Version: 2, State: control.IKEEstablished, Established: testNow.Add(-2 * time.Second),
			LocalHost: netip.MustParseAddr("192.168.0.100"), RemoteHost: netip.MustParseAddr("192.168.0.1"),
			LocalID: "carol@strongswan.org", RemoteID: "moon.strongswan.org",
			InitiatorSPI: 0xc4494659bd477a80, ResponderSPI: 0xd42f1a7cf7134819, Initiator: true,
			Reauth: testNow.Add(53 * time.Minute), AuthClasses: []string{control.AuthPubkey},
			Proposal: "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
			Children: []control.ChildSA{{
				Name: "home", UniqueID: 1, State: control.ChildInstalled, Mode: control.ModeTunnel, ReqID: 1,
				Protocol: "ESP", Encap: true, SPIIn: 0x43063ab5, SPIOut: 0x5cf74d40,
				Algorithms: control.ChildAlgorithms{Encryption: "AES_CBC", EncryptionKeyLen: 128, Integrity: "HMAC_SHA2_256_128"},
				BytesIn:    84, PacketsIn: 1, LastIn: testNow.Add(-8 * time.Second),
				BytesOut: 84, PacketsOut: 1, LastOut: testNow.Add(-8 * time.Second),
				Rekey:    testNow.Add(15*time.Minute + 30*time.Second),
				LocalTS:  []control.TrafficSelector{control.SubnetTS(netip.MustParsePrefix("10.3.0.1/32"))},
				RemoteTS: []control.TrafficSelector{control.SubnetTS(netip.MustParsePrefix("10.1.0.0/16"))},
			}},
		}},
	}, nil
}

func (b *backend) Reload(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reloadErr
}
func (b *backend) RereadSecrets(context.Context) error { return nil }
func (b *backend) RereadAll(context.Context) error {
	return fmt.Errorf("rereading CRLs: %w", control.ErrUnsupported)
}
func (b *backend) List(_ context.Context, opt control.ListOptions, w io.Writer) error {
	if opt.Certs {
		io.WriteString(w, "\nList of X.509 End Entity Certificates\n\n  subject:  \"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org\"\n")
	}
	if opt.CACerts {
		io.WriteString(w, "\nList of X.509 CA Certificates\n\n")
	}
	if opt.CRLs {
		io.WriteString(w, "\nList of X.509 CRLs\n\n")
	}
	if opt.UTC {
		io.WriteString(w, "(utc)\n")
	}
	return nil
}
func (b *backend) Leases(context.Context, string, string) (*control.Leases, error) {
	return nil, control.ErrUnsupported
}
func (b *backend) Shutdown(context.Context) error {
	if b.stubborn {
		time.Sleep(time.Hour) // the process must be killed
	}
	return nil
}
