package xfrm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/kernel"
)

var ctx = context.Background()

// golden returns the messages of testdata/golden.txt (built by
// testdata/golden.c from the kernel's uapi structures).
func golden(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		name, h, ok := strings.Cut(s.Text(), " ")
		if !ok {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b
	}
	return out
}

// The golden messages are what testdata/golden.c prints (checked when a C
// compiler is around).
func TestGoldenGenerator(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	bin := filepath.Join(t.TempDir(), "golden")
	if out, err := exec.Command(cc, "-Wall", "-Werror", "-o", bin, "testdata/golden.c").CombinedOutput(); err != nil {
		t.Skipf("cannot build the generator (no kernel headers?): %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("testdata/golden.txt is not what golden.c prints; regenerate it")
	}
}

// call is one request sent through a recorder.
type call struct {
	typ, flags uint16
	data       []byte
}

// recorder is a transport that records requests and answers them from a
// script (nil: acknowledge).
type recorder struct {
	mu     sync.Mutex
	calls  []call
	answer func(c call) ([]nlMsg, error)
}

func (r *recorder) do(typ, flags uint16, data []byte) ([]nlMsg, error) {
	c := call{typ, flags, append([]byte(nil), data...)}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	answer := r.answer
	r.mu.Unlock()
	if answer == nil {
		return nil, nil
	}
	return answer(c)
}

func (r *recorder) close() error { return nil }

func (r *recorder) take() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

func newRecorded(o Options) (*IPsec, *recorder) {
	r := &recorder{}
	x := newIPsec(o, r, func(name string) (int, error) {
		if name == "eth1" {
			return 3, nil
		}
		return 0, fmt.Errorf("no interface %s", name)
	})
	return x, r
}

// diff explains how two XFRM messages with a fixed part of size n differ.
func diff(got, want []byte, n int) string {
	var b strings.Builder
	if len(got) < n || len(want) < n {
		return fmt.Sprintf("lengths %d, %d\n got %x\nwant %x", len(got), len(want), got, want)
	}
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			fmt.Fprintf(&b, "fixed part differs at offset %d: got % x, want % x\n", i,
				got[i:min(i+8, n)], want[i:min(i+8, n)])
			break
		}
	}
	ga, _ := parseAttrs(got[n:])
	wa, _ := parseAttrs(want[n:])
	for i := 0; i < max(len(ga), len(wa)); i++ {
		var g, w string
		if i < len(ga) {
			g = fmt.Sprintf("type %d %x", ga[i].typ, ga[i].data)
		}
		if i < len(wa) {
			w = fmt.Sprintf("type %d %x", wa[i].typ, wa[i].data)
		}
		if g != w {
			fmt.Fprintf(&b, "attribute %d:\n got %s\nwant %s\n", i, g, w)
		}
	}
	return b.String()
}

func seq(n int, base byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = base + byte(i)
	}
	return b
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func ts(cidr string) kernel.TS {
	p := netip.MustParsePrefix(cidr)
	return kernel.TS{Start: p.Masked().Addr(), End: lastAddr(p.Masked()), ToPort: 0xffff}
}

func withPorts(t kernel.TS, proto uint8, from, to uint16) kernel.TS {
	t.Proto, t.FromPort, t.ToPort = proto, from, to
	return t
}

func encr(id uint16, n int) kernel.Algorithm { return kernel.Algorithm{ID: id, Key: seq(n, 0)} }
func integ(id uint16, n int) kernel.Algorithm {
	return kernel.Algorithm{ID: id, Key: seq(n, 0x80)}
}

func saOut(spi, reqid uint32) kernel.SA {
	return kernel.SA{SAID: kernel.SAID{Src: ip("192.168.0.1"), Dst: ip("192.168.0.2"), SPI: spi, Proto: kernel.ProtoESP},
		ReqID: reqid, Mode: kernel.ModeTunnel, ReplayWindow: 32}
}

func saIn(spi, reqid uint32) kernel.SA {
	sa := saOut(spi, reqid)
	sa.Src, sa.Dst, sa.Inbound = ip("192.168.0.2"), ip("192.168.0.1"), true
	return sa
}

