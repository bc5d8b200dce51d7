package fake

import (
	"context"
	"net/netip"
	"testing"

	"github.com/goswan/goswan/internal/kernel"
)

func TestFakeRecordsAndKeeps(t *testing.T) {
	ctx := context.Background()
	a, b := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	k := New(0, a)
	spi, err := k.GetSPI(ctx, b, a, kernel.ProtoESP, 1)
	if err != nil || spi != 0xc0000001 {
		t.Fatalf("spi %08x err %v", spi, err)
	}
	sa := &kernel.SA{SAID: kernel.SAID{Src: b, Dst: a, SPI: spi, Proto: kernel.ProtoESP}, Inbound: true, Mode: kernel.ModeTunnel}
	if err := k.AddSA(ctx, sa); err != nil {
		t.Fatal(err)
	}
	if err := k.AddSA(ctx, sa); err == nil {
		t.Fatal("duplicate SA accepted")
	}
	if len(k.SAs()) != 1 {
		t.Fatalf("SAs: %v", k.SAs())
	}
	if err := k.DelSA(ctx, sa.SAID); err != nil || len(k.SAs()) != 0 {
		t.Fatalf("DelSA: %v, %d left", err, len(k.SAs()))
	}
	if err := k.DelSA(ctx, sa.SAID); err != kernel.ErrNotFound {
		t.Fatalf("second DelSA: %v", err)
	}
	if src, err := k.SourceAddr(ctx, b); err != nil || src != a {
		t.Fatalf("SourceAddr: %v %v", src, err)
	}
	if got := len(k.Calls()); got != 5 {
		t.Fatalf("%d calls recorded: %v", got, k.Calls())
	}
}

// TestPolicyRefcount: a rekeyed CHILD_SA adds the same selectors before the
// old one deletes its own; the new policy must survive.
func TestPolicyRefcount(t *testing.T) {
	ctx := context.Background()
	k := New(0)
	ts := kernel.TS{Start: netip.MustParseAddr("10.1.0.0"), End: netip.MustParseAddr("10.1.255.255"), ToPort: 0xffff}
	old := &kernel.Policy{Src: ts, Dst: ts, Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 1, SPI: 1}
	nu := &kernel.Policy{Src: ts, Dst: ts, Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 1, SPI: 2}
	k.AddPolicy(ctx, old)
	k.AddPolicy(ctx, nu)
	if err := k.DelPolicy(ctx, old); err != nil {
		t.Fatal(err)
	}
	ps := k.Policies()
	if len(ps) != 1 || ps[0].SPI != 2 {
		t.Fatalf("after deleting the old policy: %+v", ps)
	}
	k.DelPolicy(ctx, nu)
	if len(k.Policies()) != 0 {
		t.Fatal("policy left")
	}
	if err := k.DelPolicy(ctx, nu); err != kernel.ErrNotFound {
		t.Fatalf("deleting twice: %v", err)
	}
}
