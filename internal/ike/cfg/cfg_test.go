package cfg

import (
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
)

func build(t *testing.T, conf string, local ...string) *Config {
	t.Helper()
	c, ds := config.ParseIPsecConf(nil, "/test/ipsec.conf", []byte(conf))
	if config.HasErrors(ds) {
		t.Fatalf("parse: %v", ds)
	}
	env := Env{IsLocal: func(a netip.Addr) bool {
		for _, l := range local {
			if netip.MustParseAddr(l) == a {
				return true
			}
		}
		return false
	}}
	out, ds := Build(c, env)
	if len(ds) > 0 {
		t.Fatalf("build: %v", ds)
	}
	return out
}

const gateway = `conn %default
	ikelifetime=60m
	keylife=20m
	rekeymargin=3m
	keyingtries=1
	keyexchange=ikev2

conn rw
	left=192.168.0.1
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=%any
	auto=add

conn rw-allow
	rightgroups=allow
	leftsubnet=10.1.0.0/16
	also=rw-eap
	auto=add

conn rw-isolate
	rightgroups=isolate
	leftsubnet=10.2.0.0/16
	also=rw-eap
	auto=add

conn rw-eap
	left=192.168.0.1
	leftid=@moon.strongswan.org
	leftauth=eap-ttls
	rightauth=eap-radius
	rightid=*@strongswan.org
	rightsendcert=never
	right=%any

conn net-net
	left=192.168.0.2
	leftid=@sun.strongswan.org
	leftsubnet=10.2.0.0/16
	right=192.168.0.1
	rightsubnet=10.1.0.0/16
	rightid=@moon.strongswan.org
	authby=secret
	reauth=no
	auto=add
`

func TestBuildGateway(t *testing.T) {
	c := build(t, gateway, "192.168.0.1")
	if len(c.Peers) != 4 { // rw-eap is auto=ignore
		t.Fatalf("%d peers", len(c.Peers))
	}
	rw := c.Peer("rw")
	if rw.LocalAuth[0].ID.String() != "moon.strongswan.org" || rw.RemoteAuth[0].ID.Type() != identity.Any {
		t.Fatalf("rw IDs: %v / %v", rw.LocalAuth[0].ID, rw.RemoteAuth[0].ID)
	}
	if rw.ReauthTime != 57*time.Minute || rw.RekeyTime != 0 || rw.OverTime != 3*time.Minute || rw.Jitter != 3*time.Minute {
		t.Fatalf("rw IKE lifetimes: reauth %v rekey %v over %v jitter %v", rw.ReauthTime, rw.RekeyTime, rw.OverTime, rw.Jitter)
	}
	ch := rw.Children[0]
	if ch.RekeyTime != 17*time.Minute || ch.LifeTime != 20*time.Minute || len(ch.Local) != 1 || ch.Local[0].Dynamic ||
		!ch.Remote[0].Dynamic || ch.Local[0].Start != netip.MustParseAddr("10.1.0.0") {
		t.Fatalf("rw child: %+v", ch)
	}
	// net-net: left is sun, right is moon = local: ends are swapped
	nn := c.Peer("net-net")
	if nn.LocalAuth[0].ID.String() != "moon.strongswan.org" || nn.RemoteAuth[0].ID.String() != "sun.strongswan.org" ||
		nn.LocalAuth[0].Class != AuthPSK || nn.RekeyTime != 57*time.Minute || nn.ReauthTime != 0 {
		t.Fatalf("net-net: %v %v %v rekey %v", nn.LocalAuth[0].ID, nn.RemoteAuth[0].ID, nn.LocalAuth[0].Class, nn.RekeyTime)
	}
	if nn.Children[0].Local[0].Start != netip.MustParseAddr("10.1.0.0") {
		t.Fatalf("net-net local TS %+v", nn.Children[0].Local)
	}
	allow := c.Peer("rw-allow")
	if allow.LocalAuth[0].Class != AuthEAP || allow.RemoteAuth[0].Class != AuthEAP || allow.LocalAuth[0].EAPType != 21 ||
		allow.RemoteAuth[0].Groups[0] != "allow" || allow.RemoteAuth[0].SendCert != config.SendCertNever {
		t.Fatalf("rw-allow auth: %+v / %+v", allow.LocalAuth[0], allow.RemoteAuth[0])
	}
}

