package crypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestSKEYSEEDCAVP(t *testing.T) {
	for _, v := range skeyseedVectors {
		t.Run(v.name, func(t *testing.T) {
			nonces := unhex(t, v.nonces)
			ni, nr := nonces[:len(nonces)/2], nonces[len(nonces)/2:]
			got, err := SKEYSEED(v.prf, ni, nr, unhex(t, v.gir))
			if err != nil || !bytes.Equal(got, unhex(t, v.out)) {
				t.Errorf("SKEYSEED = %x, %v", got, err)
			}
		})
	}
}

func TestPRFPlusCAVP(t *testing.T) {
	for _, v := range prfPlusVectors {
		t.Run(v.name, func(t *testing.T) {
			want := unhex(t, v.out)
			got, err := PRFPlus(v.prf, unhex(t, v.key), unhex(t, v.seed), len(want))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("prf+ = %x, %v", got, err)
			}
		})
	}
}

// NIST CAVP SP 800-135 IKEv2 KDF, [SHA-1] COUNT = 0 (Ni/Nr 64 bits, g^ir 256
// bits, DKM 1056 bits), with all five outputs; as recorded with
// libreswan's CAVS driver (programs/ikev2_kdf).
func TestIKEv2KDFCAVPSHA1(t *testing.T) {
	gir := unhex(t, "4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52")
	girNew := unhex(t, "863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330")
	ni, nr := unhex(t, "32b50d5f4a3763f3"), unhex(t, "9206a04b26564cb1")
	spii, spir := unhex(t, "34c9e7c188868785"), unhex(t, "3ff77d760d2b2199")
	const dkmLen = 132

	skeyseed, err := SKEYSEED(PRFHMACSHA1, ni, nr, gir)
	if err != nil || !bytes.Equal(skeyseed, unhex(t, "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7")) {
		t.Fatalf("SKEYSEED = %x, %v", skeyseed, err)
	}
	seed := append(append(append(append([]byte(nil), ni...), nr...), spii...), spir...)
	dkm, err := PRFPlus(PRFHMACSHA1, skeyseed, seed, dkmLen)
	wantDKM := unhex(t, "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd11198af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4")
	if err != nil || !bytes.Equal(dkm, wantDKM) {
		t.Fatalf("DKM = %x, %v", dkm, err)
	}
	skd := dkm[:20]

	// The same through DeriveIKEKeys: with AES-CBC-128/HMAC-SHA1-96 the
	// seven keys take 20+20+20+16+16+20+20 = 132 bytes.
	p, err := ParseProposal(ProtoIKE, "aes128-sha1-modp2048")
	if err != nil {
		t.Fatal(err)
	}
	k, err := DeriveIKEKeys(p, ni, nr, gir, spii, spir)
	if err != nil {
		t.Fatal(err)
	}
	all := bytes.Join([][]byte{k.SKd, k.SKai, k.SKar, k.SKei, k.SKer, k.SKpi, k.SKpr}, nil)
	if !bytes.Equal(all, wantDKM) {
		t.Errorf("DeriveIKEKeys = %x", all)
	}

	child, err := PRFPlus(PRFHMACSHA1, skd, append(append([]byte(nil), ni...), nr...), dkmLen)
	if err != nil || !bytes.Equal(child, unhex(t, "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4")) {
		t.Errorf("DKM(Child SA) = %x, %v", child, err)
	}
	// DeriveChildKeys splits the same stream: AES-256 (32) + SHA1 (20),
	// twice, is the first 104 bytes.
	esp, _ := ParseProposal(ProtoESP, "aes256-sha1")
	ck, err := DeriveChildKeys(esp, PRFHMACSHA1, skd, ni, nr)
	if err != nil || !bytes.Equal(bytes.Join([][]byte{ck.EncrI, ck.IntegI, ck.EncrR, ck.IntegR}, nil), child[:104]) {
		t.Errorf("DeriveChildKeys = %+v, %v", ck, err)
	}

	childDH := unhex(t, "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a5197dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c")
	ck, err = DeriveChildKeys(esp, PRFHMACSHA1, skd, ni, nr, girNew)
	if err != nil || !bytes.Equal(bytes.Join([][]byte{ck.EncrI, ck.IntegI, ck.EncrR, ck.IntegR}, nil), childDH[:104]) {
		t.Errorf("DKM(Child SA D-H) mismatch: %+v, %v", ck, err)
	}

	rekey, err := RekeySKEYSEED(PRFHMACSHA1, skd, ni, nr, girNew)
	if err != nil || !bytes.Equal(rekey, unhex(t, "63e81194946ebd05df7df5ebf5d8750056bf1f1d")) {
		t.Errorf("SKEYSEED(Rekey) = %x, %v", rekey, err)
	}
}