func TestAddSAGolden(t *testing.T) {
	g := golden(t)
	type tc struct {
		name string
		sa   kernel.SA
	}
	var cases []tc
	add := func(name string, f func(sa *kernel.SA), base kernel.SA) {
		f(&base)
		cases = append(cases, tc{name, base})
	}
	add("sa_out_aescbc_sha256", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encrAESCBC, 16), integ(authHMACSHA256128, 32)
		sa.Lifetime = kernel.Lifetime{SoftTime: 3000 * time.Second, HardTime: time.Hour}
	}, saOut(0xc1234567, 1))
	add("sa_in_gcm16_encap_esn_mark_ifid", func(sa *kernel.SA) {
		sa.Encr = encr(encrAESGCM16, 36)
		sa.Encap, sa.SrcPort, sa.DstPort = true, 4500, 4500
		sa.ESN, sa.ReplayWindow = true, 64
		sa.Mark, sa.IfID = kernel.Mark{Value: 42, Mask: 0xffffffff}, 7
		sa.Lifetime = kernel.Lifetime{SoftBytes: 1000000, HardBytes: 2000000, SoftPackets: 1000, HardPackets: 2000,
			HardTime: time.Hour}
	}, saIn(0xc2000001, 2))
	add("sa_transport_v6_chacha", func(sa *kernel.SA) {
		sa.Src, sa.Dst = ip("fec0::1"), ip("fec0::2")
		sa.Mode = kernel.ModeTransport
		sa.Encr = encr(encrChaCha20Poly1305, 36)
		sa.Local = []kernel.TS{withPorts(ts("fec0::1/128"), 6, 80, 80)}
		sa.Remote = []kernel.TS{ts("fec0::2/128"), ts("fec0::/16")}
	}, saOut(0xc3000003, 3))
	add("sa_in_3des_sha1", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encr3DES, 24), integ(authHMACSHA196, 20)
	}, saIn(0xc4000004, 4))
	add("sa_in_null_xcbc_window128", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = kernel.Algorithm{ID: encrNull}, integ(authAESXCBC96, 16)
		sa.ReplayWindow = 128
	}, saIn(0xc5000005, 5))
	add("sa_out_gcm8_esn", func(sa *kernel.SA) {
		sa.Encr, sa.ESN = encr(encrAESGCM8, 20), true
	}, saOut(0xc6000006, 6))
	add("sa_out_ccm12", func(sa *kernel.SA) { sa.Encr = encr(encrAESCCM12, 19) }, saOut(0xc7000007, 7))
	add("sa_out_ctr_sha512", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encrAESCTR, 20), integ(authHMACSHA512256, 64)
	}, saOut(0xc7000008, 7))
	add("sa_out_aes256_sha384", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encrAESCBC, 32), integ(authHMACSHA384192, 48)
	}, saOut(0xc7000009, 7))
	add("sa_out_camellia_cmac", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encrCamelliaCBC, 16), integ(authAESCMAC96, 16)
	}, saOut(0xc700000a, 7))
	add("sa_out_aes_md5", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encrAESCBC, 16), integ(authHMACMD596, 16)
	}, saOut(0xc700000b, 7))
	add("sa_out_aes_sha256_96", func(sa *kernel.SA) {
		sa.Encr, sa.Integ = encr(encrAESCBC, 16), integ(authHMACSHA25696, 32)
	}, saOut(0xc700000c, 7))
	add("sa_out_beet", func(sa *kernel.SA) {
		sa.Mode = kernel.ModeBEET
		sa.Encr = encr(encrAESGCM16, 20)
		sa.Local = []kernel.TS{ts("10.3.0.1/32")}
		sa.Remote = []kernel.TS{ts("10.2.0.0/16")}
	}, saOut(0xc700000d, 7))

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, ok := g[c.name]
			if !ok {
				t.Fatalf("no golden message %s", c.name)
			}
			x, rec := newRecorded(Options{})
			sa := c.sa
			if err := x.AddSA(ctx, &sa); err != nil {
				t.Fatal(err)
			}
			calls := rec.take()
			if len(calls) != 1 {
				t.Fatalf("%d requests", len(calls))
			}
			wantType := uint16(msgNewSA)
			if sa.Inbound {
				wantType = msgUpdSA
			}
			if calls[0].typ != wantType {
				t.Errorf("message type %#x, want %#x", calls[0].typ, wantType)
			}
			if !bytes.Equal(calls[0].data, want) {
				t.Errorf("message differs:\n%s", diff(calls[0].data, want, sizeofUsersaInfo))
			}
		})
	}
}

// Every algorithm of the tables encodes, with the kernel's name, key
// length and ICV or truncation length.
func TestAlgorithms(t *testing.T) {
	for id, a := range encrAlgs {
		b, err := appendEncr(nil, encr(id, 20))
		if err != nil {
			t.Fatal(err)
		}
		attrs, _ := parseAttrs(b)
		if len(attrs) != 1 || algoName(attrs[0].data) != a.kernel || ne.Uint32(attrs[0].data[64:]) != 160 {
			t.Errorf("%s: %x", a.name, b)
		}
		if a.icv != 0 && (attrs[0].typ != attrAlgAEAD || ne.Uint32(attrs[0].data[68:]) != a.icv) {
			t.Errorf("%s: not an AEAD with ICV %d", a.name, a.icv)
		}
		if a.icv == 0 && attrs[0].typ != attrAlgCrypt {
			t.Errorf("%s: attribute %d", a.name, attrs[0].typ)
		}
	}
	for id, a := range integAlgs {
		b, err := appendInteg(nil, integ(id, 32))
		if err != nil {
			t.Fatal(err)
		}
		attrs, _ := parseAttrs(b)
		if len(attrs) != 1 || attrs[0].typ != attrAlgAuthTrunc || algoName(attrs[0].data) != a.kernel ||
			ne.Uint32(attrs[0].data[64:]) != 256 || ne.Uint32(attrs[0].data[68:]) != a.trunc {
			t.Errorf("%s: %x", a.name, b)
		}
	}
	x, _ := newRecorded(Options{})
	sa := saOut(1, 1)
	sa.Encr = kernel.Algorithm{ID: 1029} // AES_ECB: not for ESP
	if err := x.AddSA(ctx, &sa); err == nil || !strings.Contains(err.Error(), "not supported by kernel") {
		t.Errorf("unknown algorithm: %v", err)
	}
}

