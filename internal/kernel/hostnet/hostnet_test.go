package hostnet

import (
	"context"
	"net/netip"
	"testing"
)

func TestLoopbackSource(t *testing.T) {
	a, err := Net{}.SourceAddr(context.Background(), netip.MustParseAddr("127.0.0.1"))
	if err != nil || a != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("source for 127.0.0.1: %v %v", a, err)
	}
	addrs, err := Net{}.Addresses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.IsLoopback() || a.IsLinkLocalUnicast() {
			t.Fatalf("listed %v", a)
		}
	}
}