func TestPRFPlusLimit(t *testing.T) {
	if _, err := PRFPlus(PRFHMACSHA2256, []byte("k"), nil, 255*32); err != nil {
		t.Errorf("255 iterations: %v", err)
	}
	if _, err := PRFPlus(PRFHMACSHA2256, []byte("k"), nil, 255*32+1); !errors.Is(err, ErrPRFPlusTooLong) {
		t.Errorf("256 iterations: %v", err)
	}
	if _, err := PRFPlus(3, nil, nil, 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("PRF_HMAC_TIGER: %v", err)
	}
	// prefixes agree
	a, _ := PRFPlus(PRFAES128XCBC, []byte("0123456789abcdef"), []byte("seed"), 100)
	b, _ := PRFPlus(PRFAES128XCBC, []byte("0123456789abcdef"), []byte("seed"), 33)
	if !bytes.Equal(a[:33], b) {
		t.Error("prf+ prefix differs")
	}
}

// RFC 7296 §2.14: for PRFs with a fixed key size the SKEYSEED key is the
// first half of Ni followed by the first half of Nr: 8 + 8 bytes for
// AES-XCBC-PRF-128 and AES-CMAC-PRF-128.
func TestSKEYSEEDFixedKeyPRF(t *testing.T) {
	ni := bytes.Repeat([]byte{0x11}, 32)
	nr := bytes.Repeat([]byte{0x22}, 32)
	g := []byte("shared secret")
	for _, prf := range []uint16{PRFAES128XCBC, PRFAES128CMAC} {
		got, err := SKEYSEED(prf, ni, nr, g)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := PRF(prf, append(bytes.Repeat([]byte{0x11}, 8), bytes.Repeat([]byte{0x22}, 8)...), g)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: key is not Ni[:8] | Nr[:8]", AlgorithmName(TransformPRF, prf))
		}
	}
	// HMAC PRFs use the full nonces
	got, _ := SKEYSEED(PRFHMACSHA2256, ni, nr, g)
	want, _ := PRF(PRFHMACSHA2256, append(bytes.Clone(ni), nr...), g)
	if !bytes.Equal(got, want) {
		t.Error("HMAC: key is not Ni | Nr")
	}
}