// An inbound SA whose larval state expired is added instead.
func TestAddSAFallsBackToNewSA(t *testing.T) {
	x, rec := newRecorded(Options{})
	rec.answer = func(c call) ([]nlMsg, error) {
		if c.typ == msgUpdSA {
			return nil, &kernelError{errno: syscall.ESRCH}
		}
		return nil, nil
	}
	sa := saIn(0xc2000001, 2)
	sa.Encr = encr(encrAESGCM16, 20)
	if err := x.AddSA(ctx, &sa); err != nil {
		t.Fatal(err)
	}
	calls := rec.take()
	if len(calls) != 2 || calls[0].typ != msgUpdSA || calls[1].typ != msgNewSA || !bytes.Equal(calls[0].data, calls[1].data) {
		t.Errorf("requests %+v", calls)
	}
	rec.answer = func(call) ([]nlMsg, error) {
		return nil, &kernelError{errno: syscall.EPROTONOSUPPORT, msg: "Requested type not found"}
	}
	err := x.AddSA(ctx, &sa)
	if !errors.Is(err, syscall.EPROTONOSUPPORT) || !strings.Contains(err.Error(), "unable to add SAD entry with SPI c2000001") {
		t.Errorf("error %v", err)
	}
}

func TestGetSPIGolden(t *testing.T) {
	g := golden(t)
	for _, tc := range []struct {
		name     string
		src, dst netip.Addr
	}{
		{"allocspi_v4", ip("192.168.0.2"), ip("192.168.0.1")},
		{"allocspi_v6", ip("fec0::2"), ip("fec0::1")},
	} {
		x, rec := newRecorded(Options{})
		rec.answer = func(c call) ([]nlMsg, error) {
			// the kernel answers with the larval state
			reply := make([]byte, sizeofUsersaInfo)
			copy(reply, c.data[:sizeofUsersaInfo])
			be.PutUint32(reply[72:], 0xc0ffee01)
			return []nlMsg{{typ: msgNewSA, data: reply}}, nil
		}
		spi, err := x.GetSPI(ctx, tc.src, tc.dst, kernel.ProtoESP, 1)
		if err != nil || spi != 0xc0ffee01 {
			t.Errorf("%s: GetSPI = %08x, %v", tc.name, spi, err)
		}
		calls := rec.take()
		if len(calls) != 1 || calls[0].typ != msgAllocSPI || !bytes.Equal(calls[0].data, g[tc.name]) {
			t.Errorf("%s: request differs:\n%s", tc.name, diff(calls[0].data, g[tc.name], sizeofUserSPIInfo))
		}
	}
	x, rec := newRecorded(Options{SPIMin: 0x1000, SPIMax: 0x100})
	rec.answer = func(call) ([]nlMsg, error) { return nil, &kernelError{errno: syscall.ENOENT} }
	if _, err := x.GetSPI(ctx, ip("192.168.0.2"), ip("192.168.0.1"), 0, 1); err == nil {
		t.Errorf("GetSPI succeeded without an answer")
	}
	if c := rec.take(); ne.Uint32(c[0].data[224:]) != 0x100 || ne.Uint32(c[0].data[228:]) != 0x1000 {
		t.Errorf("range not ordered: %x", c[0].data[224:])
	}
}

func TestSAIDGolden(t *testing.T) {
	g := golden(t)
	x, rec := newRecorded(Options{})
	rec.answer = func(c call) ([]nlMsg, error) {
		if c.typ == msgGetSA {
			return []nlMsg{{typ: msgNewSA, data: bytes.Clone(g["update_getsa_reply"])}}, nil
		}
		return nil, nil
	}
	id := kernel.SAID{Src: ip("192.168.0.2"), Dst: ip("192.168.0.1"), SPI: 0xc2000001, Proto: kernel.ProtoESP,
		Mark: kernel.Mark{Value: 42, Mask: 0xffffffff}}
	u, err := x.QuerySA(ctx, id)
	if err != nil || u.Bytes != 1234 || u.Packets != 12 || !u.LastUse.IsZero() {
		t.Errorf("QuerySA = %+v, %v", u, err)
	}
	if c := rec.take(); len(c) != 1 || c[0].typ != msgGetSA || !bytes.Equal(c[0].data, g["getsa_mark"]) {
		t.Errorf("GETSA request differs: %x", c[0].data)
	}
	if err := x.DelSA(ctx, kernel.SAID{Src: ip("fec0::1"), Dst: ip("fec0::2"), SPI: 0xc3000003}); err != nil {
		t.Fatal(err)
	}
	if c := rec.take(); len(c) != 1 || c[0].typ != msgDelSA || !bytes.Equal(c[0].data, g["delsa_v6"]) {
		t.Errorf("DELSA request differs: %x", c[0].data)
	}
	rec.answer = func(call) ([]nlMsg, error) { return nil, &kernelError{errno: syscall.ESRCH} }
	if err := x.DelSA(ctx, id); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("DelSA of a missing SA: %v", err)
	}
	if _, err := x.QuerySA(ctx, id); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("QuerySA of a missing SA: %v", err)
	}
}

