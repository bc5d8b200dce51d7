package auth

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/identity"
	ikecrypto "github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

// The captures of internal/ike/interop/testdata (strongSwan 5.9.8 on moon,
// see the README there): pcaps of the IKE traffic and charon's log with
// the IKE keys, the AUTH octets and the shared secrets as hex dumps. This
// test decrypts every IKE_AUTH message with the logged keys and verifies
// its AUTH payload with VerifyAuth (against the certificate sent in the
// same message) or VerifyPSK (with a logged secret), over the logged
// octets, and checks the scheme name against charon's "authentication of
// ... successful" lines.
const captureDir = "../interop/testdata/strongswan-5.9.8"

type logDump struct {
	label string
	data  []byte
}

type captureLog struct {
	dumps    []logDump
	authLogs map[string]bool // "authentication of ..." lines without the "NN[IKE] " prefix
}

var (
	reHead    = regexp.MustCompile(`^(\d\d)\[(?:IKE|CHD)\] (.*) => (\d+) bytes @ 0x[0-9a-f]+$`)
	reHexLine = regexp.MustCompile(`^(\d\d)\[(?:IKE|CHD)\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})`)
	reAuthLog = regexp.MustCompile(`^\d\d\[IKE\] (authentication of .* successful)$`)
)

func readCaptureLog(path string) (*captureLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &captureLog{authLogs: map[string]bool{}}
	open := map[string]*logDump{} // by thread
	want := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := reHexLine.FindStringSubmatch(line); m != nil && open[m[1]] != nil {
			b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(m[2]), " ", ""))
			if err != nil {
				return nil, err
			}
			d := open[m[1]]
			d.data = append(d.data, b...)
			if len(d.data) == want[m[1]] {
				l.dumps = append(l.dumps, *d)
				delete(open, m[1])
			}
			continue
		}
		if m := reHead.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[3])
			open[m[1]], want[m[1]] = &logDump{label: m[2]}, n
			if n == 0 {
				l.dumps = append(l.dumps, *open[m[1]])
				delete(open, m[1])
			}
			continue
		}
		if m := reAuthLog.FindStringSubmatch(line); m != nil {
			l.authLogs[m[1]] = true
		}
	}
	return l, sc.Err()
}

// keySet is one set of IKE SA keys from the log.
type keySet struct{ ei, er, ai, ar []byte }

func (l *captureLog) keySets() []keySet {
	var out []keySet
	var cur *keySet
	for _, d := range l.dumps {
		switch d.label {
		case "Sk_d secret":
			out = append(out, keySet{})
			cur = &out[len(out)-1]
		case "Sk_ei secret", "Sk_er secret", "Sk_ai secret", "Sk_ar secret":
			if cur == nil {
				continue
			}
			switch d.label {
			case "Sk_ei secret":
				cur.ei = d.data
			case "Sk_er secret":
				cur.er = d.data
			case "Sk_ai secret":
				cur.ai = d.data
			case "Sk_ar secret":
				cur.ar = d.data
			}
		}
	}
	return out
}

func (l *captureLog) all(prefix string) [][]byte {
	var out [][]byte
	for _, d := range l.dumps {
		if strings.HasPrefix(d.label, prefix) {
			out = append(out, d.data)
		}
	}
	return out
}

// ikeDatagrams reads the IKE messages of a classic pcap of Ethernet frames:
// IPv4 UDP to or from port 500, or 4500 with the non-ESP marker.
func ikeDatagrams(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, errors.New("short pcap")
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 && binary.LittleEndian.Uint32(b) != 0xa1b23c4d {
		bo = binary.BigEndian
	}
	var out [][]byte
	for off := 24; off+16 <= len(b); {
		n := int(bo.Uint32(b[off+8:]))
		off += 16
		if off+n > len(b) {
			return nil, errors.New("truncated pcap record")
		}
		f := b[off : off+n]
		off += n
		if len(f) < 14+20 || binary.BigEndian.Uint16(f[12:]) != 0x0800 {
			continue
		}
		ip := f[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		udp := ip[ihl:]
		sport, dport := binary.BigEndian.Uint16(udp), binary.BigEndian.Uint16(udp[2:])
		ulen := int(binary.BigEndian.Uint16(udp[4:]))
		if ulen < 8 || ulen > len(udp) {
			continue
		}
		payload := udp[8:ulen]
		switch {
		case sport == 500 || dport == 500:
		case (sport == 4500 || dport == 4500) && len(payload) >= 4+28 && binary.BigEndian.Uint32(payload) == 0:
			payload = payload[4:]
		default:
			continue
		}
		out = append(out, payload)
	}
	return out, nil
}

type captureStats struct {
	signatures, psk, skipped int
}

func TestCapturedAuthPayloads(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(captureDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var total captureStats
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			st := checkCaptureAuth(t, dir)
			total.signatures += st.signatures
			total.psk += st.psk
			total.skipped += st.skipped
		})
	}
	t.Logf("verified %d signature AUTH payloads and %d shared key AUTH payloads (%d without certificate skipped)",
		total.signatures, total.psk, total.skipped)
	if total.signatures < 20 || total.psk < 20 {
		t.Errorf("too few AUTH payloads verified: %+v", total)
	}
}