func TestIKEKeyLengths(t *testing.T) {
	for _, c := range []struct {
		proposal       string
		d, a, e, total int
	}{
		{"aes128-sha256-modp2048", 32, 32, 16, 3*32 + 2*32 + 2*16},
		{"aes256-sha512-prfsha384-ecp256", 48, 64, 32, 3*48 + 2*64 + 2*32},
		{"3des-sha1-modp2048", 20, 20, 24, 0},
		{"aes128gcm16-prfsha256-ecp256", 32, 0, 20, 0},
		{"aes256gcm8-prfsha512-ecp256", 64, 0, 36, 0},
		{"chacha20poly1305-prfsha256-x25519", 32, 0, 36, 0},
		{"chacha20poly1305compat-prfsha256-x25519", 32, 0, 36, 0},
		{"aes192-aesxcbc-ecp384", 16, 16, 24, 0},
		{"aes128-aescmac-ecp384", 16, 16, 16, 0},
	} {
		p, err := ParseProposal(ProtoIKE, c.proposal)
		if err != nil {
			t.Fatal(err)
		}
		k, err := DeriveIKEKeys(p, make([]byte, 16), make([]byte, 16), []byte{1}, make([]byte, 8), make([]byte, 8))
		if err != nil {
			t.Fatalf("%s: %v", c.proposal, err)
		}
		if len(k.SKd) != c.d || len(k.SKpi) != c.d || len(k.SKpr) != c.d ||
			len(k.SKai) != c.a || len(k.SKar) != c.a || len(k.SKei) != c.e || len(k.SKer) != c.e {
			t.Errorf("%s: lengths d=%d a=%d e=%d", c.proposal, len(k.SKd), len(k.SKai), len(k.SKei))
		}
		out, in, err := k.SKs(p, true)
		if err != nil {
			t.Fatalf("%s: %v", c.proposal, err)
		}
		msg, err := out.Seal([]byte("hdr"), []byte("hdr"), []byte("payloads"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Open([]byte("hdr"), msg[3:]); !errors.Is(err, ErrIntegrity) {
			t.Errorf("%s: initiator's outbound key opened the inbound direction: %v", c.proposal, err)
		}
		rout, _, _ := k.SKs(p, false)
		rmsg, _ := rout.Seal(nil, []byte("hdr"), []byte("payloads"), nil)
		if pt, err := in.Open([]byte("hdr"), rmsg); err != nil || string(pt) != "payloads" {
			t.Errorf("%s: responder -> initiator: %q %v", c.proposal, pt, err)
		}
	}
}

func TestChildKeyLengths(t *testing.T) {
	for _, c := range []struct {
		proto    Protocol
		proposal string
		e, i     int
	}{
		{ProtoESP, "aes128-sha256", 16, 32},
		{ProtoESP, "aes256gcm16", 36, 0},
		{ProtoESP, "aes128gcm8", 20, 0},
		{ProtoESP, "aes192ctr-sha1", 28, 20},
		{ProtoESP, "aes128ccm12", 19, 0},
		{ProtoESP, "chacha20poly1305", 36, 0},
		{ProtoESP, "3des-sha384", 24, 48},
		{ProtoESP, "null-aesxcbc", 0, 16},
		{ProtoAH, "sha512", 0, 64},
	} {
		p, err := ParseProposal(c.proto, c.proposal)
		if err != nil {
			t.Fatal(err)
		}
		k, err := DeriveChildKeys(p, PRFHMACSHA2256, make([]byte, 32), []byte("ni"), []byte("nr"))
		if err != nil {
			t.Fatalf("%s: %v", c.proposal, err)
		}
		if len(k.EncrI) != c.e || len(k.EncrR) != c.e || len(k.IntegI) != c.i || len(k.IntegR) != c.i {
			t.Errorf("%s: %d/%d %d/%d", c.proposal, len(k.EncrI), len(k.EncrR), len(k.IntegI), len(k.IntegR))
		}
	}
}

// RFC 9370: the additional key exchange secrets follow the nonces in the
// CHILD_SA seed and in the SKEYSEED of a rekeyed IKE SA, and each
// IKE_INTERMEDIATE key exchange replaces the keys with prf(SK_d(n-1),
// SK(n) | Ni | Nr)-derived ones.
func TestRFC9370Derivations(t *testing.T) {
	skd := bytes.Repeat([]byte{0xd0}, 32)
	ni, nr := []byte("Ni-nonce-0123456"), []byte("Nr-nonce-6543210")
	g0, s1, s2 := []byte("g^ir"), []byte("SK(1)"), []byte("SK(2)")
	esp, _ := ParseProposal(ProtoESP, "aes128gcm16")
	ck, err := DeriveChildKeys(esp, PRFHMACSHA2256, skd, ni, nr, g0, s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	seed := bytes.Join([][]byte{g0, ni, nr, s1, s2}, nil)
	want, _ := PRFPlus(PRFHMACSHA2256, skd, seed, 40)
	if !bytes.Equal(append(bytes.Clone(ck.EncrI), ck.EncrR...), want) {
		t.Error("child seed is not SK(0) | Ni | Nr | SK(1) | SK(2)")
	}
	ss, _ := RekeySKEYSEED(PRFHMACSHA2256, skd, ni, nr, g0, s1, s2)
	wss, _ := PRF(PRFHMACSHA2256, skd, seed)
	if !bytes.Equal(ss, wss) {
		t.Error("rekey SKEYSEED is not prf(SK_d, SK(0) | Ni | Nr | SK(1) | SK(2))")
	}

	ike, _ := ParseProposal(ProtoIKE, "aes256gcm16-prfsha384-x25519-ke1_mlkem768")
	spii, spir := []byte("SPIiSPIi"), []byte("SPIrSPIr")
	k0, _ := DeriveIKEKeys(ike, ni, nr, g0, spii, spir)
	k1, err := DeriveAdditionalIKEKeys(ike, k0, ni, nr, spii, spir, s1)
	if err != nil {
		t.Fatal(err)
	}
	ss1, _ := PRF(PRFHMACSHA2384, k0.SKd, s1, ni, nr)
	k1b, _ := DeriveIKEKeysFromSKEYSEED(ike, PRFHMACSHA2384, ss1, ni, nr, spii, spir)
	if !bytes.Equal(k1.SKd, k1b.SKd) || !bytes.Equal(k1.SKer, k1b.SKer) || bytes.Equal(k1.SKd, k0.SKd) {
		t.Error("SKEYSEED(1) is not prf(SK_d(0), SK(1) | Ni | Nr)")
	}
	if _, err := RekeySKEYSEED(PRFHMACSHA2384, k0.SKd, ni, nr); err == nil {
		t.Error("rekey without secret accepted")
	}
}

// RFC 7296 §2.15 AUTH computations, checked against their definition.
func TestAuth(t *testing.T) {
	msg, nonce, skp, id := []byte("IKE_SA_INIT request"), []byte("Nr"), []byte("SK_pi key"), []byte{2, 0, 0, 0, 'a', 'b'}
	octets, err := AuthOctets(PRFHMACSHA2256, msg, nonce, skp, id)
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := PRF(PRFHMACSHA2256, skp, id)
	if !bytes.Equal(octets, bytes.Join([][]byte{msg, nonce, mac}, nil)) {
		t.Error("octets")
	}
	auth, err := SharedKeyAuth(PRFHMACSHA2256, []byte("secret"), octets)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := PRF(PRFHMACSHA2256, []byte("secret"), []byte("Key Pad for IKEv2"))
	want, _ := PRF(PRFHMACSHA2256, k, octets)
	if !bytes.Equal(auth, want) || len(auth) != 32 {
		t.Error("PSK AUTH")
	}
	// AES-XCBC PRF with a PSK longer than 16 bytes (RFC 4434 key rule)
	if _, err := SharedKeyAuth(PRFAES128XCBC, []byte("a rather long pre-shared key"), octets); err != nil {
		t.Error(err)
	}
}
