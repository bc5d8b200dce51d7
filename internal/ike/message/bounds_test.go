package message

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// TestTruncations cuts every sample message and every inner chain at every
// length: each cut must fail with an error and never panic.
func TestTruncations(t *testing.T) {
	for _, s := range samples() {
		for n := 0; n < len(s.b); n++ {
			b := append([]byte(nil), s.b[:n]...)
			if _, err := Parse(b); err == nil {
				t.Fatalf("%s: truncated to %d accepted", s.name, n)
			}
			// the same cut with the header length patched to match
			if n >= HeaderLen {
				binary.BigEndian.PutUint32(b[24:], uint32(n))
				if _, err := Parse(b); err == nil {
					t.Fatalf("%s: truncated to %d (length patched) accepted", s.name, n)
				}
			}
		}
		for n := 0; n < len(s.inner); n++ {
			if _, err := ParsePayloads(s.first, s.inner[:n]); err == nil {
				t.Fatalf("%s: inner chain truncated to %d accepted", s.name, n)
			}
		}
	}
}

// TestCorruptions overwrites every octet of every sample with a few values;
// whatever Parse says, it must not panic, and what it accepts must
// round-trip.
func TestCorruptions(t *testing.T) {
	for _, s := range samples() {
		for i := range s.b {
			for _, v := range []byte{0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, s.b[i] + 1, s.b[i] - 1} {
				b := append([]byte(nil), s.b...)
				b[i] = v
				checkRoundTrip(t, b)
			}
		}
	}
}

