package crypto

import (
	"bytes"
	"crypto/mlkem"
	"errors"
	"math/big"
	"testing"

	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

// RFC 5903 §8: private keys i and r, public values g^i and g^r in the IKE
// encoding x | y, and the shared secret g^ir (its x coordinate).
var rfc5903Vectors = []struct {
	method                   uint16
	i, gix, giy, r, grx, gry string
	girx                     string
}{
	{KEECP256, // §8.1
		"C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
		"DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
		"5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
		"C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
		"D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
		"56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
		"D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"},
	{KEECP384, // §8.2
		"099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
		"667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA",
		"9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
		"41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
		"E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571",
		"DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
		"11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"},
	{KEECP521, // §8.3
		"0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85A30FE1C2952C6771D937BA9777F5957B2639BAB072462F68C27A57382D4A52",
		"0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E",
		"017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10AD8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
		"0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D600B343757A3BDBF2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9",
		"00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F",
		"015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
		"01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E73CA4BAA240A34786859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA"},
}

func TestECPRFC5903(t *testing.T) {
	for _, v := range rfc5903Vectors {
		t.Run(AlgorithmName(TransformKE, v.method), func(t *testing.T) {
			i, err := NewKeyExchange(v.method, bytes.NewReader(unhex(t, v.i)))
			if err != nil {
				t.Fatal(err)
			}
			gi := unhex(t, v.gix+v.giy)
			gr := unhex(t, v.grx+v.gry)
			if !bytes.Equal(i.PublicValue(), gi) {
				t.Errorf("g^i = %X, want %X", i.PublicValue(), gi)
			}
			z, err := i.SharedSecret(gr)
			if err != nil || !bytes.Equal(z, unhex(t, v.girx)) {
				t.Errorf("g^ir = %X, %v", z, err)
			}
			value, z2, err := RespondKeyExchange(v.method, gi, bytes.NewReader(unhex(t, v.r)))
			if err != nil || !bytes.Equal(value, gr) || !bytes.Equal(z2, z) {
				t.Errorf("responder: %X %X %v", value, z2, err)
			}
			// invalid values: wrong length, with the 0x04 prefix, off the curve
			for _, bad := range [][]byte{gr[1:], append([]byte{4}, gr...), flip(gr, len(gr)-1)} {
				if _, err := i.SharedSecret(bad); !errors.Is(err, ErrInvalidKE) {
					t.Errorf("invalid value accepted: %v", err)
				}
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func TestCurve25519And448Vectors(t *testing.T) {
	for _, c := range []struct {
		method uint16
		v      struct{ privA, privB, pubA, pubB, shared string }
	}{{KECurve25519, x25519Vector}, {KECurve448, x448Vector}} {
		t.Run(AlgorithmName(TransformKE, c.method), func(t *testing.T) {
			a, err := NewKeyExchange(c.method, bytes.NewReader(unhex(t, c.v.privA)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.PublicValue(), unhex(t, c.v.pubA)) {
				t.Errorf("public A = %x", a.PublicValue())
			}
			z, err := a.SharedSecret(unhex(t, c.v.pubB))
			if err != nil || !bytes.Equal(z, unhex(t, c.v.shared)) {
				t.Errorf("shared = %x, %v", z, err)
			}
			value, z2, err := RespondKeyExchange(c.method, unhex(t, c.v.pubA), bytes.NewReader(unhex(t, c.v.privB)))
			if err != nil || !bytes.Equal(value, unhex(t, c.v.pubB)) || !bytes.Equal(z2, z) {
				t.Errorf("responder: %x %x %v", value, z2, err)
			}
			pub := unhex(t, c.v.pubB)
			if _, err := a.SharedSecret(pub[1:]); !errors.Is(err, ErrInvalidKE) {
				t.Errorf("short value: %v", err)
			}
			// the all-zero point has low order: all-zero secret, rejected
			if _, err := a.SharedSecret(make([]byte, len(pub))); !errors.Is(err, ErrInvalidKE) {
				t.Errorf("zero point: %v", err)
			}
		})
	}
}

// RFC 2409 §6 and RFC 3526 define p = 2^n - 2^(n-64) - 1 + 2^64 *
// (floor(2^(n-130) * pi) + k); rederive each prime from pi and k and
// compare with the transcribed constant.
func TestMODPPrimesFromPi(t *testing.T) {
	ks := map[uint16]struct {
		bits int
		k    int64
	}{
		KEMODP768: {768, 149686}, KEMODP1024: {1024, 129093}, KEMODP1536: {1536, 741804},
		KEMODP2048: {2048, 124476}, KEMODP3072: {3072, 1690314}, KEMODP4096: {4096, 240904},
		KEMODP6144: {6144, 929484}, KEMODP8192: {8192, 4743158},
	}
	pi := piFixed(8192 + 64)
	for id, c := range ks {
		g := modpGroups[id]
		n := c.bits
		fl := new(big.Int).Rsh(pi, uint(8192+64-(n-130))) // floor(2^(n-130) * pi)
		p := new(big.Int).Lsh(big.NewInt(1), uint(n))
		p.Sub(p, new(big.Int).Lsh(big.NewInt(1), uint(n-64)))
		p.Sub(p, big.NewInt(1))
		p.Add(p, new(big.Int).Lsh(fl.Add(fl, big.NewInt(c.k)), 64))
		if p.Cmp(g.p) != 0 {
			t.Errorf("%s: prime differs from the RFC formula", AlgorithmName(TransformKE, id))
		}
		if g.g.Int64() != 2 || g.size != n/8 {
			t.Errorf("%s: generator %v size %d", AlgorithmName(TransformKE, id), g.g, g.size)
		}
	}
}

// piFixed returns floor(pi * 2^prec) (Machin's formula, with guard bits).
func piFixed(prec uint) *big.Int {
	guard := uint(32)
	one := new(big.Int).Lsh(big.NewInt(1), prec+guard)
	arctanInv := func(x int64) *big.Int {
		sum := new(big.Int)
		xx := big.NewInt(x * x)
		term := new(big.Int).Div(one, big.NewInt(x))
		for k := int64(0); term.Sign() != 0; k++ {
			tk := new(big.Int).Div(term, big.NewInt(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, tk)
			} else {
				sum.Sub(sum, tk)
			}
			term.Div(term, xx)
		}
		return sum
	}
	pi := new(big.Int).Mul(big.NewInt(16), arctanInv(5))
	pi.Sub(pi, new(big.Int).Mul(big.NewInt(4), arctanInv(239)))
	return pi.Rsh(pi, guard)
}

// RFC 5114 groups: p and q prime, q | p-1, g of order q.
func TestMODPRFC5114Groups(t *testing.T) {
	for _, id := range []uint16{KEMODP1024s160, KEMODP2048s224, KEMODP2048s256} {
		g := modpGroups[id]
		name := AlgorithmName(TransformKE, id)
		if !g.p.ProbablyPrime(16) || !g.q.ProbablyPrime(16) {
			t.Errorf("%s: p or q not prime", name)
		}
		if new(big.Int).Mod(g.pm1, g.q).Sign() != 0 {
			t.Errorf("%s: q does not divide p-1", name)
		}
		if g.g.Cmp(big.NewInt(1)) <= 0 || new(big.Int).Exp(g.g, g.q, g.p).Cmp(big.NewInt(1)) != 0 {
			t.Errorf("%s: g not of order q", name)
		}
	}
}

func TestKERoundTrips(t *testing.T) {
	methods := []uint16{KEMODP768, KEMODP1024, KEMODP1536, KEMODP2048, KEMODP3072,
		KEMODP4096, KEMODP6144, KEMODP8192, KEMODP1024s160, KEMODP2048s224,
		KEMODP2048s256, KEECP256, KEECP384, KEECP521, KECurve25519, KECurve448,
		KEMLKEM512, KEMLKEM768, KEMLKEM1024}
	for _, m := range methods {
		t.Run(AlgorithmName(TransformKE, m), func(t *testing.T) {
			if !SupportedKE(m) {
				t.Fatal("not supported")
			}
			ini, err := NewKeyExchange(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ini.Method() != m {
				t.Errorf("method %d", ini.Method())
			}
			value, rs, err := RespondKeyExchange(m, ini.PublicValue(), nil)
			if err != nil {
				t.Fatal(err)
			}
			is, err := ini.SharedSecret(value)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(is, rs) || len(is) == 0 {
				t.Fatalf("secrets differ: %x %x", is, rs)
			}
			if _, err := ini.SharedSecret(value[1:]); !errors.Is(err, ErrInvalidKE) {
				t.Errorf("short responder value: %v", err)
			}
			if _, _, err := RespondKeyExchange(m, ini.PublicValue()[1:], nil); !errors.Is(err, ErrInvalidKE) {
				t.Errorf("short initiator value: %v", err)
			}
			if IsKEM(m) {
				// implicit rejection: a modified ciphertext gives another secret
				z, err := ini.SharedSecret(flip(value, 3))
				if err != nil || bytes.Equal(z, is) {
					t.Errorf("modified ciphertext: %x %v", z, err)
				}
			}
		})
	}
}

func TestMODPInvalidValues(t *testing.T) {
	for _, id := range []uint16{KEMODP2048, KEMODP2048s256} {
		g := modpGroups[id]
		ke, err := NewKeyExchange(id, nil)
		if err != nil {
			t.Fatal(err)
		}
		enc := func(v *big.Int) []byte { return v.FillBytes(make([]byte, g.size)) }
		for name, v := range map[string][]byte{
			"0":   enc(big.NewInt(0)),
			"1":   enc(big.NewInt(1)),
			"p-1": enc(g.pm1),
			"p":   enc(g.p),
			"max": bytes.Repeat([]byte{0xff}, g.size),
		} {
			if _, err := ke.SharedSecret(v); !errors.Is(err, ErrInvalidKE) {
				t.Errorf("%s: y=%s accepted: %v", AlgorithmName(TransformKE, id), name, err)
			}
		}
		if g.q != nil {
			// an element of order 2*q (p-1 has other factors): outside the subgroup
			if _, err := ke.SharedSecret(enc(big.NewInt(3))); err == nil &&
				new(big.Int).Exp(big.NewInt(3), g.q, g.p).Cmp(big.NewInt(1)) != 0 {
				t.Errorf("element outside the subgroup accepted")
			}
		}
	}
}

func TestMLKEMInterop(t *testing.T) {
	// crypto/mlkem decapsulates what circl encapsulates to its key and
	// vice versa (both implement FIPS 203).
	ini, err := NewKeyExchange(KEMLKEM768, nil)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := mlkem768.Scheme().UnmarshalBinaryPublicKey(ini.PublicValue())
	if err != nil {
		t.Fatal(err)
	}
	ct, ss, err := mlkem768.Scheme().Encapsulate(pk)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ini.SharedSecret(ct)
	if err != nil || !bytes.Equal(got, ss) {
		t.Fatalf("stdlib decapsulation of circl ciphertext: %v", err)
	}
	cpk, csk, _ := mlkem768.GenerateKeyPair(nil)
	ek := make([]byte, mlkem768.PublicKeySize)
	cpk.Pack(ek)
	value, secret, err := RespondKeyExchange(KEMLKEM768, ek, nil)
	if err != nil {
		t.Fatal(err)
	}
	z := make([]byte, 32)
	csk.DecapsulateTo(z, value)
	if !bytes.Equal(z, secret) {
		t.Fatal("circl decapsulation of stdlib ciphertext differs")
	}
	// an encapsulation key failing the modulus check (a coefficient >= q)
	bad := bytes.Repeat([]byte{0xff}, mlkem.EncapsulationKeySize768)
	if _, _, err := RespondKeyExchange(KEMLKEM768, bad, nil); !errors.Is(err, ErrInvalidKE) {
		t.Errorf("bad encapsulation key: %v", err)
	}
	if _, _, err := RespondKeyExchange(KEMLKEM512, bytes.Repeat([]byte{0xff}, 800), nil); !errors.Is(err, ErrInvalidKE) {
		t.Errorf("bad ML-KEM-512 encapsulation key: %v", err)
	}
	// deterministic key generation from an injected reader
	seed := bytes.Repeat([]byte{7}, 64)
	a, _ := NewKeyExchange(KEMLKEM1024, bytes.NewReader(seed))
	b, _ := NewKeyExchange(KEMLKEM1024, bytes.NewReader(seed))
	if !bytes.Equal(a.PublicValue(), b.PublicValue()) {
		t.Error("ML-KEM-1024 key generation not deterministic")
	}
}

func TestUnsupportedKE(t *testing.T) {
	if _, err := NewKeyExchange(KENone, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("KE_NONE: %v", err)
	}
	if _, _, err := RespondKeyExchange(28, nil, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ECP_256_BP: %v", err)
	}
}
