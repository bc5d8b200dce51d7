package message

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParse: Parse never panics; what it accepts marshals, parses back to
// an equal message and marshals again to the same bytes. Check, String
// and the associated data helper must not panic either.
func FuzzParse(f *testing.F) {
	for _, s := range samples() {
		f.Add(s.b)
	}
	f.Add(msg(hdr{spii: spiI, exch: ExchangeIKESAInit, flags: FlagInitiator},
		saIKE, keX25519, raw{typ: 99, body: []byte("x"), next: -1, crit: true}, noncePl))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkRoundTrip(t, b)
	})
}

// FuzzParsePayloads: the same property for a decrypted payload chain. The
// first input octet is the SK payload's next payload type.
func FuzzParsePayloads(f *testing.F) {
	for _, s := range samples() {
		if s.want != "" {
			f.Add(byte(s.first), s.inner)
		}
	}
	f.Add(byte(PayloadTSi), chain(tsiHost, tsrAll))
	f.Add(byte(PayloadCP), chain(pl(PayloadCP, []byte{2, 0, 0, 0}, cpAttr(CPInternalIP6Address, rep(1, 17)))))
	f.Add(byte(99), chain(raw{typ: 99, body: []byte("x"), next: -1, crit: true}))
	f.Fuzz(func(t *testing.T, first byte, b []byte) {
		checkPayloadsRoundTrip(t, PayloadType(first), b)
	})
}

func checkPayloadsRoundTrip(t *testing.T, first PayloadType, b []byte) {
	t.Helper()
	ps, err := ParsePayloads(first, b)
	if err != nil {
		_ = NotifyFor(err)
		_ = err.Error()
		return
	}
	out, err := AppendPayloads(nil, ps)
	if err != nil {
		t.Fatalf("marshal of parsed payloads failed: %v\ninput %x", err, b)
	}
	next := PayloadNone
	if len(ps) > 0 {
		next = ps[0].Type()
	}
	ps2, err := ParsePayloads(next, out)
	if err != nil {
		t.Fatalf("reparse failed: %v\ninput %x\nout   %x", err, b, out)
	}
	if !reflect.DeepEqual(ps, ps2) {
		t.Fatalf("reparse differs\ninput %x\nout   %x", b, out)
	}
	out2, err := AppendPayloads(nil, ps2)
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("second marshal differs: %v", err)
	}
	for _, x := range []ExchangeType{ExchangeIKEAuth, ExchangeInformational, ExchangeCreateChildSA} {
		for _, req := range []bool{true, false} {
			m := plainMsg(x, req, &Encrypted{NextPayload: next})
			if err := m.SetDecrypted(ps); err != nil {
				t.Fatal(err)
			}
			_ = Check(m, true)
			_ = m.String()
		}
	}
}

// FuzzAlgorithmIdentifier: the RFC 7427 helpers never panic.
func FuzzAlgorithmIdentifier(f *testing.F) {
	f.Add(cat([]byte{byte(len(algRSASHA256))}, algRSASHA256, rep(1, 8)))
	f.Add(cat([]byte{0x10}, unhex("300a06082a8648ce3d040302")))
	f.Fuzz(func(t *testing.T, b []byte) {
		alg, sig, err := SplitDigitalSignature(b)
		if err != nil {
			return
		}
		if out, err := AppendDigitalSignature(nil, alg, sig); err != nil || !bytes.Equal(out, b) {
			t.Fatalf("AppendDigitalSignature: %v", err)
		}
		oid, _, err := ParseAlgorithmIdentifier(alg)
		if err == nil {
			_ = OIDString(oid)
		}
	})
}

// TestEdgeCases runs the fuzz properties on inputs at the edges of the
// format (the fuzzers found no crash in their runs; these pin the corner
// cases they and the review covered).
func TestEdgeCases(t *testing.T) {
	h := hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, flags: FlagInitiator, mid: 9}
	messages := map[string][]byte{
		"SK with empty body":                 msg(h, sk(PayloadNone, nil)),
		"SKF fragment 2 with next payload":   msg(h, skf(PayloadNotify, 2, 2, rep(1, 4))),
		"SKF without body":                   msg(h, skf(PayloadNone, 1, 1, nil)),
		"unknown payload without body":       msg(h, pl(77)),
		"critical unknown then SK":           msg(h, raw{typ: 77, next: -1, crit: true}, sk(PayloadNone, rep(1, 16))),
		"delete size 0 with count":           msg(h, pl(PayloadDelete, []byte{1, 0}, u16(5))),
		"empty SA, TS, CP, EAP, nonce":       msg(h, pl(PayloadSA), pl(PayloadTSi, []byte{0, 0, 0, 0}), pl(PayloadCP, []byte{0, 0, 0, 0}), pl(PayloadEAP), pl(PayloadNonce)),
		"TS unknown type without data":       msg(h, pl(PayloadTSr, []byte{1, 0, 0, 0}, []byte{200, 1, 0, 4})),
		"TS v6 with IPv4-mapped addresses":   msg(h, tsPayload(false, ts6(0, 0, 65535, "00000000000000000000ffff0a000001", "00000000000000000000ffff0a0000ff"))),
		"CP attribute with R bit":            msg(h, pl(PayloadCP, []byte{1, 0, 0, 0}, u16(0x8001), u16(0))),
		"transform attribute TLV empty":      msg(h, pl(PayloadSA, proposal(true, 1, ProtoESP, rep(1, 4), transform(true, TransformENCR, 12, attrTLV(0x7fff, nil))))),
		"proposal with 255-octet SPI":        msg(h, pl(PayloadSA, proposal(true, 1, 200, rep(1, 255)))),
		"notify with 255-octet SPI":          msg(h, notify(ProtoESP, rep(2, 255), NotifyRekeySA, nil)),
		"payload of 65535 octets":            msg(h, pl(PayloadVendorID, rep(3, 65531))),
		"header reserved flags and minor 15": func() []byte { b := msg(h); b[17] = 0x2f; b[19] = 0xc7; return b }(),
	}
	for name, b := range messages {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(b); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkRoundTrip(t, b)
		})
	}
	// the payload-chain property on the same bodies
	for name, b := range messages {
		m, _ := Parse(b)
		if m == nil || len(m.Payloads) == 0 {
			continue
		}
		if m.Encrypted() != nil || m.Fragment() != nil {
			continue
		}
		t.Run("chain "+name, func(t *testing.T) {
			checkPayloadsRoundTrip(t, m.NextPayload, b[HeaderLen:])
		})
	}
}
