package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Expectations from strongSwan 5.9.8's test_proposal.c (create_data), plus
// RFC 9370 and goswan-specific cases. An empty want means the string is
// rejected.
func TestParseProposal(t *testing.T) {
	for _, c := range []struct {
		proto Protocol
		in    string
		want  string
	}{
		{ProtoIKE, "", ""},
		{ProtoIKE, "sha256", ""},
		{ProtoIKE, "sha256-modp3072", ""},
		// strongSwan accepts null in IKE proposals; goswan cannot protect IKE with it
		{ProtoIKE, "null-sha256-modp3072", ""},
		{ProtoIKE, "aes128", ""},
		{ProtoIKE, "aes128-sha256", ""},
		{ProtoIKE, "aes128-sha256-none", ""},
		{ProtoIKE, "aes128-prfsha256", ""},
		{ProtoIKE, "aes128-prfsha256-modp2048", ""},
		{ProtoIKE, "aes128-sha256-modp3072", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072"},
		{ProtoIKE, "aes128-sha256-prfsha384-modp3072", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_384/MODP_3072"},
		{ProtoIKE, "aes128gcm16-modp3072", ""},
		{ProtoIKE, "aes128gcm16-prfsha256-modp3072", "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/MODP_3072"},
		{ProtoIKE, "aes128gcm16-sha256-modp3072", "IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/MODP_3072"},
		{ProtoIKE, "aes128gcm16-aes128-modp3072", ""},
		{ProtoIKE, "aes128gcm16-aes128-sha256-modp3072", ""},
		{ProtoESP, "", ""},
		{ProtoESP, "sha256", ""},
		{ProtoESP, "aes128-sha256", "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-esn", "ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ"},
		{ProtoESP, "aes128-sha256-noesn", "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-esn-noesn", "ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-prfsha256-modp3072", "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_3072/NO_EXT_SEQ"},
		{ProtoESP, "aes128gcm16-aes128-sha256-modp3072", ""},
		{ProtoAH, "", ""},
		{ProtoAH, "aes128", ""},
		{ProtoAH, "aes128-sha256", "AH:HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoAH, "sha256-sha1", "AH:HMAC_SHA2_256_128/HMAC_SHA1_96/NO_EXT_SEQ"},
		{ProtoAH, "sha256-esn", "AH:HMAC_SHA2_256_128/EXT_SEQ"},
		{ProtoAH, "sha256-noesn", "AH:HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoAH, "sha256-esn-noesn", "AH:HMAC_SHA2_256_128/EXT_SEQ/NO_EXT_SEQ"},
		{ProtoIKE, "chacha20poly1305-prfsha256-ecp256", "IKE:CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_256"},
		// more
		{ProtoIKE, "aes256-sha256-modp3072", "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072"},
		{ProtoIKE, "aes128-sha1", ""}, // no KE
		{ProtoIKE, "aes128-sha1-modp2048", "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048"},
		{ProtoIKE, "aes-sha-modp1024", "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024"},
		{ProtoIKE, "3des-md5-modp1024", ""}, // md5 not supported
		{ProtoIKE, "aes128-aesxcbc-aescmac-ecp256", "IKE:AES_CBC_128/AES_XCBC_96/AES_CMAC_96/PRF_AES128_XCBC/PRF_AES128_CMAC/ECP_256"},
		{ProtoIKE, "aes128-sha256-sha1-ecp256-curve25519-x448", "IKE:AES_CBC_128/HMAC_SHA2_256_128/HMAC_SHA1_96/PRF_HMAC_SHA2_256/PRF_HMAC_SHA1/ECP_256/CURVE_25519/CURVE_448"},
		{ProtoIKE, "aes256gcm16-aes128gcm16-prfsha384-x25519-ke1_mlkem768", "IKE:AES_GCM_16_256/AES_GCM_16_128/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768"},
		{ProtoIKE, "aes256gcm16-prfsha384-ecp384-ke1_mlkem768-ke1_none-ke2_mlkem1024-KE3_modp2048", "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384/KE1_ML_KEM_768/KE1_KE_NONE/KE2_ML_KEM_1024/KE3_MODP_2048"},
		{ProtoIKE, "aes128-sha256-modp3072-ke8_ecp256", ""},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_aes128", ""},
		{ProtoIKE, "aes128gcm8-aes192gcm12-aes256gcm-prfsha512-modp8192", "IKE:AES_GCM_8_128/AES_GCM_12_192/AES_GCM_16_256/PRF_HMAC_SHA2_512/MODP_8192"},
		{ProtoIKE, "aes128ccm16-prfsha256-ecp256", ""}, // CCM not for IKE
		{ProtoIKE, " aes128 - sha256 - - ecp256 ", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256"},
		{ProtoIKE, "chacha20poly1305compat-prfsha256-ecp256", "IKE:CHACHA20_POLY1305_256/PRF_HMAC_SHA2_256/ECP_256"},
		{ProtoIKE, "aes128-sha256-modp3072-esn", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072/EXT_SEQ"},
		{ProtoIKE, "aes128-sha256-modp2048s256-modp1024s160", "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048_256/MODP_1024_160"},
		{ProtoESP, "aes128gcm16", "ESP:AES_GCM_16_128/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-modp2048", "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"},
		{ProtoESP, "null-sha1", "ESP:NULL/HMAC_SHA1_96/NO_EXT_SEQ"},
		{ProtoESP, "aes128ctr-aes256ccm12-sha1", ""}, // mixed AEAD and classic
		{ProtoESP, "aes256ccm12-aes128gcm16", "ESP:AES_CCM_12_256/AES_GCM_16_128/NO_EXT_SEQ"},
		{ProtoESP, "aes128-sha256-none-modp2048", "ESP:AES_CBC_128/HMAC_SHA2_256_128/KE_NONE/MODP_2048/NO_EXT_SEQ"},
		{ProtoESP, "aes128gmac", ""},
	} {
		p, err := ParseProposal(c.proto, c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("%s %q: accepted as %s", c.proto, c.in, p)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", c.proto, c.in, err)
			continue
		}
		if got := p.String(); got != c.want {
			t.Errorf("%s %q:\n got %s\nwant %s", c.proto, c.in, got, c.want)
		}
	}
}

func TestParseProposalErrors(t *testing.T) {
	for in, want := range map[string]string{
		"aes128-sha257-modp2048":         "algorithm 'sha257' not recognized",
		"aes128-sha256-modp2048-foo":     "algorithm 'foo' not recognized",
		"camellia256-sha256-modp2048":    "algorithm 'camellia256'",
		"aes128-sha256-ecp256bp":         "algorithm 'ecp256bp'",
		"aes128-sha256-ecp256-ke1_x":     "algorithm 'ke1_x' not recognized",
		"aes128-sha256":                  "a DH group is mandatory",
		"aes128-ecp256":                  "PRF algorithm is mandatory",
		"aes128-prfsha256-ecp256":        "integrity algorithm is mandatory",
		"aes128gcm16-ecp256":             "PRF algorithm is mandatory",
		"aes128-aes128gcm16-sha1-ecp256": "classic and combined-mode",
	} {
		_, err := ParseProposal(ProtoIKE, in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	if _, err := ParseProposal(ProtoIKE, "camellia-sha1-modp2048"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("camellia: %v", err)
	}
}

const (
	defaultIKE     = "IKE:AES_CBC_128/AES_CBC_192/AES_CBC_256/3DES_CBC/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/AES_CMAC_96/PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_AES128_XCBC/PRF_AES128_CMAC/PRF_HMAC_SHA1/CURVE_25519/CURVE_448/ECP_256/ECP_384/ECP_521/MODP_3072/MODP_4096/MODP_6144/MODP_8192/MODP_2048"
	defaultIKEAEAD = "IKE:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/CHACHA20_POLY1305/AES_GCM_12_128/AES_GCM_12_192/AES_GCM_12_256/AES_GCM_8_128/AES_GCM_8_192/AES_GCM_8_256/PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_AES128_XCBC/PRF_AES128_CMAC/PRF_HMAC_SHA1/CURVE_25519/CURVE_448/ECP_256/ECP_384/ECP_521/MODP_3072/MODP_4096/MODP_6144/MODP_8192/MODP_2048"
	defaultESP     = "ESP:AES_CBC_128/AES_CBC_192/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ"
	defaultESPAEAD = "ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ"
	defaultAH      = "AH:HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ"
)

func TestParseProposals(t *testing.T) {
	for _, c := range []struct {
		proto Protocol
		in    string
		want  string // FormatProposals, or "error"
	}{
		{ProtoIKE, "", defaultIKE + ", " + defaultIKEAEAD},
		{ProtoESP, "", defaultESP + ", " + defaultESPAEAD},
		{ProtoAH, "", defaultAH},
		{ProtoIKE, "aes256-sha256-modp3072,aes128gcm16-prfsha256-ecp256!",
			"IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072, IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256"},
		{ProtoIKE, "aes256-sha256-modp3072,aes128gcm16-prfsha256-ecp256",
			"IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072, IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/ECP_256, " + defaultIKE + ", " + defaultIKEAEAD},
		{ProtoIKE, "aes128-sha1-modp2048!", "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048"},
		{ProtoIKE, "aes256gcm16-aes128gcm16-prfsha384-x25519-ke1_mlkem768!", "IKE:AES_GCM_16_256/AES_GCM_16_128/PRF_HMAC_SHA2_384/CURVE_25519/KE1_ML_KEM_768"},
		{ProtoESP, "aes128-sha256-modp2048!", "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"},
		{ProtoESP, "aes128gcm16", "ESP:AES_GCM_16_128/NO_EXT_SEQ, " + defaultESP + ", " + defaultESPAEAD},
		{ProtoESP, "aes128gcm16-esn-noesn!", "ESP:AES_GCM_16_128/EXT_SEQ/NO_EXT_SEQ"},
		{ProtoESP, "null-sha256!", "ESP:NULL/HMAC_SHA2_256_128/NO_EXT_SEQ"},
		{ProtoAH, "sha1!", "AH:HMAC_SHA1_96/NO_EXT_SEQ"},
		{ProtoIKE, "aes128-sha1-modp2048,,aes256-sha256-ecp256", "error"},
		{ProtoIKE, "aes128!-sha1-modp2048", "error"},
		{ProtoIKE, "aes128-sha1-modp2048,bogus!", "error"},
		{ProtoIKE, "!", "error"},
	} {
		ps, err := ParseProposals(c.proto, c.in)
		if c.want == "error" {
			if err == nil {
				t.Errorf("%q accepted: %s", c.in, FormatProposals(ps))
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := FormatProposals(ps); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
		for i, p := range ps {
			if int(p.Number) != i+1 {
				t.Errorf("%q: proposal %d numbered %d", c.in, i, p.Number)
			}
		}
	}
	_, err := ParseProposals(ProtoIKE, "aes128-sha1-modp2048,bogus")
	if err == nil || !strings.Contains(err.Error(), "'bogus'") {
		t.Errorf("error does not name the keyword: %v", err)
	}
}

func mustParse(t testing.TB, proto Protocol, s string) *Proposal {
	t.Helper()
	p, err := ParseProposal(proto, s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return p
}

// Expectations from strongSwan's test_proposal.c select_data (proposal.c
// select), including the RFC 9370 cases of strongSwan 6.
func TestSelectOne(t *testing.T) {
	for _, c := range []struct {
		proto             Protocol
		self, other, want string
		flags             SelectFlags
	}{
		{ProtoESP, "aes128", "aes128", "aes128", 0},
		{ProtoESP, "aes128", "aes256", "", 0},
		{ProtoESP, "aes128-aes256", "aes256-aes128", "aes128", 0},
		{ProtoESP, "aes256-aes128", "aes128-aes256", "aes256", 0},
		{ProtoESP, "aes128-aes256-sha1-sha256", "aes256-aes128-sha256-sha1", "aes128-sha1", 0},
		{ProtoESP, "aes256-aes128-sha256-sha1", "aes128-aes256-sha1-sha256", "aes256-sha256", 0},
		{ProtoESP, "aes128-sha256-modp3072", "aes128-sha256", "", 0},
		{ProtoESP, "aes128-sha256-modp3072", "aes128-sha256", "aes128-sha256", SkipKE},
		{ProtoESP, "aes128-sha256", "aes128-sha256-modp3072", "", 0},
		{ProtoESP, "aes128-sha256", "aes128-sha256-modp3072", "aes128-sha256", SkipKE},
		{ProtoESP, "aes128-sha256-modp3072", "aes128-sha256-modp3072", "aes128-sha256", SkipKE},
		{ProtoESP, "aes128-sha256-modp3072", "aes128-sha256-ecp256", "aes128-sha256", SkipKE},
		{ProtoESP, "aes128-sha256-modp3072", "aes128-sha256-none", "", 0},
		{ProtoESP, "aes128-sha256-none", "aes128-sha256-modp3072", "", 0},
		{ProtoESP, "aes128-sha256-modp3072-none", "aes128-sha256", "aes128-sha256", 0},
		{ProtoESP, "aes128-sha256", "aes128-sha256-modp3072-none", "aes128-sha256", 0},
		{ProtoESP, "aes128-sha256-modp3072-none", "aes128-sha256-none-modp3072", "aes128-sha256-modp3072", 0},
		{ProtoESP, "aes128-sha256-none-modp3072", "aes128-sha256-modp3072-none", "aes128-sha256", 0},
		{ProtoESP, "aes128-sha256-esn", "aes128-sha256-esn", "aes128-sha256-esn", 0},
		{ProtoESP, "aes128-sha256-noesn", "aes128-sha256-esn", "", 0},
		{ProtoESP, "aes128-sha256-noesn-esn", "aes128-sha256-esn", "aes128-sha256-esn", 0},
		{ProtoESP, "aes128-sha256-noesn-esn", "aes128-sha256", "aes128-sha256", 0},
		{ProtoESP, "aes128-sha256-esn-noesn", "aes128-sha256-noesn-esn", "aes128-sha256-esn", 0},
		{ProtoIKE, "aes128-sha256-modp3072", "aes128-sha256-modp3072", "aes128-sha256-modp3072", 0},
		{ProtoIKE, "aes128-sha256-modp3072", "aes128-sha256-modp3072-none", "aes128-sha256-modp3072", 0},
		{ProtoIKE, "aes128-sha256-modp3072-none", "aes128-sha256-modp3072", "aes128-sha256-modp3072", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_modp3072", "aes128-sha256-modp3072-ke1_modp3072", "", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ecp256-ecp384-ke1_modp3072-ke1_ecp256-ke1_ecp384-ke2_modp3072-ke2_ecp256-ke2_ecp384",
			"aes128-sha256-modp3072-ecp256-ecp384-ke1_modp3072-ke1_ecp256-ke1_ecp384-ke2_modp3072-ke2_ecp256-ke2_ecp384",
			"aes128-sha256-modp3072-ke1_ecp256-ke2_ecp384", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_modp3072-ke1_none", "aes128-sha256-modp3072-ke1_modp3072-ke1_none", "aes128-sha256-modp3072", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_modp3072-ke1_none-ke2_modp3072-ke2_none",
			"aes128-sha256-modp3072-ke1_modp3072-ke1_none-ke2_modp3072-ke2_none", "aes128-sha256-modp3072", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_modp3072-ke1_ecp256", "aes128-sha256-modp3072-ke1_modp3072-ke1_ecp256", "aes128-sha256-modp3072-ke1_ecp256", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_modp3072-ke1_ecp256", "aes128-sha256-modp3072-ke1_ecp256", "aes128-sha256-modp3072-ke1_ecp256", 0},
		{ProtoIKE, "aes128-sha256-modp3072-ke1_ecp256", "aes128-sha256-modp3072-ke1_modp3072-ke1_ecp256", "aes128-sha256-modp3072-ke1_ecp256", 0},
		{ProtoIKE, "aes128-sha256-ecp256-ke1_modp3072", "aes128-sha256-modp3072-ecp256-ke1_ecp256-ke2_ecp384", "", 0},
		// goswan additions
		{ProtoIKE, "aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256", 0},
		{ProtoIKE, "aes128gcm16-prfsha256-ecp256", "aes256gcm16-prfsha256-ecp256", "", 0},
		{ProtoIKE, "aes128-sha256-ecp256", "aes128-sha256-ecp384", "", 0},
		{ProtoIKE, "x25519-aes256gcm16-prfsha384-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem768", 0},
		{ProtoIKE, "aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519", "", 0},
		{ProtoIKE, "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none", "aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519", 0},
	} {
		self := mustParse(t, c.proto, c.self)
		other := mustParse(t, c.proto, c.other)
		sel, ok := selectOne(self, other, c.flags)
		if c.want == "" {
			if ok {
				t.Errorf("%s vs %s: selected %s", c.self, c.other, sel)
			}
			if Matches(self, other, c.flags) || Matches(other, self, c.flags) {
				t.Errorf("%s vs %s: Matches", c.self, c.other)
			}
			continue
		}
		if !ok {
			t.Errorf("%s vs %s: nothing selected", c.self, c.other)
			continue
		}
		if want := mustParse(t, c.proto, c.want); !want.Equal(sel) {
			t.Errorf("%s vs %s: selected %s, want %s", c.self, c.other, sel, want)
		}
		if !Matches(self, other, c.flags) || !Matches(other, self, c.flags) {
			t.Errorf("%s vs %s: not Matches", c.self, c.other)
		}
	}
}

// strongSwan's test_select_proposal, and SPI/number handling.
func TestSelectProposal(t *testing.T) {
	parse := func(ss []string) []*Proposal {
		var ps []*Proposal
		for i, s := range ss {
			p := mustParse(t, ProtoESP, s)
			p.Number = uint8(i + 1)
			ps = append(ps, p)
		}
		return ps
	}
	for _, c := range []struct {
		self, other []string
		want        string
		flags       SelectFlags
	}{
		{nil, nil, "", 0},
		{[]string{"aes128"}, nil, "", 0},
		{nil, []string{"aes128"}, "", 0},
		{[]string{"aes128"}, []string{"aes256"}, "", 0},
		{[]string{"aes128"}, []string{"aes128"}, "aes128", 0},
		{[]string{"aes128", "aes256"}, []string{"aes256", "aes128"}, "aes128", 0},
		{[]string{"aes128", "aes256"}, []string{"aes256", "aes128"}, "aes256", PreferReceived},
		{[]string{"aes128-modp1024", "aes256-modp1024"}, []string{"aes256-modp2048", "aes128-modp2048"}, "", 0},
		{[]string{"aes128-modp1024", "aes256-modp1024"}, []string{"aes256-modp2048", "aes128-modp2048"}, "aes128", SkipKE},
		{[]string{"aes128-modp1024", "aes256-modp1024"}, []string{"aes256-modp2048", "aes128-modp2048"}, "aes256", PreferReceived | SkipKE},
	} {
		sel, err := SelectProposal(parse(c.self), parse(c.other), c.flags)
		if c.want == "" {
			if !errors.Is(err, ErrNoProposalChosen) {
				t.Errorf("%v vs %v: %v %v", c.self, c.other, sel, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v vs %v: %v", c.self, c.other, err)
			continue
		}
		if want := mustParse(t, ProtoESP, c.want); !want.Equal(sel) {
			t.Errorf("%v vs %v: %s, want %s", c.self, c.other, sel, want)
		}
	}

	// The result carries the received proposal's number and SPI, whichever
	// list is preferred.
	conf := parse([]string{"aes128-sha256", "aes256-sha256"})
	recv := parse([]string{"aes256-sha256", "aes128-sha256"})
	recv[0].SPI, recv[1].SPI = []byte{1, 2, 3, 4}, []byte{5, 6, 7, 8}
	conf[0].SPI = []byte{9, 9, 9, 9}
	for _, flags := range []SelectFlags{0, PreferReceived} {
		sel, err := SelectProposal(conf, recv, flags)
		if err != nil {
			t.Fatal(err)
		}
		wantNum, wantSPI := uint8(2), []byte{5, 6, 7, 8}
		if flags == PreferReceived {
			wantNum, wantSPI = 1, []byte{1, 2, 3, 4}
		}
		if sel.Number != wantNum || !bytes.Equal(sel.SPI, wantSPI) {
			t.Errorf("flags %d: number %d SPI %x", flags, sel.Number, sel.SPI)
		}
		if len(sel.Transforms) != 3 {
			t.Errorf("not one transform per type: %s", sel)
		}
	}
	// protocol mismatch
	if _, err := SelectProposal([]*Proposal{mustParse(t, ProtoAH, "sha256")}, recv, 0); err == nil {
		t.Error("AH selected against ESP")
	}
}

func TestSelectPrivateAndUnknown(t *testing.T) {
	serpent := Transform{TransformENCR, 1026, 128} // SERPENT_CBC, private use
	conf := mustParse(t, ProtoESP, "aes128-sha256")
	conf.Transforms = append([]Transform{serpent}, conf.Transforms...)
	recv := mustParse(t, ProtoESP, "aes128-sha256")
	recv.Transforms = append([]Transform{serpent}, recv.Transforms...)
	sel, err := SelectProposal([]*Proposal{conf}, []*Proposal{recv}, 0)
	if err != nil || sel.String() != "ESP:SERPENT_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ" {
		t.Errorf("private allowed: %v %v", sel, err)
	}
	sel, err = SelectProposal([]*Proposal{conf}, []*Proposal{recv}, SkipPrivate)
	if err != nil || sel.String() != "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ" {
		t.Errorf("private skipped: %v %v", sel, err)
	}

	// unknown transform types (strongSwan's test_unknown_transform_types_*)
	self := mustParse(t, ProtoIKE, "aes128-sha256-ecp256")
	other := mustParse(t, ProtoIKE, "aes128-sha256-ecp256")
	other.Transforms = append(other.Transforms, Transform{242, 42, 0})
	if _, ok := selectOne(self, other, 0); ok {
		t.Error("unknown type only on one side selected")
	}
	self.Transforms = append(self.Transforms, Transform{242, 42, 128})
	other.Transforms = []Transform{}
	other.Transforms = append(mustParse(t, ProtoIKE, "aes128-sha256-ecp256").Transforms, Transform{242, 42, 128}, Transform{242, 1, 0})
	sel, ok := selectOne(self, other, 0)
	if !ok || sel.String() != "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256/UNKNOWN_242_42_128" {
		t.Errorf("unknown type: %v", sel)
	}
	p := &Proposal{Protocol: ProtoIKE, Transforms: []Transform{{242, 42, 128}}}
	if p.String() != "IKE:UNKNOWN_242_42_128" {
		t.Error(p)
	}
	if got := (Transform{TransformENCR, 4242, 0}).String(); got != "(4242)" {
		t.Error(got)
	}
}

func TestProposalHelpers(t *testing.T) {
	p := mustParse(t, ProtoIKE, "aes128-sha256-modp3072-ecp256")
	if !p.Promote(TransformKE, KEECP256) || p.String() != "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256/MODP_3072" {
		t.Errorf("promote: %s", p)
	}
	if p.Promote(TransformKE, KEMODP2048) {
		t.Error("promoted a missing KE")
	}
	if !p.Has(TransformKE, KEMODP3072) || p.Has(TransformKE, KEMODP2048) || p.HasAdditionalKE() {
		t.Error("Has")
	}
	if !mustParse(t, ProtoESP, "aes128-sha256").Has(TransformKE, KENone) ||
		!mustParse(t, ProtoESP, "aes128-sha256-none").Has(TransformKE, KENone) ||
		mustParse(t, ProtoESP, "aes128-sha256-modp3072-none").Has(TransformKE, KENone) {
		t.Error("Has(KE_NONE)")
	}
	if !mustParse(t, ProtoIKE, "aes128-sha256-modp3072-ke1_ecp256").HasAdditionalKE() {
		t.Error("HasAdditionalKE")
	}
	c := p.Clone()
	c.Transforms[1].KeyLen = 256
	if p.Equal(c) || p.Transforms[1].KeyLen != 128 {
		t.Error("Clone shares transforms")
	}
	if !mustParse(t, ProtoIKE, "aes128gcm16-prfsha256-ecp256").IsAEAD() || p.IsAEAD() {
		t.Error("IsAEAD")
	}
	if got := mustParse(t, ProtoIKE, "aes256gcm16-prfsha384-x25519-ke1_mlkem768").Keywords(); got != "aes256gcm-prfsha384-x25519-ke1_mlkem768" {
		t.Errorf("Keywords = %s", got)
	}
}

// FuzzParseProposal: parsing never panics, and a parsed proposal printed in
// keyword syntax parses back to an equal proposal.
func FuzzParseProposal(f *testing.F) {
	for _, s := range []string{
		"aes256-sha256-modp3072", "aes128gcm16-prfsha256-ecp256!", "aes128-sha1",
		"aes256gcm16-aes128gcm16-prfsha384-x25519-ke1_mlkem768", "aes128-sha256-modp2048",
		"aes128gcm16", "null-sha1", "aes128-sha256-esn-noesn", "aes128-sha256-modp3072-none",
		"3des-aesxcbc-prfaescmac-modp1024s160", "ke7_none-ke1_x448", "aes,sha,,", "!",
		"chacha20poly1305compat-prfsha512-curve448-KE2_mlkem512",
	} {
		for proto := uint8(1); proto <= 3; proto++ {
			f.Add(proto, s)
		}
	}
	f.Fuzz(func(t *testing.T, proto uint8, s string) {
		pr := Protocol(proto%4 + 0)
		p, err := ParseProposal(pr, s)
		if _, err := ParseProposals(pr, s); err == nil && pr == 0 {
			t.Fatal("protocol 0 accepted")
		}
		if err != nil {
			return
		}
		_ = p.String()
		kw := p.Keywords()
		q, err := ParseProposal(pr, kw)
		if err != nil {
			t.Fatalf("%q printed as %q does not parse: %v", s, kw, err)
		}
		if !p.Equal(q) {
			t.Fatalf("%q -> %s -> %q -> %s", s, p, kw, q)
		}
		if sel, ok := selectOne(p, q, 0); !ok {
			t.Fatalf("%s does not select against itself", p)
		} else if _, ok := selectOne(sel, p, 0); !ok {
			t.Fatalf("selection %s does not match %s", sel, p)
		}
	})
}