func tunnelPolicy(dir kernel.Direction, spi uint32) kernel.Policy {
	p := kernel.Policy{Dir: dir, Type: kernel.PolicyIPsec, ReqID: 1, Mode: kernel.ModeTunnel, Proto: kernel.ProtoESP}
	if dir == kernel.DirOut {
		p.Src, p.Dst = ts("10.1.0.0/16"), ts("10.2.0.0/16")
		p.SrcAddr, p.DstAddr = ip("192.168.0.1"), ip("192.168.0.2")
	} else {
		p.Src, p.Dst = ts("10.2.0.0/16"), ts("10.1.0.0/16")
		p.SrcAddr, p.DstAddr = ip("192.168.0.2"), ip("192.168.0.1")
	}
	p.SPI = spi
	return p
}

func TestPolicyGolden(t *testing.T) {
	g := golden(t)
	mark := kernel.Mark{Value: 42, Mask: 0xffffffff}
	for _, tc := range []struct {
		name string
		p    kernel.Policy
	}{
		{"policy_out_tunnel", tunnelPolicy(kernel.DirOut, 0xc1234567)},
		{"policy_in_tunnel", tunnelPolicy(kernel.DirIn, 0xc2000001)}, // no SPI in inbound templates
		{"policy_fwd_mark_ifid", func() kernel.Policy {
			p := tunnelPolicy(kernel.DirFwd, 0xc2000001)
			p.Mark, p.IfID = mark, 7
			return p
		}()},
		{"policy_out_trap", func() kernel.Policy {
			p := tunnelPolicy(kernel.DirOut, 0)
			p.Trap = true
			return p
		}()},
		{"policy_pass_icmp", kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyPass,
			Src: withPorts(ts("0.0.0.0/0"), 1, 0, 0xffff), Dst: withPorts(ts("192.168.0.0/24"), 1, 8<<8, 8<<8)}},
		{"policy_drop_ports", kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyDrop,
			Src: withPorts(ts("10.1.0.0/24"), 6, 1000, 2000), Dst: withPorts(ts("10.2.0.5/32"), 6, 80, 80)}},
		{"policy_transport_v6_iface", kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 3,
			Mode: kernel.ModeTransport, Src: ts("fec0::1/128"), Dst: ts("fec0::2/128"),
			SrcAddr: ip("fec0::1"), DstAddr: ip("fec0::2"), SPI: 0xc3000003, Interface: "eth1"}},
		{"policy_out_manual_prio", func() kernel.Policy {
			p := tunnelPolicy(kernel.DirOut, 0xc1234567)
			p.Priority = 1000
			return p
		}()},
		{"policy_out_range", func() kernel.Policy {
			p := tunnelPolicy(kernel.DirOut, 0xc1234567)
			p.Src = kernel.TS{Start: ip("10.1.0.5"), End: ip("10.1.0.9"), ToPort: 0xffff}
			return p
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, rec := newRecorded(Options{})
			p := tc.p
			if err := x.AddPolicy(ctx, &p); err != nil {
				t.Fatal(err)
			}
			calls := rec.take()
			if len(calls) != 1 || calls[0].typ != msgNewPolicy {
				t.Fatalf("requests %+v", calls)
			}
			if want := g[tc.name]; !bytes.Equal(calls[0].data, want) {
				t.Errorf("message differs:\n%s", diff(calls[0].data, want, sizeofUserpolicyInfo))
			}
		})
	}

	x, rec := newRecorded(Options{})
	p := tunnelPolicy(kernel.DirFwd, 0xc2000001)
	p.Mark, p.IfID = mark, 7
	if err := x.AddPolicy(ctx, &p); err != nil {
		t.Fatal(err)
	}
	rec.take()
	if err := x.DelPolicy(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if c := rec.take(); len(c) != 1 || c[0].typ != msgDelPolicy || !bytes.Equal(c[0].data, g["policy_id_fwd_mark_ifid"]) {
		t.Errorf("DELPOLICY differs:\n%s", diff(c[0].data, g["policy_id_fwd_mark_ifid"], sizeofUserpolicyID))
	}
}