func TestMatching(t *testing.T) {
	c := build(t, gateway, "192.168.0.1")
	moon, carol, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.100"), netip.MustParseAddr("192.168.0.2")
	names := func(ps []*Peer) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	// sun's exact address beats %any
	if got := names(MatchAddrs(c, moon, sun)); len(got) != 4 || got[0] != "net-net" {
		t.Fatalf("addrs from sun: %v", got)
	}
	if got := names(MatchAddrs(c, moon, carol)); len(got) != 3 || got[0] != "rw" {
		t.Fatalf("addrs from carol: %v", got)
	}
	if got := MatchAddrs(c, netip.MustParseAddr("10.9.9.9"), carol); len(got) != 0 {
		t.Fatalf("foreign local address matched %v", names(got))
	}
	// carol@strongswan.org matches rw (%any, level 1) and the wildcard
	// conns (one wildcard): the wildcard conns come first
	got := names(MatchPeers(c, moon, carol, identity.ID{}, identity.MustParse("carol@strongswan.org")))
	if len(got) != 3 || got[0] != "rw-allow" || got[1] != "rw-isolate" || got[2] != "rw" {
		t.Fatalf("peers for carol: %v", got)
	}
	// an IDr naming another gateway excludes everything
	if got := MatchPeers(c, moon, carol, identity.MustParse("@venus.strongswan.org"), identity.MustParse("carol@strongswan.org")); len(got) != 0 {
		t.Fatalf("wrong IDr matched %v", names(got))
	}
	got = names(MatchPeers(c, moon, sun, identity.MustParse("@moon.strongswan.org"), identity.MustParse("@sun.strongswan.org")))
	if got[0] != "net-net" {
		t.Fatalf("peers for sun: %v", got)
	}
}

// Conns that differ only in CHILD_SA settings share one peer config, as
// stroke adds them to an existing configuration; others stay apart.
func TestMergeConns(t *testing.T) {
	c := build(t, `conn %default
	keyexchange=ikev2
	left=192.168.0.100
	leftid=carol@strongswan.org
	authby=secret
	right=192.168.0.1
	rightid=@moon.strongswan.org
	rightsubnet=10.1.0.0/16
	auto=add

conn home-icmp
	leftprotoport=icmp
	rightprotoport=icmp

conn home-ssh
	leftprotoport=tcp
	rightprotoport=tcp/ssh
	auto=start

conn other-id
	rightid=@sun.strongswan.org

conn other-lifetime
	ikelifetime=2h
`, "192.168.0.100")
	if len(c.Peers) != 3 || len(c.Conns) != 4 {
		t.Fatalf("%d peer configs, %d conns", len(c.Peers), len(c.Conns))
	}
	if p := c.Peers[0]; p.Name != "home-icmp" || len(p.Children) != 2 || p.Children[1].Name != "home-ssh" {
		t.Fatalf("first peer config %s with %d children", p.Name, len(p.Children))
	}
	want := []struct {
		name, peer string
		merged     bool
		auto       config.Auto
	}{
		{"home-icmp", "home-icmp", false, config.AutoAdd},
		{"home-ssh", "home-icmp", true, config.AutoStart},
		{"other-id", "other-id", false, config.AutoAdd},
		{"other-lifetime", "other-lifetime", false, config.AutoAdd},
	}
	for i, w := range want {
		got := c.Conns[i]
		if got.Name != w.name || got.Peer.Name != w.peer || got.Merged != w.merged || got.Auto != w.auto || got.Child.Name != w.name {
			t.Errorf("conn %d: %s in %s merged=%v auto=%v child %s", i, got.Name, got.Peer.Name, got.Merged, got.Auto, got.Child.Name)
		}
	}
	for _, name := range []string{"home-icmp", "home-ssh", "other-id"} {
		p, ch := c.Lookup(name)
		if p == nil || ch == nil || ch.Name != name {
			t.Errorf("Lookup(%s) = %v, %v", name, p, ch)
		}
	}
	if p, ch := c.Lookup("nonexistent"); p != nil || ch != nil {
		t.Error("Lookup found a conn that does not exist")
	}
}
