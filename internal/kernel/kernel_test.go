package kernel

import (
	"net/netip"
	"testing"
)

func TestTSPrefix(t *testing.T) {
	for _, tc := range []struct {
		start, end string
		want       string
	}{
		{"10.1.0.0", "10.1.255.255", "10.1.0.0/16"},
		{"192.168.0.100", "192.168.0.100", "192.168.0.100/32"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"10.1.0.1", "10.1.0.2", ""},
		{"fec1::", "fec1::ffff:ffff:ffff:ffff", "fec1::/64"},
	} {
		ts := TS{Start: netip.MustParseAddr(tc.start), End: netip.MustParseAddr(tc.end)}
		p, ok := ts.Prefix()
		if got := ""; ok {
			got = p.String()
			if got != tc.want {
				t.Errorf("%s-%s: %s, want %q", tc.start, tc.end, got, tc.want)
			}
		} else if tc.want != "" {
			t.Errorf("%s-%s: no prefix, want %s", tc.start, tc.end, tc.want)
		}
	}
}

func TestTSString(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		ts   TS
		want string
	}{
		{TS{Start: a("10.1.0.0"), End: a("10.1.255.255"), ToPort: 0xffff}, "10.1.0.0/16"},
		{TS{Start: a("10.1.0.5"), End: a("10.1.0.9"), ToPort: 0xffff}, "10.1.0.5..10.1.0.9"},
		{TS{Proto: 6, Start: a("192.168.0.100"), End: a("192.168.0.100"), FromPort: 80, ToPort: 80}, "192.168.0.100/32[tcp/http]"},
		{TS{Proto: 17, Start: a("0.0.0.0"), End: a("255.255.255.255"), FromPort: 53, ToPort: 53}, "0.0.0.0/0[udp/domain]"},
		{TS{Proto: 6, Start: a("10.2.0.0"), End: a("10.2.255.255"), FromPort: 1000, ToPort: 2000}, "10.2.0.0/16[tcp/1000-2000]"},
		{TS{Proto: 1, Start: a("10.2.0.0"), End: a("10.2.255.255"), FromPort: 0x0800, ToPort: 0x0800}, "10.2.0.0/16[icmp/8]"},
		{TS{Proto: 6, Start: a("10.2.0.0"), End: a("10.2.255.255"), ToPort: 0xffff}, "10.2.0.0/16[tcp]"},
	} {
		if got := tc.ts.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.ts, got, tc.want)
		}
	}
}