func checkCaptureAuth(t *testing.T, dir string) captureStats {
	var st captureStats
	l, err := readCaptureLog(filepath.Join(dir, "moon.log"))
	if err != nil {
		t.Fatal(err)
	}
	dgs, err := ikeDatagrams(filepath.Join(dir, "moon.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	keys := l.keySets()
	octets := l.all("octets = ")
	secrets := l.all("secret")
	type sa struct {
		encr       ikecrypto.Transform
		integ, prf uint16
	}
	sas := map[uint64]*sa{}
	frags := map[string][][]byte{}
	seen := map[string]bool{}
	for i, d := range dgs {
		if seen[string(d)] {
			continue // retransmission
		}
		seen[string(d)] = true
		m, err := message.Parse(d)
		if err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		if m.Exchange == message.ExchangeIKESAInit && m.IsResponse() {
			if p, ok := m.Payload(message.PayloadSA).(*message.SA); ok && len(p.Proposals) == 1 {
				s := &sa{}
				for _, tr := range p.Proposals[0].Transforms {
					switch tr.Type {
					case message.TransformENCR:
						kl, _ := tr.KeyLength()
						s.encr = ikecrypto.Transform{Type: ikecrypto.TransformENCR, ID: tr.ID, KeyLen: kl}
					case message.TransformINTEG:
						s.integ = tr.ID
					case message.TransformPRF:
						s.prf = tr.ID
					}
				}
				sas[m.SPIi] = s
			}
			continue
		}
		if m.Exchange != message.ExchangeIKEAuth {
			continue
		}
		s := sas[m.SPIi]
		if s == nil {
			t.Fatalf("datagram %d: IKE_AUTH of an unknown IKE SA", i)
		}
		var body []byte
		var first message.PayloadType
		var frag *message.EncryptedFragment
		switch p := m.Payloads[len(m.Payloads)-1].(type) {
		case *message.Encrypted:
			body, first = p.Body, p.NextPayload
		case *message.EncryptedFragment:
			body, first, frag = p.Body, p.NextPayload, p
		default:
			t.Fatalf("datagram %d: unprotected IKE_AUTH", i)
		}
		var plain []byte
		for _, k := range keys {
			ke, ka := k.ei, k.ai
			if !m.IsInitiator() {
				ke, ka = k.er, k.ar
			}
			sk, err := ikecrypto.NewSK(s.encr, s.integ, ke, ka)
			if err != nil {
				continue
			}
			buf := slices.Clone(d)
			if p, err := sk.Open(buf[:len(buf)-len(body)], buf[len(buf)-len(body):]); err == nil {
				plain = slices.Clone(p)
				break
			}
		}
		if plain == nil {
			t.Fatalf("datagram %d (%v): no logged key decrypts it", i, m)
		}
		if frag != nil {
			key := fmt.Sprintf("%x/%d/%v", m.SPIi, m.MessageID, m.IsResponse())
			parts := frags[key]
			if parts == nil {
				parts = make([][]byte, frag.Total+1)
				frags[key] = parts
			}
			if int(frag.Number) >= len(parts) || frag.Number == 0 {
				t.Fatalf("datagram %d: fragment %d of %d", i, frag.Number, frag.Total)
			}
			parts[frag.Number] = plain
			if frag.Number == 1 {
				parts[0] = []byte{byte(first)}
			}
			complete := true
			for _, p := range parts {
				complete = complete && p != nil
			}
			if !complete {
				continue
			}
			first = message.PayloadType(parts[0][0])
			plain = bytes.Join(parts[1:], nil)
			delete(frags, key)
		}
		inner, err := message.ParsePayloads(first, plain)
		if err != nil {
			t.Fatalf("datagram %d: inner payloads: %v", i, err)
		}
		var a *message.Auth
		var cert *x509.Certificate
		var id identity.ID
		for _, p := range inner {
			switch p := p.(type) {
			case *message.Auth:
				a = p
			case *message.Cert:
				if cert == nil && p.Encoding == message.CertX509Signature {
					if cert, err = x509.ParseCertificate(p.Data); err != nil {
						t.Fatal(err)
					}
				}
			case *message.ID:
				if p.Responder != m.IsInitiator() {
					id = identity.FromPayload(uint8(p.IDType), p.Data)
				}
			}
		}
		if a == nil {
			continue
		}
		switch a.Method {
		case message.AuthPSK:
			if !verifyAnyPSK(s.prf, secrets, octets, a.Data) {
				t.Errorf("datagram %d (%v): no logged secret and octets verify the PSK AUTH", i, m)
			}
			if VerifyPSK(s.prf, []byte("wrong"), octets[0], a.Data) {
				t.Error("wrong secret verifies")
			}
			st.psk++
		default:
			if cert == nil {
				st.skipped++
				continue
			}
			p, ok := verifyAnySig(cert, a, octets)
			if !ok {
				t.Errorf("datagram %d (%v): %s AUTH does not verify over any logged octets", i, m, a.Method)
				continue
			}
			st.signatures++
			if !l.authLogs["authentication of '"+id.String()+"' with "+p.LogName()+" successful"] &&
				!l.authLogs["authentication of '"+id.String()+"' (myself) with "+p.LogName()+" successful"] {
				t.Errorf("no log line for %q with %q", id, p.LogName())
			}
			bad := slices.Clone(a.Data)
			bad[len(bad)-1] ^= 1
			for _, o := range octets {
				if _, err := VerifyAuth(cert.PublicKey, a.Method, bad, o); err == nil {
					t.Errorf("datagram %d: a corrupted signature verifies", i)
				}
			}
		}
	}
	return st
}

func verifyAnyPSK(prf uint16, secrets, octets [][]byte, data []byte) bool {
	for _, s := range secrets {
		for _, o := range octets {
			if VerifyPSK(prf, s, o, data) {
				return true
			}
		}
	}
	return false
}

func verifyAnySig(cert *x509.Certificate, a *message.Auth, octets [][]byte) (Params, bool) {
	for _, o := range octets {
		if p, err := VerifyAuth(cert.PublicKey, a.Method, a.Data, o); err == nil {
			return p, true
		}
	}
	return Params{}, false
}
