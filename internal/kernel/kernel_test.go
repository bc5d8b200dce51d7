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