// checkRoundTrip is the fuzz property: Parse, and if that works,
// AppendMarshal, Parse again to an equal message, and marshal again to the
// same bytes. Check and String must not panic either.
func checkRoundTrip(t *testing.T, b []byte) {
	t.Helper()
	m, err := Parse(b)
	if err != nil {
		_ = NotifyFor(err)
		_ = err.Error()
		return
	}
	_ = m.String()
	_ = Check(m, false)
	_ = Check(m, true)
	out, err := m.AppendMarshal(nil)
	if err != nil {
		t.Fatalf("marshal of parsed message failed: %v\ninput %x", err, b)
	}
	m2, err := Parse(out)
	if err != nil {
		t.Fatalf("reparse failed: %v\ninput %x\nout   %x", err, b, out)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("reparse differs\ninput %x\nout   %x\n%#v\n%#v", b, out, m, m2)
	}
	out2, err := m2.AppendMarshal(nil)
	if err != nil || !bytes.Equal(out, out2) {
		t.Fatalf("second marshal differs: %v\n%x\n%x", err, out, out2)
	}
	if e := m.Encrypted(); e != nil {
		ad, err := m.AppendAssociatedData(nil, len(e.Body))
		if err != nil || !bytes.Equal(append(ad, e.Body...), out) {
			t.Fatalf("associated data mismatch: %v", err)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	good := samples()[0].b
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		b    []byte
		err  error
		off  int
	}{
		{"empty", nil, ErrTruncated, 0},
		{"27 octets", good[:27], ErrTruncated, 27},
		{"length too small", mod(func(b []byte) []byte { b[27]--; return b }), ErrLength, 24},
		{"length too large", mod(func(b []byte) []byte { b[27]++; return b }), ErrLength, 24},
		{"trailing octet", append(append([]byte(nil), good...), 0), ErrLength, 24},
		{"trailing octet, length patched", mod(func(b []byte) []byte {
			b = append(b, 0)
			binary.BigEndian.PutUint32(b[24:], uint32(len(b)))
			return b
		}), ErrTrailing, len(good)},
		{"zero SPIi", mod(func(b []byte) []byte { copy(b, make([]byte, 8)); return b }), ErrZeroSPI, 0},
	}
	for _, tt := range tests {
		_, err := Parse(tt.b)
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, tt.err) || pe.Offset != tt.off {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	for _, v := range []byte{0x10, 0x30, 0x00, 0xf0, 0x21} {
		b := mod(func(b []byte) []byte { b[17] = v; return b })
		h, err := ParseHeader(b)
		var ve *VersionError
		if v>>4 == 2 {
			if err != nil {
				t.Errorf("version %x: %v", v, err)
			}
			continue
		}
		if !errors.As(err, &ve) || ve.Major != v>>4 || ve.Minor != v&0xf || h.SPIi != spiI || h.MessageID != 0 {
			t.Errorf("version %x: %v %+v", v, err, h)
		}
		if _, err := Parse(b); NotifyFor(err) != NotifyInvalidMajorVersion {
			t.Errorf("version %x: NotifyFor(%v)", v, err)
		}
		if n := NotifyPayloadFor(err); n == nil || n.NotifyType != NotifyInvalidMajorVersion || len(n.Data) != 0 {
			t.Errorf("NotifyPayloadFor(%v) = %+v", err, n)
		}
	}
	// minor version and flags round-trip
	b := mod(func(b []byte) []byte { b[17] = 0x2f; b[19] = 0xff; return b })
	m, err := Parse(b)
	if err != nil || m.MinorVersion != 15 || m.Flags != 0xff {
		t.Fatalf("minor/flags: %v", err)
	}
	if out, _ := m.AppendMarshal(nil); !bytes.Equal(out, b) {
		t.Error("minor version / flags not preserved")
	}
}

func TestChainErrors(t *testing.T) {
	h := hdr{spii: spiI, exch: ExchangeIKESAInit, flags: FlagInitiator}
	withLen := func(b []byte, at, l int) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint16(b[at:], uint16(l))
		return b
	}
	nb := msg(h, noncePl, pl(PayloadVendorID, []byte("v")))
	tests := []struct {
		name string
		b    []byte
		err  error
		off  int
		typ  PayloadType
	}{
		{"payload length 3", withLen(nb, 30, 3), ErrLength, 30, PayloadNonce},
		{"payload length 0", withLen(nb, 30, 0), ErrLength, 30, PayloadNonce},
		{"payload length beyond message", withLen(nb, 30, 100), ErrTruncated, 30, PayloadNonce},
		{"second payload beyond", withLen(nb, 28+36+2, 6), ErrTruncated, 66, PayloadVendorID},
		{"next payload 0 before the end", func() []byte {
			b := append([]byte(nil), nb...)
			b[28] = 0
			return b
		}(), ErrTrailing, 64, PayloadNone},
		{"generic header cut", func() []byte {
			b := msg(h, noncePl)[:30]
			binary.BigEndian.PutUint32(b[24:], 30)
			return b
		}(), ErrTruncated, 30, PayloadNonce},
		{"next payload points past the end", func() []byte {
			b := msg(h, noncePl)
			b[28] = byte(PayloadNotify)
			return b
		}(), ErrTruncated, 64, PayloadNotify},
		{"data after SK", func() []byte {
			b := msg(h, sk(PayloadIDi, rep(1, 20)), pl(PayloadNonce, nonce))
			return b
		}(), ErrEncryptedPosition, 52, PayloadSK},
		{"data after SKF", msg(h, skf(PayloadIDi, 1, 1, rep(1, 20)), pl(PayloadNonce, nonce)), ErrEncryptedPosition, 56, PayloadSKF},
	}
	for _, tt := range tests {
		_, err := Parse(tt.b)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		if tt.err == nil {
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, tt.err) || pe.Offset != tt.off || pe.Payload != tt.typ {
			t.Errorf("%s: %v (offset %d, payload %v)", tt.name, err, pe.Offset, pe.Payload)
		}
	}
	// SK / SKF inside a decrypted chain
	for _, r := range []raw{sk(PayloadNonce, rep(1, 8)), skf(PayloadNonce, 1, 1, nil)} {
		_, err := ParsePayloads(PayloadNonce, chain(noncePl, r))
		if !errors.Is(err, ErrEncryptedPosition) {
			t.Errorf("nested %d: %v", r.typ, err)
		}
	}
	// trailing data in the decrypted chain
	if _, err := ParsePayloads(PayloadNonce, append(chain(noncePl), 0)); !errors.Is(err, ErrTrailing) {
		t.Errorf("trailing plaintext: %v", err)
	}
	// empty chain
	if ps, err := ParsePayloads(PayloadNone, nil); err != nil || len(ps) != 0 {
		t.Errorf("empty chain: %v", err)
	}
	if _, err := ParsePayloads(PayloadNone, []byte{0}); !errors.Is(err, ErrTrailing) {
		t.Errorf("junk without payloads: %v", err)
	}
}

// TestUnknownPayloads: non-critical unknown payloads are kept and
// re-emitted as received; a critical one is reported by Check as
// UNSUPPORTED_CRITICAL_PAYLOAD carrying the type octet.
func TestUnknownPayloads(t *testing.T) {
	h := hdr{spii: spiI, exch: ExchangeIKESAInit, flags: FlagInitiator}
	b := msg(h, saIKE, keX25519, pl(99, []byte("opaque")), noncePl, pl(PayloadGSPM))
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := m.Payloads[2].(*Unknown)
	if !ok || u.PayloadType != 99 || u.Critical || string(u.Body) != "opaque" {
		t.Fatalf("unknown payload %#v", m.Payloads[2])
	}
	if out, _ := m.AppendMarshal(nil); !bytes.Equal(out, b) {
		t.Fatal("unknown payload not re-emitted identically")
	}
	if err := Check(m, false); err != nil {
		t.Fatalf("non-critical unknown rejected: %v", err)
	}

	crit := raw{typ: 99, body: []byte("opaque"), next: -1, crit: true}
	b = msg(h, saIKE, keX25519, crit, noncePl)
	m, err = Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := m.AppendMarshal(nil); !bytes.Equal(out, b) {
		t.Fatal("critical unknown payload not re-emitted identically")
	}
	err = Check(m, false)
	var ce *CriticalError
	if !errors.As(err, &ce) || ce.Type != 99 {
		t.Fatalf("critical unknown: %v", err)
	}
	if NotifyFor(err) != NotifyUnsupportedCriticalPayload {
		t.Errorf("NotifyFor = %v", NotifyFor(err))
	}
	if n := NotifyPayloadFor(err); n == nil || n.NotifyType != NotifyUnsupportedCriticalPayload || !bytes.Equal(n.Data, []byte{99}) {
		t.Errorf("NotifyPayloadFor = %+v", n)
	}
	if got := m.String(); got != "IKE_SA_INIT request 0 [ SA KE UNKN(99) No ]" {
		t.Errorf("summary %q", got)
	}

	// critical unknown inside SK, seen after decryption
	ah := hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, flags: FlagInitiator, mid: 2}
	m, err = Parse(msg(ah, sk(99, rep(1, 32))))
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(m, false); err != nil {
		t.Fatalf("before decryption: %v", err)
	}
	inner, err := ParsePayloads(99, chain(crit, pl(PayloadDelete, []byte{1, 0, 0, 0})))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetDecrypted(inner); err != nil {
		t.Fatal(err)
	}
	if err := Check(m, true); !errors.As(err, &ce) || ce.Type != 99 {
		t.Errorf("critical inside SK: %v", err)
	}

	// known payloads with the critical bit or reserved bits set: accepted,
	// re-emitted with them cleared (RFC 7296 section 3.2), and stable.
	odd := msg(h, saIKE, keX25519, noncePl)
	odd[28+1] = 0xff
	m, err = Parse(odd)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := m.AppendMarshal(nil)
	odd[28+1] = 0
	if !bytes.Equal(out, odd) {
		t.Error("flags of a known payload not cleared")
	}
	checkRoundTrip(t, out)
}

// TestCheckEncryptionPlacement: an SK payload must be last, and nothing
// may be hand-built around that rule.
func TestCheckEncryptionPlacement(t *testing.T) {
	m := &Message{Header: Header{SPIi: 1, Exchange: ExchangeInformational},
		Payloads: []Payload{&Encrypted{}, &Notify{NotifyType: NotifyCookie2}}}
	if err := Check(m, false); !errors.Is(err, ErrEncryptedPosition) {
		t.Errorf("SK not last: %v", err)
	}
	m.Payloads = []Payload{nil}
	if err := Check(m, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil payload: %v", err)
	}
}