func TestPriority(t *testing.T) {
	for _, tc := range []struct {
		src, dst kernel.TS
		class    prioClass
		iface    bool
		want     uint32
	}{
		{ts("10.1.0.0/16"), ts("10.2.0.0/16"), prioDefault, false, 383615},
		{ts("10.1.0.0/24"), ts("10.2.0.0/24"), prioDefault, false, 375423},
		{ts("10.1.0.0/16"), ts("10.2.0.0/16"), prioRouted, false, 383616},
		{ts("0.0.0.0/0"), ts("0.0.0.0/0"), prioDefault, false, 399999},
		{ts("0.0.0.0/0"), ts("0.0.0.0/0"), prioPass, false, 199999},
		{ts("0.0.0.0/0"), ts("0.0.0.0/0"), prioFallback, false, 599999},
		{ts("fec0::1/128"), ts("fec0::2/128"), prioDefault, true, 268925},
		// the extremes of charon's comment: all bits set
		{withPorts(ts("::/128"), 6, 1, 1), withPorts(ts("::/128"), 6, 2, 2), prioDefault, true, 400000 - 131459},
	} {
		sel, err := tsSelector(tc.src, tc.dst, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := priority(&sel, tc.class, tc.iface); got != tc.want {
			t.Errorf("priority(%v === %v, %d) = %d, want %d", tc.src, tc.dst, tc.class, got, tc.want)
		}
	}
}

// A rekeyed CHILD_SA's policy replaces the old one's at once; removing
// the old one then changes nothing in the kernel.
func TestPolicyRefcountRekey(t *testing.T) {
	x, rec := newRecorded(Options{})
	old, nu := tunnelPolicy(kernel.DirOut, 0xc0000001), tunnelPolicy(kernel.DirOut, 0xc0000002)
	mustAdd(t, x, &old)
	mustAdd(t, x, &nu)
	calls := rec.take()
	if len(calls) != 2 || calls[0].typ != msgNewPolicy || calls[1].typ != msgUpdPolicy || tmplSPI(calls[1].data) != 0xc0000002 {
		t.Fatalf("requests %+v", types(calls))
	}
	mustDel(t, x, &old)
	if c := rec.take(); len(c) != 0 {
		t.Errorf("removing the replaced policy sent %v", types(c))
	}
	mustDel(t, x, &nu)
	if c := rec.take(); len(c) != 1 || c[0].typ != msgDelPolicy {
		t.Errorf("removing the last user sent %v", types(c))
	}
	if err := x.DelPolicy(ctx, &nu); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

// A CHILD_SA's policy takes precedence over the trap with the same
// selector; when the CHILD_SA goes the trap is back.
func TestPolicyRefcountTrap(t *testing.T) {
	x, rec := newRecorded(Options{})
	trap := tunnelPolicy(kernel.DirOut, 0)
	trap.Trap = true
	child := tunnelPolicy(kernel.DirOut, 0xc0000001)
	mustAdd(t, x, &trap)
	mustAdd(t, x, &child)
	calls := rec.take()
	if len(calls) != 2 || prio(calls[0].data) != 383616 || prio(calls[1].data) != 383615 || calls[1].typ != msgUpdPolicy {
		t.Fatalf("requests %v", types(calls))
	}
	// a trap added while the CHILD_SA is up waits
	trap2 := trap
	trap2.ReqID = 2
	mustAdd(t, x, &trap2)
	if c := rec.take(); len(c) != 0 {
		t.Errorf("a lower priority user sent %v", types(c))
	}
	mustDel(t, x, &child)
	calls = rec.take()
	if len(calls) != 1 || calls[0].typ != msgUpdPolicy || prio(calls[0].data) != 383616 || tmplSPI(calls[0].data) != 0 {
		t.Fatalf("after the CHILD_SA: %v", types(calls))
	}
	if tmplReqID(calls[0].data) != 2 {
		t.Errorf("the last added trap should be installed, reqid %d", tmplReqID(calls[0].data))
	}
	mustDel(t, x, &trap2)
	mustDel(t, x, &trap)
	if c := rec.take(); len(c) != 2 || c[0].typ != msgUpdPolicy || c[1].typ != msgDelPolicy {
		t.Errorf("removing the traps: %v", types(c))
	}
}

// A policy already in the kernel (left by a crashed daemon) is updated.
func TestPolicyExists(t *testing.T) {
	x, rec := newRecorded(Options{})
	rec.answer = func(c call) ([]nlMsg, error) {
		if c.typ == msgNewPolicy {
			return nil, &kernelError{errno: syscall.EEXIST}
		}
		return nil, nil
	}
	p := tunnelPolicy(kernel.DirOut, 1)
	mustAdd(t, x, &p)
	if c := rec.take(); len(c) != 2 || c[1].typ != msgUpdPolicy {
		t.Errorf("requests %v", types(c))
	}
	// a failure leaves nothing behind
	rec.answer = func(call) ([]nlMsg, error) { return nil, &kernelError{errno: syscall.EINVAL} }
	q := tunnelPolicy(kernel.DirIn, 1)
	if err := x.AddPolicy(ctx, &q); err == nil {
		t.Fatal("AddPolicy succeeded")
	}
	if err := x.DelPolicy(ctx, &q); !errors.Is(err, kernel.ErrNotFound) {
		t.Errorf("the failed policy is known: %v", err)
	}
}

func mustAdd(t *testing.T, x *IPsec, p *kernel.Policy) {
	t.Helper()
	if err := x.AddPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func mustDel(t *testing.T, x *IPsec, p *kernel.Policy) {
	t.Helper()
	if err := x.DelPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
}

func types(cs []call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%#x", c.typ))
	}
	return out
}

func prio(b []byte) uint32 { return ne.Uint32(b[152:]) }

func tmpl(b []byte) *userTmpl {
	attrs, _ := parseAttrs(b[sizeofUserpolicyInfo:])
	for _, a := range attrs {
		if a.typ == attrTmpl {
			t := getUserTmpl(a.data)
			return &t
		}
	}
	return nil
}

func tmplSPI(b []byte) uint32 {
	if t := tmpl(b); t != nil {
		return t.spi
	}
	return 0
}

func tmplReqID(b []byte) uint32 {
	if t := tmpl(b); t != nil {
		return t.reqid
	}
	return 0
}

func TestEventsGolden(t *testing.T) {
	g := golden(t)
	x, _ := newRecorded(Options{})
	mark := kernel.Mark{Value: 42, Mask: 0xffffffff}
	for _, tc := range []struct {
		name string
		typ  uint16
		want kernel.Event
	}{
		{"ev_acquire_icmp", msgAcquire, kernel.Acquire{ReqID: 7,
			Src: withPorts(ts("10.1.0.1/32"), 1, 8<<8, 8<<8), Dst: withPorts(ts("10.2.0.5/32"), 1, 8<<8, 8<<8)}},
		{"ev_acquire_tcp6", msgAcquire, kernel.Acquire{ReqID: 9,
			Src: withPorts(ts("fec1::1/128"), 6, 40000, 40000), Dst: withPorts(ts("fec2::5/128"), 6, 80, 80)}},
		{"ev_expire_soft", msgExpire, kernel.Expire{ReqID: 2,
			ID: kernel.SAID{Src: ip("192.168.0.2"), Dst: ip("192.168.0.1"), SPI: 0xc2000001, Proto: 50, Mark: mark}}},
		{"ev_expire_hard_v6", msgExpire, kernel.Expire{ReqID: 3, Hard: true,
			ID: kernel.SAID{Src: ip("fec0::1"), Dst: ip("fec0::2"), SPI: 0xc3000003, Proto: 50}}},
		{"ev_mapping", msgMapping, kernel.Mapping{
			ID:  kernel.SAID{Src: ip("192.168.0.2"), Dst: ip("192.168.0.1"), SPI: 0xc2000001, Proto: 50},
			New: netip.MustParseAddrPort("192.168.0.3:4501")}},
		{"ev_migrate", msgMigrate, nil},
	} {
		ev, ok := x.parseEvent(tc.typ, g[tc.name])
		if tc.want == nil {
			if ok {
				t.Errorf("%s: event %+v", tc.name, ev)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(ev, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, ev, tc.want)
		}
	}
	mg, err := parseMigrate(g["ev_migrate"])
	if err != nil || mg.dir != kernel.DirOut || len(mg.migrate) != 1 || mg.migrate[0].newSaddr != ip("192.168.0.10") ||
		mg.migrate[0].reqid != 1 || mg.local != ip("192.168.0.10") || mg.remote != ip("192.168.0.2") ||
		mg.src != ts("10.1.0.0/16") || mg.dst != ts("10.2.0.0/16") {
		t.Errorf("migrate %+v, %v", mg, err)
	}
	// the larval states of acquires expire without an SPI: no event
	larval := bytes.Clone(g["ev_expire_hard_v6"])
	be.PutUint32(larval[72:], 0)
	if ev, ok := x.parseEvent(msgExpire, larval); ok {
		t.Errorf("expire of a state without SPI: %+v", ev)
	}
	// truncated messages are refused, not read past their end
	for name, b := range g {
		if !strings.HasPrefix(name, "ev_") {
			continue
		}
		for n := 0; n < len(b); n++ {
			typ := map[string]uint16{"ev_acquire_icmp": msgAcquire, "ev_acquire_tcp6": msgAcquire,
				"ev_expire_soft": msgExpire, "ev_expire_hard_v6": msgExpire, "ev_mapping": msgMapping, "ev_migrate": msgMigrate}[name]
			x.parseEvent(typ, b[:n])
		}
	}
}

func TestUpdateSAGolden(t *testing.T) {
	g := golden(t)
	x, rec := newRecorded(Options{})
	rec.answer = func(c call) ([]nlMsg, error) {
		switch c.typ {
		case msgGetSA: // a copy: the backend wipes what it read (keys)
			return []nlMsg{{typ: msgNewSA, data: bytes.Clone(g["update_getsa_reply"])}}, nil
		case msgGetAE:
			return []nlMsg{{typ: msgNewAE, data: bytes.Clone(g["update_getae_reply"])}}, nil
		}
		return nil, nil
	}
	mark := kernel.Mark{Value: 42, Mask: 0xffffffff}
	id := kernel.SAID{Src: ip("192.168.0.1"), Dst: ip("192.168.0.2"), SPI: 0xc1234567, Proto: 50, Mark: mark}
	// the outbound policy using the SA follows it
	p := tunnelPolicy(kernel.DirOut, 0xc1234567)
	p.Mark = mark
	mustAdd(t, x, &p)
	rec.take()
	err := x.UpdateSA(ctx, id, netip.MustParseAddrPort("192.168.0.10:4500"), netip.MustParseAddrPort("192.168.0.2:4501"), true)
	if err != nil {
		t.Fatal(err)
	}
	calls := rec.take()
	if got := types(calls); !reflect.DeepEqual(got, []string{"0x12", "0x1f", "0x11", "0x10", "0x19"}) {
		t.Fatalf("requests %v (want GETSA GETAE DELSA NEWSA UPDPOLICY)", got)
	}
	if !bytes.Equal(calls[1].data, g["update_getae"]) {
		t.Errorf("GETAE differs:\n%s", diff(calls[1].data, g["update_getae"], sizeofAeventID))
	}
	if !bytes.Equal(calls[3].data, g["update_newsa"]) {
		t.Errorf("NEWSA differs:\n%s", diff(calls[3].data, g["update_newsa"], sizeofUsersaInfo))
	}
	if tm := tmpl(calls[4].data); tm == nil || tm.saddr != ip("192.168.0.10") || tm.daddr != ip("192.168.0.2") {
		t.Errorf("policy template %+v", tm)
	}
	// the caller deletes the policy with the endpoints it knows
	mustDel(t, x, &p)
	if c := rec.take(); len(c) != 1 || c[0].typ != msgDelPolicy {
		t.Errorf("DelPolicy after UpdateSA: %v", types(c))
	}
	// nothing changes: nothing is done
	rec.take()
	err = x.UpdateSA(ctx, id, netip.MustParseAddrPort("192.168.0.1:4500"), netip.MustParseAddrPort("192.168.0.2:4500"), true)
	if err != nil {
		t.Fatal(err)
	}
	if c := rec.take(); len(c) != 1 {
		t.Errorf("an update without changes sent %v", types(c))
	}
}

func TestBypassPolicy(t *testing.T) {
	b := bypassPolicy(10, policyIn)
	info, err := getUserpolicyInfo(b)
	if err != nil || info.sel.family != 10 || info.dir != policyIn || info.action != policyAllow || len(b) != 168 {
		t.Errorf("%+v %v", info, err)
	}
}

func TestParseErrorExtAck(t *testing.T) {
	// NLMSG_ERROR with NLM_F_CAPPED|NLM_F_ACK_TLVS, the echoed header and
	// NLMSGERR_ATTR_MSG
	data := make([]byte, 4+16)
	code := -int32(syscall.EPROTONOSUPPORT)
	ne.PutUint32(data, uint32(code))
	data = appendAttr(data, 1, []byte("Requested type not found\x00"))
	m := syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: 2, Flags: 0x300}, Data: data}
	err := parseError(m)
	if !errors.Is(err, syscall.EPROTONOSUPPORT) || !strings.Contains(err.Error(), "Requested type not found") {
		t.Errorf("%v", err)
	}
	if err := parseError(syscall.NetlinkMessage{Data: make([]byte, 4)}); err != nil {
		t.Errorf("ACK: %v", err)
	}
}

// QuerySA's last use is that of the policies using the SA.
func TestQuerySAUseTimeFromPolicies(t *testing.T) {
	g := golden(t)
	x, rec := newRecorded(Options{})
	in := tunnelPolicy(kernel.DirIn, 0xc2000001)
	fwd := tunnelPolicy(kernel.DirFwd, 0xc2000001)
	other := tunnelPolicy(kernel.DirIn, 0xc2000002)
	other.Src = ts("10.9.0.0/16")
	mustAdd(t, x, &in)
	mustAdd(t, x, &fwd)
	mustAdd(t, x, &other)
	rec.take()
	rec.answer = func(c call) ([]nlMsg, error) {
		switch c.typ {
		case msgGetSA:
			return []nlMsg{{typ: msgNewSA, data: bytes.Clone(g["update_getsa_reply"])}}, nil
		case msgGetPolicy:
			info := make([]byte, sizeofUserpolicyInfo)
			copy(info, c.data[:sizeofSelector])
			use := uint64(1700000001)
			if c.data[60] == policyFwd {
				use = 1700000005
			}
			ne.PutUint64(info[120+24:], use)
			return []nlMsg{{typ: msgNewPolicy, data: info}}, nil
		}
		return nil, nil
	}
	u, err := x.QuerySA(ctx, kernel.SAID{Src: ip("192.168.0.2"), Dst: ip("192.168.0.1"), SPI: 0xc2000001, Proto: 50})
	if err != nil || !u.LastUse.Equal(time.Unix(1700000005, 0)) {
		t.Errorf("QuerySA = %+v, %v", u, err)
	}
	if got := types(rec.take()); len(got) != 3 {
		t.Errorf("requests %v (want GETSA and two GETPOLICY)", got)
	}
}

// fakeRouter records the routes asked for.
type fakeRouter struct{ calls []string }

func (f *fakeRouter) AddressInTS(_ context.Context, t kernel.TS) (netip.Addr, bool, error) {
	if t.Start.Is4() && t.Start.As4()[0] == 10 && t.Start.As4()[1] == 1 {
		return ip("10.1.0.1"), false, nil
	}
	return netip.Addr{}, false, errors.New("none")
}

func (f *fakeRouter) NextHop(_ context.Context, dst, src netip.Addr) (netip.Addr, string, error) {
	return ip("192.168.0.254"), "eth0", nil
}

func (f *fakeRouter) Interface(context.Context, netip.Addr) (string, error) { return "eth0", nil }

func (f *fakeRouter) AddRoute(_ context.Context, r kernel.Route) error {
	f.calls = append(f.calls, fmt.Sprintf("add %v via %v src %v dev %s", r.Dst, r.Gateway, r.Src, r.Iface))
	return nil
}

func (f *fakeRouter) DelRoute(_ context.Context, r kernel.Route) error {
	f.calls = append(f.calls, fmt.Sprintf("del %v", r.Dst))
	return nil
}

func (f *fakeRouter) AddThrowRoute(_ context.Context, dst netip.Prefix) error {
	f.calls = append(f.calls, fmt.Sprintf("throw %v", dst))
	return nil
}

func (f *fakeRouter) DelThrowRoute(_ context.Context, dst netip.Prefix) error {
	f.calls = append(f.calls, fmt.Sprintf("unthrow %v", dst))
	return nil
}

func (f *fakeRouter) take() []string { c := f.calls; f.calls = nil; return c }

// Routes go with outbound tunnel and bypass policies only, as charon's.
func TestPolicyRoutes(t *testing.T) {
	r := &fakeRouter{}
	x, _ := newRecorded(Options{Routes: r})
	out := tunnelPolicy(kernel.DirOut, 1)
	mustAdd(t, x, &out)
	if got := r.take(); !reflect.DeepEqual(got, []string{"add 10.2.0.0/16 via 192.168.0.254 src 10.1.0.1 dev eth0"}) {
		t.Errorf("tunnel: %v", got)
	}
	rekeyed := tunnelPolicy(kernel.DirOut, 2)
	mustAdd(t, x, &rekeyed)
	mustDel(t, x, &out)
	if got := r.take(); len(got) != 0 {
		t.Errorf("rekeying changed the route: %v", got)
	}
	mustDel(t, x, &rekeyed)
	if got := r.take(); !reflect.DeepEqual(got, []string{"del 10.2.0.0/16"}) {
		t.Errorf("removal: %v", got)
	}
	for name, p := range map[string]kernel.Policy{
		"inbound": tunnelPolicy(kernel.DirIn, 1),
		"transport": func() kernel.Policy {
			p := tunnelPolicy(kernel.DirOut, 1)
			p.Mode = kernel.ModeTransport
			return p
		}(),
		"ports": func() kernel.Policy {
			p := tunnelPolicy(kernel.DirOut, 1)
			p.Dst = withPorts(p.Dst, 6, 80, 80)
			return p
		}(),
		"if_id": func() kernel.Policy {
			p := tunnelPolicy(kernel.DirOut, 1)
			p.IfID = 5
			return p
		}(),
		"drop":       {Dir: kernel.DirOut, Type: kernel.PolicyDrop, Src: ts("10.1.0.0/16"), Dst: ts("10.5.0.0/16")},
		"no address": {Dir: kernel.DirOut, Type: kernel.PolicyIPsec, ReqID: 1, Src: ts("10.7.0.0/16"), Dst: ts("10.5.0.0/16"), SrcAddr: ip("192.168.0.1"), DstAddr: ip("192.168.0.2")},
	} {
		mustAdd(t, x, &p)
		if got := r.take(); len(got) != 0 {
			t.Errorf("%s: routes %v", name, got)
		}
		mustDel(t, x, &p)
	}
	pass := kernel.Policy{Dir: kernel.DirOut, Type: kernel.PolicyPass, Src: ts("10.1.0.0/16"), Dst: ts("10.1.5.0/24")}
	mustAdd(t, x, &pass)
	mustDel(t, x, &pass)
	if got := r.take(); !reflect.DeepEqual(got, []string{"throw 10.1.5.0/24", "unthrow 10.1.5.0/24"}) {
		t.Errorf("pass: %v", got)
	}
}
