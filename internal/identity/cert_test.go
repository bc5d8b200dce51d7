package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"testing"
	"time"
)

func testCert(t *testing.T, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(0x80) // encoded with a leading zero octet
	}
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCertMatches(t *testing.T) {
	upn, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
		Bytes: append(mustMarshal(t, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}),
			mustMarshal(t, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
				Bytes: mustMarshal(t, asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("upn@corp")})})...)})
	x400, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 3, IsCompound: true, Bytes: []byte{0x05, 0x00}})
	email, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, Bytes: []byte("carol@strongswan.org")})
	dns, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("moon.strongswan.org")})
	ip, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: net.IPv4(192, 168, 0, 1).To4()})
	dn := MustParse("C=CH, CN=alt")
	dirName, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: dn.Data()})
	uri, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte("https://strongswan.org")})
	var seq []byte
	for _, b := range [][]byte{email, dns, ip, x400, upn, dirName, uri} {
		seq = append(seq, b...)
	}
	san, _ := asn1.Marshal(asn1.RawValue{Tag: asn1.TagSequence, IsCompound: true, Bytes: seq})
	cert := testCert(t, &x509.Certificate{
		Subject:         pkix.Name{Country: []string{"CH"}, Organization: []string{"strongSwan Project"}, CommonName: "moon"},
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: san}},
		SubjectKeyId:    []byte{1, 2, 3, 4},
	})
	var got []string
	for _, id := range SubjectAltNames(cert) {
		got = append(got, id.Type().String()+" "+id.String())
	}
	want := []string{"ID_RFC822_ADDR carol@strongswan.org", "ID_FQDN moon.strongswan.org", "ID_IPV4_ADDR 192.168.0.1",
		"ID_RFC822_ADDR upn@corp", "ID_DER_ASN1_DN C=CH, CN=alt", "ID_DER_ASN1_GN_URI https://strongswan.org"}
	if len(got) != len(want) {
		t.Fatalf("SANs %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("SAN %d: %q, want %q", i, got[i], want[i])
		}
	}

	h := sha1.Sum(cert.Raw)
	spki := sha1.Sum(cert.RawSubjectPublicKeyInfo)
	for _, tc := range []struct {
		id   ID
		want MatchLevel
	}{
		{MustParse("C=CH, O=strongSwan Project, CN=moon"), MatchPerfect},
		{MustParse("C=CH, O=strongSwan Project, CN=*"), MatchOneWildcard},
		{MustParse("C=CH, CN=alt"), MatchPerfect},
		{MustParse("carol@strongswan.org"), MatchPerfect},
		{MustParse("*@strongswan.org"), MatchOneWildcard},
		{MustParse("@moon.strongswan.org"), MatchPerfect},
		{MustParse("moon.strongswan.org"), MatchPerfect},
		{MustParse("sun.strongswan.org"), MatchNone},
		{MustParse("192.168.0.1"), MatchPerfect},
		{MustParse("192.168.0.0/24"), MatchOneWildcard},
		{MustParse("upn@corp"), MatchPerfect},
		{MustParse("%any"), MatchAny},
		{New(KeyID, h[:]), MatchPerfect},
		{New(KeyID, spki[:]), MatchPerfect},
		{New(KeyID, []byte{1, 2, 3, 4}), MatchPerfect},
		{New(KeyID, []byte{0x00, 0x80}), MatchPerfect}, // serial as encoded
		{New(KeyID, []byte{0x80}), MatchNone},
		{ID{}, MatchNone},
	} {
		if m := CertMatches(cert, tc.id); m != tc.want {
			t.Errorf("CertMatches(%s %q) = %v, want %v", tc.id.Type(), tc.id, m, tc.want)
		}
	}
	if FromCertIssuer(cert).String() != "C=CH, O=strongSwan Project, CN=moon" {
		t.Errorf("issuer %q", FromCertIssuer(cert))
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
