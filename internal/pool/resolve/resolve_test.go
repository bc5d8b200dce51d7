package resolve

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

func dns4(s string) attr.Attribute {
	return message.IP4Attr(message.CPInternalIP4DNS, netip.MustParseAddr(s))
}

func newTestHandler(t *testing.T, initial string) (*Handler, string, *bytes.Buffer) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(file, []byte(initial), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l := log.New(log.Options{Foreground: true, Stdout: &buf, SyslogPath: "/nonexistent"})
	settings, _ := config.ParseSettings(nil, "strongswan.conf", []byte("charon {\n filelog {\n  stdout {\n   default = 1\n  }\n }\n}\n"))
	if err := l.Configure(settings); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Flush() })
	return New(Options{File: file, Resolvconf: "-", Log: l}), file, &buf
}

func read(t *testing.T, f string) string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestResolvConf(t *testing.T) {
	h, file, logs := newTestHandler(t, "search strongswan.org\nnameserver 192.168.0.254\n")
	sa := attr.SA{}
	if !h.Handle(sa, dns4("192.168.0.150")) || !h.Handle(sa, dns4("10.1.0.20")) {
		t.Fatal("DNS servers not handled")
	}
	want := "nameserver 10.1.0.20   # by strongSwan\nnameserver 192.168.0.150   # by strongSwan\nsearch strongswan.org\nnameserver 192.168.0.254\n"
	if got := read(t, file); got != want {
		t.Fatalf("resolv.conf:\n%s", got)
	}
	// a second IKE_SA with the same server: counted, not written twice
	if !h.Handle(sa, dns4("10.1.0.20")) {
		t.Fatal("second reference refused")
	}
	if got := read(t, file); got != want {
		t.Fatalf("resolv.conf after a second reference:\n%s", got)
	}
	h.Release(sa, dns4("10.1.0.20"))
	if got := read(t, file); got != want {
		t.Fatalf("removed while still used:\n%s", got)
	}
	h.Release(sa, dns4("10.1.0.20"))
	h.Release(sa, dns4("192.168.0.150"))
	if got := read(t, file); got != "search strongswan.org\nnameserver 192.168.0.254\n" {
		t.Fatalf("resolv.conf after release:\n%s", got)
	}
	h.Release(sa, dns4("192.168.0.150")) // nothing left to release: no change
	h.opts.Log.Flush()
	l := logs.String()
	for _, s := range []string{
		"installing DNS server 192.168.0.150 to " + file,
		"DNS server 10.1.0.20 already installed, increasing refcount",
		"DNS server 10.1.0.20 still used, decreasing refcount",
		"removing DNS server 10.1.0.20 from " + file,
	} {
		if !strings.Contains(l, s) {
			t.Errorf("log lacks %q:\n%s", s, l)
		}
	}
}

func TestResolvNotHandled(t *testing.T) {
	h, file, _ := newTestHandler(t, "nameserver 1.1.1.1\n")
	for _, a := range []attr.Attribute{
		{Type: message.CPInternalIP4NBNS, Value: []byte{10, 0, 0, 1}},
		{Type: message.CPInternalIP4DNS, Value: []byte{10, 0, 0}},       // truncated
		{Type: message.CPInternalIP4DNS, Value: []byte{0, 0, 0, 0}},     // any
		{Type: message.CPInternalIP6DNS, Value: []byte{1, 2, 3, 4}},     // wrong length
		{Type: message.CPInternalIP4DNS},                                // empty
		{Type: message.CPInternalIP4Address, Value: []byte{1, 2, 3, 4}}, // not DNS
	} {
		if h.Handle(attr.SA{}, a) {
			t.Errorf("%v %x handled", a.Type, a.Value)
		}
	}
	if got := read(t, file); got != "nameserver 1.1.1.1\n" {
		t.Fatalf("file changed: %q", got)
	}
}

func TestResolvRequests(t *testing.T) {
	h := New(Options{Resolvconf: "-"})
	got := h.Requests(attr.SA{}, []netip.Addr{netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("::")})
	if len(got) != 2 || got[0].Type != message.CPInternalIP4DNS || got[1].Type != message.CPInternalIP6DNS || len(got[0].Value) != 0 {
		t.Fatalf("requests %v", got)
	}
	if got := h.Requests(attr.SA{}, nil); len(got) != 0 {
		t.Fatalf("requests without virtual IPs: %v", got)
	}
}

func TestResolvconfBinary(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "resolvconf")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" >> "+record+"\ncat >> "+record+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := New(Options{Resolvconf: script, File: filepath.Join(dir, "untouched")})
	if !h.Handle(attr.SA{}, dns4("10.1.0.20")) {
		t.Fatal("not handled")
	}
	h.Release(attr.SA{}, dns4("10.1.0.20"))
	if got := read(t, record); got != "-a lo.inet.ipsec.10.1.0.20\nnameserver 10.1.0.20\n-d lo.inet.ipsec.10.1.0.20\n" {
		t.Fatalf("resolvconf calls:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "untouched")); !os.IsNotExist(err) {
		t.Fatal("resolv.conf was written although resolvconf exists")
	}
}
