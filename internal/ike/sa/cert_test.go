package sa

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/ike/message"
)

const moonRW = `conn %default
	keyexchange=ikev2
	keyingtries=1

conn rw
	left=192.168.0.1
	leftcert=moonCert.pem
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=%any
	auto=add
`

func roadwarrior(name string) string {
	return `conn %default
	keyexchange=ikev2
	keyingtries=1

conn home
	left=PH_ADDR
	leftcert=` + name + `Cert.pem
	leftid=` + name + `@strongswan.org
	right=192.168.0.1
	rightid=@moon.strongswan.org
	rightsubnet=10.1.0.0/16
	auto=add
`
}

func rwHost(e *testEnv, name, addr string, seed uint64) *host {
	return e.addHost(name, addr, strings.Replace(roadwarrior(name), "PH_ADDR", addr, 1), keySecret(name), seed)
}

func TestCertificates(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonRW, keySecret("moon"), 1)
	carol := rwHost(e, "carol", "192.168.0.100", 3)
	dave := rwHost(e, "dave", "192.168.0.200", 4)
	for _, h := range []*host{carol, dave} {
		if err := h.up("home"); err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
	}
	e.settle()
	if n := len(moon.established()); n != 2 {
		t.Fatalf("moon has %d IKE_SAs", n)
	}
	for _, want := range []string{
		`sending cert request for "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		`received cert request for "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		`received end entity cert "C=CH, O=strongSwan Project, CN=carol@strongswan.org"`,
		`using trusted ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`,
		"authentication of 'carol@strongswan.org' with ECDSA",
		"authentication of 'dave@strongswan.org' with ECDSA",
		"IKE_SA rw[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.100[carol@strongswan.org]",
		"parsed IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"generating IKE_AUTH response 1 [ IDr CERT AUTH SA TSi TSr N(MOBIKE_SUP) ]",
	} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	if !carol.logHas("authentication of 'moon.strongswan.org' with ECDSA") {
		t.Error("carol did not authenticate moon")
	}
	// MOBIKE: both float to the NAT-T port
	if c := carol.established()[0]; c.Local.Port() != 4500 || c.Remote.Port() != 4500 {
		t.Errorf("no float to 4500 with MOBIKE: %v...%v", c.Local, c.Remote)
	}
	if subsetCheck(t, carol, moon) != 2 || subsetCheck(t, dave, moon) != 2 || len(moon.kernel.SAs()) != 4 {
		t.Fatal("kernel SAs do not pair up")
	}
}

func TestUntrustedCertificate(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonRW, keySecret("moon"), 1)
	carol := rwHost(e, "carol", "192.168.0.100", 3)
	// moon trusts another CA only
	other := &testPKI{}
	*other = *newTestPKI(t)
	other.ca = mustSelfSigned(t)
	writeCA(t, moon.dir, other.ca)
	moon.reloadCreds(t)
	if err := carol.up("home"); err == nil {
		t.Fatal("established with an untrusted certificate")
	}
	e.settle()
	if !moon.logHas("no trusted ECDSA public key found for 'carol@strongswan.org'") ||
		!moon.logHas("generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]") {
		t.Fatal("untrusted certificate not refused as charon does")
	}
	if moon.mgr.Count() != 0 || carol.mgr.Count() != 0 {
		t.Fatal("SAs left")
	}
}

func TestPeerConfigSwitching(t *testing.T) {
	e := newTestEnv(t)
	// the PSK conn matches carol's ID better (exact) but she authenticates
	// with her certificate: moon must switch to rw
	conf := moonRW + `
conn psk
	left=192.168.0.1
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=%any
	rightid=carol@strongswan.org
	authby=secret
	auto=add
`
	moon := e.addHost("moon", "192.168.0.1", conf, keySecret("moon")+"@moon.strongswan.org carol@strongswan.org : PSK \"secret\"\n", 1)
	carol := rwHost(e, "carol", "192.168.0.100", 3)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !moon.logHas("selected peer config 'psk'") || !moon.logHas("switching to peer config 'rw'") {
		t.Fatal("no switch from psk to rw")
	}
	if sn := moon.established(); len(sn) != 1 || sn[0].Name != "rw" {
		t.Fatalf("established with %+v", sn)
	}
}

func TestRemoteIDMismatch(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonRW, keySecret("moon"), 1)
	// carol expects sun behind 192.168.0.1
	conf := strings.Replace(roadwarrior("carol"), "rightid=@moon.strongswan.org", "rightid=@sun.strongswan.org", 1)
	carol := e.addHost("carol", "192.168.0.100", strings.Replace(conf, "PH_ADDR", "192.168.0.100", 1), keySecret("carol"), 3)
	if err := carol.up("home"); err == nil {
		t.Fatal("established with the wrong gateway")
	}
	e.settle()
	// carol sent IDr sun.strongswan.org: moon finds no config for it
	if !moon.logHas("no matching peer config found") || !carol.logHas("received AUTHENTICATION_FAILED notify error") {
		t.Fatal("ID mismatch not refused")
	}
	_ = message.NotifyAuthenticationFailed
}

// Conns that differ only in their CHILD_SA (protoport-dual) share one
// IKE_SA: the second is created on the first's IKE_SA and the responder
// picks the child config by the traffic selectors.
func TestMergedConnsShareIKESA(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", `conn %default
	keyexchange=ikev2
	left=192.168.0.1
	leftcert=moonCert.pem
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=%any
	auto=add

conn rw-icmp
	leftprotoport=icmp
	rightprotoport=icmp

conn rw-ssh
	leftprotoport=tcp/ssh
	rightprotoport=tcp
`, keySecret("moon"), 1)
	carol := e.addHost("carol", "192.168.0.100", `conn %default
	keyexchange=ikev2
	left=192.168.0.100
	leftcert=carolCert.pem
	leftid=carol@strongswan.org
	right=192.168.0.1
	rightsubnet=10.1.0.0/16
	rightid=@moon.strongswan.org
	auto=add

conn home-icmp
	leftprotoport=icmp
	rightprotoport=icmp

conn home-ssh
	leftprotoport=tcp
	rightprotoport=tcp/ssh
`, keySecret("carol"), 3)
	for _, c := range []string{"home-icmp", "home-ssh"} {
		if err := carol.up(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	e.settle()
	cs, ms := carol.established(), moon.established()
	if len(cs) != 1 || len(ms) != 1 || cs[0].Name != "home-icmp" || ms[0].Name != "rw-icmp" {
		t.Fatalf("IKE_SAs: carol %d, moon %d", len(cs), len(ms))
	}
	var got []string
	for _, c := range cs[0].Children {
		got = append(got, c.Name+" "+childTS(c))
	}
	for _, c := range ms[0].Children {
		got = append(got, c.Name+" "+childTS(c))
	}
	want := []string{
		"home-icmp 192.168.0.100/32[icmp] === 10.1.0.0/16[icmp]",
		"home-ssh 192.168.0.100/32[tcp] === 10.1.0.0/16[tcp/ssh]",
		"rw-icmp 10.1.0.0/16[icmp] === 192.168.0.100/32[icmp]",
		"rw-ssh 10.1.0.0/16[tcp/ssh] === 192.168.0.100/32[tcp]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("CHILD_SAs:\n%s", strings.Join(got, "\n"))
	}
	if !carol.logHas("generating CREATE_CHILD_SA request 2 [ SA No KE TSi TSr ]") && !carol.logHas("generating CREATE_CHILD_SA request 2 [ SA No TSi TSr ]") {
		t.Error("home-ssh was not created on the existing IKE_SA")
	}
}
