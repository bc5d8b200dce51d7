package sa

import (
	"bytes"
	"testing"

	"github.com/goswan/goswan/internal/kernel"
)

const moonNet = `conn %default
	keyexchange=ikev2
	authby=secret
	mobike=no

conn net-net
	left=192.168.0.1
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=192.168.0.2
	rightid=@sun.strongswan.org
	rightsubnet=10.2.0.0/16
	auto=add
`

const sunNet = `conn %default
	keyexchange=ikev2
	authby=secret
	mobike=no

conn net-net
	left=192.168.0.2
	leftid=@sun.strongswan.org
	leftsubnet=10.2.0.0/16
	right=192.168.0.1
	rightid=@moon.strongswan.org
	rightsubnet=10.1.0.0/16
	auto=add
`

const netPSK = "@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n"

func TestPSKNetToNet(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	m, s := moon.established(), sun.established()
	if len(m) != 1 || len(s) != 1 {
		t.Fatalf("established: moon %d, sun %d", len(m), len(s))
	}
	if m[0].SPIi != s[0].SPIi || m[0].SPIr != s[0].SPIr || !m[0].Initiator || s[0].Initiator {
		t.Fatalf("SPIs differ: %+v %+v", m[0], s[0])
	}
	if m[0].LocalID != "moon.strongswan.org" || m[0].RemoteID != "sun.strongswan.org" {
		t.Fatalf("moon IDs %q %q", m[0].LocalID, m[0].RemoteID)
	}
	if len(m[0].Children) != 1 || len(s[0].Children) != 1 {
		t.Fatalf("children: %d %d", len(m[0].Children), len(s[0].Children))
	}
	mc, sc := m[0].Children[0], s[0].Children[0]
	if mc.SPIIn != sc.SPIOut || mc.SPIOut != sc.SPIIn {
		t.Fatalf("CHILD SPIs do not cross: %08x/%08x vs %08x/%08x", mc.SPIIn, mc.SPIOut, sc.SPIIn, sc.SPIOut)
	}
	if got := kernel.FormatTSList(mc.Local) + " === " + kernel.FormatTSList(mc.Remote); got != "10.1.0.0/16 === 10.2.0.0/16" {
		t.Fatalf("moon TS %s", got)
	}
	// the kernel SAs of both ends carry the same keys crosswise
	mk, sk := moon.kernel.SAs(), sun.kernel.SAs()
	if len(mk) != 2 || len(sk) != 2 {
		t.Fatalf("kernel SAs: %d %d", len(mk), len(sk))
	}
	for _, a := range mk {
		for _, b := range sk {
			if a.SPI == b.SPI {
				if a.Inbound == b.Inbound || !bytes.Equal(a.Encr.Key, b.Encr.Key) || !bytes.Equal(a.Integ.Key, b.Integ.Key) {
					t.Fatalf("SA %08x: keys or directions differ", a.SPI)
				}
			}
		}
	}
	if len(moon.kernel.Policies()) != 3 || len(sun.kernel.Policies()) != 3 {
		t.Fatalf("policies: %v / %v", moon.kernel.Policies(), sun.kernel.Policies())
	}
	for _, want := range []string{
		"authentication of 'sun.strongswan.org' with pre-shared key successful",
		"IKE_SA net-net[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
		"CHILD_SA net-net{1} established with SPIs",
	} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	// delete from moon: both sides clean up
	moon.mgr.Post(m[0].UniqueID, func(s *IKESA) { s.Delete() })
	e.settle()
	e.settle()
	if moon.mgr.Count() != 0 || sun.mgr.Count() != 0 {
		t.Fatalf("SAs left: moon %d sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
	if len(moon.kernel.SAs()) != 0 || len(sun.kernel.SAs()) != 0 || len(moon.kernel.Policies()) != 0 {
		t.Fatalf("kernel state left: %v %v", moon.kernel.SAs(), sun.kernel.SAs())
	}
}
