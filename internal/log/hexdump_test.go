package log

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var addrRE = regexp.MustCompile(`@ 0x[0-9a-f]+`)

func TestHexDump(t *testing.T) {
	seq := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}
	tests := []struct {
		data []byte
		want string
	}{
		{nil, "=> 0 bytes @ (nil)"},
		{[]byte{}, "=> 0 bytes @ ADDR"},
		{[]byte("Hi!\x00\x7f\x80\xff ~"), "=> 9 bytes @ ADDR\n" +
			"   0: 48 69 21 00 7F 80 FF 20 7E                       Hi!.... ~"},
		{seq(16), "=> 16 bytes @ ADDR\n" +
			"   0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................"},
		{[]byte("0123456789abcdefXYZ"), "=> 19 bytes @ ADDR\n" +
			"   0: 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  0123456789abcdef\n" +
			"  16: 58 59 5A                                         XYZ"},
	}
	for _, tt := range tests {
		got := addrRE.ReplaceAllString(string(AppendHexDump(nil, tt.data)), "@ ADDR")
		if got != tt.want {
			t.Errorf("AppendHexDump(%q):\n got %q\nwant %q", tt.data, got, tt.want)
		}
	}
	// offsets beyond 999 are printed with "%4d" too
	big := string(AppendHexDump(nil, seq(10016)))
	if !strings.Contains(big, "\n 992: E0 E1") || !strings.Contains(big, "\n1008: F0 F1") || !strings.Contains(big, "\n10000: 10 11 12 13") {
		t.Errorf("offsets: %q", big[len(big)-200:])
	}
}

func TestHexFormatter(t *testing.T) {
	key := Hex{0x0a, 0x1b, 0xfe}
	if got := fmt.Sprintf("%#B", key); got != "0a:1b:fe" {
		t.Errorf("%%#B: %q", got)
	}
	if got := fmt.Sprintf("%+B", key); got != "0a1bfe" {
		t.Errorf("%%+B: %q", got)
	}
	long := make(Hex, 100)
	if got := fmt.Sprintf("%#B", long); got != strings.Repeat("00:", 99)+"00" {
		t.Errorf("%%#B of 100 bytes: %q", got)
	}
	got := addrRE.ReplaceAllString(fmt.Sprintf("Sk_ei secret %B", key), "@ ADDR")
	if want := "Sk_ei secret => 3 bytes @ ADDR\n   0: 0A 1B FE                                         ..."; got != want {
		t.Errorf("%%B:\n got %q\nwant %q", got, want)
	}

	// through a logger: every line of the dump gets the prefix
	l, out, _ := newTestLogger(t, nil, Options{})
	l.Configure(conf(t, "charon.filelog.stdout.default = 4"))
	l.Log(IKE, Private, rw1, "Sk_ei secret %B", Hex("0123456789abcdefXYZ"))
	got = addrRE.ReplaceAllString(out.String(), "@ ADDR")
	want := "05[IKE] Sk_ei secret => 19 bytes @ ADDR\n" +
		"05[IKE]    0: 30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  0123456789abcdef\n" +
		"05[IKE]   16: 58 59 5A                                         XYZ\n"
	if got != want {
		t.Errorf("logged:\n got %q\nwant %q", got, want)
	}
}
