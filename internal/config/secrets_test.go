package config

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestSecrets(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ipsec.secrets": `# comment
@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
@moon.strongswan.org %any : PSK 0x45a30759df97dc26a15b88ff
@sun.strongswan.org : PSK "This is a strong password"  
: PSK 'My "home" is my "castle"!'
192.168.0.1  : PSK   "Andi's home"
"C=CH, O=strongSwan, CN=moon" 'x y' : PSK plain # comment
	carol : XAUTH "4iChxLT3"
dave@strongswan.org : EAP "UgaM65Va"
jane : NTLM 0x0a:0b:0c
: RSA moonKey.pem
: RSA /abs/key.pem %prompt
: ECDSA "my key.pem" "pass phrase" # comment
: PKCS8 k.der 0x7061
: BLISS b.pem
: P12 c.p12 mac enc
: PIN %smartcard1@opensc:0102 1234
: PIN %smartcard:45 %prompt
include ipsec.*.secrets
`,
		"ipsec.a.secrets": "@a : PSK a\r\n",
		"ipsec.b.secrets": "@b : EAP 0sAQI\n",
	})
	path := filepath.Join(dir, "ipsec.secrets")
	s, ds := LoadSecrets(nil, path, "/etc/ipsec.d/private")
	checkDiags(t, dir, ds, []wantDiag{
		{"ipsec.b.secrets", 1, SeverityWarning, "the last 3 characters are ignored"},
	})
	pos := func(line int) Pos { return Pos{path, line} }
	b64 := []byte{0xbf, 0xe3, 0x64, 0xc5, 0x8f, 0x4b, 0x2d, 0x9b, 0xf0, 0x8f, 0x8a, 0x82, 0x0b, 0x6a, 0x3f, 0x80,
		0x6a, 0xd6, 0x0c, 0x5d, 0x9d, 0xdb, 0x58, 0xcb}
	want := []SecretEntry{
		{Pos: pos(2), Type: SecretPSK, Selectors: []string{"@moon.strongswan.org", "@sun.strongswan.org"}, Secret: b64},
		{Pos: pos(3), Type: SecretPSK, Selectors: []string{"@moon.strongswan.org", "%any"},
			Secret: []byte{0x45, 0xa3, 0x07, 0x59, 0xdf, 0x97, 0xdc, 0x26, 0xa1, 0x5b, 0x88, 0xff}},
		{Pos: pos(4), Type: SecretPSK, Selectors: []string{"@sun.strongswan.org"}, Secret: []byte("This is a strong password")},
		{Pos: pos(5), Type: SecretPSK, Secret: []byte(`My "home" is my "castle"!`)},
		{Pos: pos(6), Type: SecretPSK, Selectors: []string{"192.168.0.1"}, Secret: []byte("Andi's home")},
		{Pos: pos(7), Type: SecretPSK, Selectors: []string{"C=CH, O=strongSwan, CN=moon", "x y"}, Secret: []byte("plain")},
		{Pos: pos(8), Type: SecretXAUTH, Selectors: []string{"carol"}, Secret: []byte("4iChxLT3")},
		{Pos: pos(9), Type: SecretEAP, Selectors: []string{"dave@strongswan.org"}, Secret: []byte("UgaM65Va")},
		{Pos: pos(10), Type: SecretNTLM, Selectors: []string{"jane"}, Secret: []byte{10, 11, 12}},
		{Pos: pos(11), Type: SecretRSA, File: "moonKey.pem", Path: "/etc/ipsec.d/private/moonKey.pem"},
		{Pos: pos(12), Type: SecretRSA, File: "/abs/key.pem", Path: "/abs/key.pem", Prompt: true},
		{Pos: pos(13), Type: SecretECDSA, File: "my key.pem", Path: "/etc/ipsec.d/private/my key.pem", Passphrases: [][]byte{[]byte("pass phrase")}},
		{Pos: pos(14), Type: SecretPKCS8, File: "k.der", Path: "/etc/ipsec.d/private/k.der", Passphrases: [][]byte{[]byte("pa")}},
		{Pos: pos(15), Type: SecretBLISS, File: "b.pem", Path: "/etc/ipsec.d/private/b.pem"},
		{Pos: pos(16), Type: SecretP12, File: "c.p12", Path: "/etc/ipsec.d/private/c.p12", Passphrases: [][]byte{[]byte("mac"), []byte("enc")}},
		{Pos: pos(17), Type: SecretPIN, File: "%smartcard1@opensc:0102", Card: Smartcard{HasSlot: true, Slot: 1, Module: "opensc", KeyID: "0102"},
			Passphrases: [][]byte{[]byte("1234")}},
		{Pos: pos(18), Type: SecretPIN, File: "%smartcard:45", Card: Smartcard{KeyID: "45"}, Prompt: true},
		{Pos: Pos{filepath.Join(dir, "ipsec.a.secrets"), 1}, Type: SecretPSK, Selectors: []string{"@a"}, Secret: []byte("a")},
		{Pos: Pos{filepath.Join(dir, "ipsec.b.secrets"), 1}, Type: SecretEAP, Selectors: []string{"@b"}, Secret: []byte{}},
	}
	if len(s.Entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(s.Entries), len(want), s.Entries)
	}
	for i := range want {
		if !reflect.DeepEqual(s.Entries[i], want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, s.Entries[i], want[i])
		}
	}
}

func TestSecretsErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []wantDiag
		entries int
	}{
		{"missing separator", "@a: PSK x\n@b : PSK y\n", []wantDiag{
			{"ipsec.secrets", 1, SeverityError, "missing ' : ' separator"},
			{"ipsec.secrets", 1, SeverityWarning, "later entries of this file are ignored"}}, 0},
		{"bad type", "@a : PSK x\n@b : SECRET y\n", []wantDiag{
			{"ipsec.secrets", 2, SeverityError, "token must be either RSA, ECDSA, BLISS, PKCS8, P12, PIN, PSK, EAP, XAUTH or NTLM, not 'SECRET'"}}, 1},
		{"lower-case type", ": psk x\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "not 'psk'"}}, 0},
		{"bad hex", "@a : PSK 0x12zz\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "malformed secret: invalid hex digit"}}, 0},
		{"bad base64", "@a : PSK 0sAB*D\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "malformed secret: invalid character in 0s (base64)"}}, 0},
		{"unterminated quote", "@a : PSK \"abc\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "malformed secret: missing second delimiter"}}, 0},
		{"missing secret", "@a : PSK  # nothing\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "malformed secret: missing secret"}}, 0},
		{"missing secret after token", "@a : EAP \n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "malformed secret: missing secret"}}, 0},
		{"empty key file", ": RSA \"\"\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "empty filename"}}, 0},
		{"bad smartcard", ": PIN %smartcard1@mod 1234\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "%smartcard specifier is not supported or invalid"}}, 0},
		{"missing pin", ": PIN %smartcard:01\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "expected PIN"}}, 0},
		{"unterminated selector", "\"@a : PSK x\n", []wantDiag{{"ipsec.secrets", 1, SeverityError, "missing second delimiter"}}, 0},
		{"missing include", "include nosuch/*.secrets\n: PSK x\n", []wantDiag{{"ipsec.secrets", 1, SeverityWarning, "expanding file expression"}}, 1},
		{"text after the secret", "@a : PSK two words\n", []wantDiag{{"ipsec.secrets", 1, SeverityWarning, "text after the secret is ignored"}}, 1},
		{"errors in two lines", ": XYZ a\n: PSK\n", []wantDiag{
			{"ipsec.secrets", 1, SeverityError, "not 'XYZ'"}, {"ipsec.secrets", 2, SeverityError, "missing token"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"ipsec.secrets": tt.src})
			s, ds := LoadSecrets(nil, filepath.Join(dir, "ipsec.secrets"), "/p")
			checkDiags(t, dir, ds, tt.want)
			if len(s.Entries) != tt.entries {
				t.Errorf("%d entries, want %d", len(s.Entries), tt.entries)
			}
		})
	}
}

func TestSecretsIncludeDepth(t *testing.T) {
	dir := writeFiles(t, map[string]string{"ipsec.secrets": ": PSK x\ninclude ipsec.secrets\n"})
	s, ds := LoadSecrets(nil, filepath.Join(dir, "ipsec.secrets"), "/p")
	checkDiags(t, dir, ds, []wantDiag{{"ipsec.secrets", 2, SeverityWarning, "maximum level of 10 includes reached"}})
	if len(s.Entries) != 11 {
		t.Errorf("%d entries, want 11", len(s.Entries))
	}
}

func TestSecretsMissingFile(t *testing.T) {
	s, ds := LoadSecrets(nil, filepath.Join(t.TempDir(), "ipsec.secrets"), "/p")
	if len(s.Entries) != 0 || len(ds) != 1 || ds[0].Severity != SeverityWarning {
		t.Errorf("entries %v, diagnostics %v", s.Entries, ds)
	}
}
