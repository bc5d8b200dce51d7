package interop

import (
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

// TestDefaultIKEProposalsMatchCharon compares our default IKE proposals
// with the SA payload charon 5.9.8 sent with its defaults (psk-default),
// leaving out the algorithms goswan does not implement (AES-CTR, Camellia,
// AES-CCM, brainpool curves): the order decides what two peers on defaults
// agree on, so it must be charon's.
func TestDefaultIKEProposalsMatchCharon(t *testing.T) {
	dgs, err := readIKEDatagrams(filepath.Join(captures, "psk-default", "moon.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	var sa *message.SA
	for _, d := range dgs {
		m, err := message.Parse(d.data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Exchange == message.ExchangeIKESAInit && m.IsRequest() {
			sa, _ = m.Payload(message.PayloadSA).(*message.SA)
			break
		}
	}
	if sa == nil {
		t.Fatal("no IKE_SA_INIT request in the capture")
	}
	ours := crypto.DefaultProposals(crypto.ProtoIKE)
	if len(ours) != len(sa.Proposals) {
		t.Fatalf("%d default proposals, charon sent %d", len(ours), len(sa.Proposals))
	}
	for i, mp := range sa.Proposals {
		theirs := toCrypto(mp)
		var kept []crypto.Transform
		for _, tr := range theirs.Transforms {
			if implemented(tr) {
				kept = append(kept, tr)
			}
		}
		theirs.Transforms = kept
		ours[i].Number = theirs.Number
		if ours[i].String() != theirs.String() {
			t.Errorf("default proposal %d:\n ours   %s\n charon %s", i+1, ours[i], theirs)
		}
	}
}

func implemented(tr crypto.Transform) bool {
	switch tr.Type {
	case crypto.TransformENCR:
		// implemented for IKE = an SK payload protector can be built with it
		n, err := crypto.EncrKeySize(tr)
		if err != nil {
			return false
		}
		var integ uint16
		var ikey []byte
		if !crypto.IsAEAD(tr.ID) {
			integ, ikey = crypto.AuthHMACSHA256128, make([]byte, 32)
		}
		_, err = crypto.NewSK(tr, integ, make([]byte, n), ikey)
		return err == nil
	case crypto.TransformINTEG:
		_, err := crypto.IntegKeySize(tr.ID)
		return err == nil
	case crypto.TransformPRF:
		_, err := crypto.PRFSize(tr.ID)
		return err == nil
	case crypto.TransformKE:
		return crypto.SupportedKE(tr.ID)
	}
	return true
}
