package sa

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/ike/message"
)

func TestRevokedCertificate(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonRW, keySecret("moon"), 1)
	carol := rwHost(e, "carol", "192.168.0.100", 3)
	e.pki.revoke(t, moon.dir, "carol")
	moon.reloadCreds(t)
	if err := carol.up("home"); err == nil {
		t.Fatal("established with a revoked certificate")
	}
	e.settle()
	for _, want := range []string{"certificate was revoked on", "generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]"} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	if !carol.logHas("received AUTHENTICATION_FAILED notify error") || moon.mgr.Count() != 0 {
		t.Fatal("revoked certificate not refused")
	}
}

func TestGroupConstraint(t *testing.T) {
	e := newTestEnv(t)
	conf := strings.Replace(moonRW, "\tright=%any\n", "\tright=%any\n\trightgroups=allow\n", 1)
	moon := e.addHost("moon", "192.168.0.1", conf, keySecret("moon"), 1)
	carol := rwHost(e, "carol", "192.168.0.100", 3)
	if err := carol.up("home"); err == nil {
		t.Fatal("established without the required group")
	}
	e.settle()
	if !moon.logHas("constraint check failed: group membership to 'allow' required") ||
		!moon.logHas("generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]") {
		t.Fatal("group constraint not enforced as charon does")
	}
}

func TestSignatureSchemes(t *testing.T) {
	for _, tc := range []struct {
		keyType, setting, scheme string
	}{
		{"rsa", "", "RSA_EMSA_PKCS1_SHA2_256"},
		{"rsa", "pss", "RSA_EMSA_PSS"},
		{"ed25519", "", "ED25519"},
		{"ecdsa", "", "ECDSA_WITH_SHA256_DER"},
	} {
		t.Run(tc.keyType+tc.setting, func(t *testing.T) {
			e := newTestEnv(t)
			e.keyTypes = map[string]string{"moon": tc.keyType, "carol": tc.keyType}
			if tc.setting == "pss" {
				e.settings = func(s *Settings) { s.RSAPSS = true }
			}
			moon := e.addHost("moon", "192.168.0.1", moonRW, keySecretType("moon", tc.keyType), 1)
			carol := e.addHost("carol", "192.168.0.100", strings.Replace(roadwarrior("carol"), "PH_ADDR", "192.168.0.100", 1),
				keySecretType("carol", tc.keyType), 3)
			if err := carol.up("home"); err != nil {
				t.Fatal(err)
			}
			e.settle()
			for _, h := range []*host{moon, carol} {
				if !h.logHas("with " + tc.scheme) {
					t.Errorf("%s did not use %s", h.name, tc.scheme)
				}
			}
		})
	}
}

func TestReplayedRequests(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	before := stableOf(sun.established()[0])
	// replay every request moon sent so far (IKE_SA_INIT and IKE_AUTH)
	var old []Packet
	for _, p := range e.net.sent {
		if h, ok := exchangeOf(p); ok && h.IsRequest() && p.Src.Addr() == moon.addr {
			old = append(old, p)
		}
	}
	// then a DPD, and replay it too after the next exchange
	moon.mgr.Post(moon.established()[0].UniqueID, func(s *IKESA) { s.tm.queue(&dpd{s: s}); s.tm.initiate() })
	e.settle()
	for _, p := range old {
		sun.mgr.Receive(Packet{Src: p.Src, Dst: p.Dst, Data: append([]byte(nil), p.Data...)})
	}
	e.settle()
	if got := stableOf(sun.established()[0]); !equalStable(got, before) || sun.mgr.Count() != 1 {
		t.Fatalf("replayed requests changed sun's SA: %+v", got)
	}
	if !sun.logHas("received message ID 1, expected 3, ignored") {
		t.Fatal("replayed IKE_AUTH request not ignored as charon does")
	}
}

// payloadAdder is a test task that adds a payload to the initiator's
// IKE_AUTH request, to make it violate the payload rules.
type payloadAdder struct{ p message.Payload }

func (*payloadAdder) Type() TaskType { return TaskIKEVendor }
func (a *payloadAdder) Build(m *message.Message) Status {
	if m.Exchange == message.ExchangeIKEAuth {
		m.Payloads = append(m.Payloads, a.p)
		return Success
	}
	return NeedMore
}
func (*payloadAdder) Process(m *message.Message) Status { return NeedMore }

func TestBadPayloadCount(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	// a second IDi in IKE_AUTH: the rules allow one
	moon.mgr.RegisterTaskFactory(func(ike *IKESA, initiator bool, x message.ExchangeType) []Task {
		if !initiator {
			return nil
		}
		return []Task{&payloadAdder{p: &message.ID{IDType: message.IDFQDN, Data: []byte("again")}}}
	})
	if err := moon.up("net-net"); err == nil {
		t.Fatal("a message breaking the payload rules was accepted")
	}
	e.settle()
	if !sun.logHas("generating IKE_AUTH response 1 [ N(INVAL_SYN) ]") || !moon.logHas("received INVALID_SYNTAX notify error") {
		t.Fatal("rule violation not answered with INVALID_SYNTAX")
	}
	if sun.mgr.Count() != 0 {
		t.Fatal("sun kept the SA")
	}
}
