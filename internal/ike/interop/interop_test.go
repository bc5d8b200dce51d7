package interop

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

const captures = "testdata/strongswan-5.9.8"

// ikeSA is what the test learns of one IKE SA from the wire and the log.
type ikeSA struct {
	spii, spir uint64
	prop       *crypto.Proposal
	ni, nr     []byte
	initReq    []byte // IKE_SA_INIT request and response as sent (AUTH octets)
	initResp   []byte
	idi, idr   []byte // ID payload bodies
	keys       *crypto.IKEKeys
	ir, ri     *crypto.SK // protect initiator->responder and responder->initiator
	parent     *ikeSA     // the SA this one rekeyed, if any
	secret     []byte     // shared secret of the (re)keying exchange
}

type fragSet struct {
	first *message.Message
	parts [][]byte
	n     int
}

// capture is the state of checking one capture directory.
type capture struct {
	t        *testing.T
	log      *charonLog
	self     netip.Addr
	sas      map[uint64]*ikeSA
	pending  map[string][]message.Payload // CREATE_CHILD_SA requests by SA and message ID
	frags    map[string]*fragSet
	got      []summaryLine
	optional []summaryLine   // received on an SA charon had already ended: it may drop them unlogged
	ended    map[uint64]bool // IKE SAs (by SPIi) charon ended by a delete or an error notify
	usedIKE  map[int]bool
	stats    map[string]int
	proposal map[string]bool // "selected proposal" strings charon logged
}

func TestStrongSwanCaptures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(captures, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) { checkCapture(t, dir) })
	}
	if n < 20 {
		t.Fatalf("only %d capture directories found", n)
	}
}

func checkCapture(t *testing.T, dir string) {
	dgs, err := readIKEDatagrams(filepath.Join(dir, "moon.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := readCharonLog(filepath.Join(dir, "moon.log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dgs) == 0 || len(l.summaries) == 0 {
		t.Fatalf("empty capture: %d datagrams, %d summaries", len(dgs), len(l.summaries))
	}
	c := &capture{
		t: t, log: l, self: l.self,
		sas: map[uint64]*ikeSA{}, pending: map[string][]message.Payload{},
		frags: map[string]*fragSet{}, usedIKE: map[int]bool{}, ended: map[uint64]bool{}, stats: map[string]int{},
		proposal: l.selected,
	}
	seen := map[string]bool{}
	for i, d := range dgs {
		if seen[string(d.data)] {
			c.stats["retransmits"]++
			continue // a retransmission: charon logs its message once
		}
		seen[string(d.data)] = true
		c.datagram(i, d)
	}
	if !c.self.IsValid() {
		t.Fatal("the log names no address charon sent from")
	}
	c.allowUnparsedTail()
	compareSummaries(t, l.summaries, c.got, c.optional)
	for k, v := range c.stats {
		t.Logf("%s: %d", k, v)
	}
}

func (c *capture) datagram(i int, d datagram) {
	t := c.t
	generated := d.src.Addr() == c.self
	m, err := message.Parse(d.data)
	if err != nil {
		t.Fatalf("datagram %d: %v", i, err)
	}
	if err := message.Check(m, false); err != nil {
		t.Errorf("datagram %d (%v): unprotected part fails the rules: %v", i, m, err)
	}
	out, err := m.AppendMarshal(nil)
	if err != nil || !bytes.Equal(out, d.data) {
		t.Fatalf("datagram %d (%v) does not re-marshal to the same bytes (err %v)", i, m, err)
	}
	c.stats["datagrams"]++

	if m.Exchange == message.ExchangeIKESAInit {
		c.got = append(c.got, summaryLine{generated, m.String()})
		c.ikeSAInit(m, d.data)
		return
	}
	sa := c.sas[m.SPIi]
	if sa == nil {
		t.Fatalf("datagram %d (%v): unknown IKE SA %016x", i, m, m.SPIi)
	}
	c.ensureKeys(sa)
	sk := sa.ri
	if m.IsInitiator() {
		sk = sa.ir
	}
	var body []byte
	switch p := m.Payloads[len(m.Payloads)-1].(type) {
	case *message.Encrypted:
		body = p.Body
	case *message.EncryptedFragment:
		body = p.Body
	default:
		t.Fatalf("datagram %d (%v): not protected", i, m)
	}
	buf := slices.Clone(d.data)
	assoc := buf[:len(buf)-len(body)]
	plain, err := sk.Open(assoc, buf[len(buf)-len(body):])
	if err != nil {
		t.Fatalf("datagram %d (%v): %v", i, m, err)
	}
	plain = slices.Clone(plain)
	c.stats["decrypted"]++

	if f := m.Fragment(); f != nil {
		c.summary(m, generated)
		key := fmt.Sprintf("%016x/%d/%v", m.SPIi, m.MessageID, m.IsResponse())
		fs := c.frags[key]
		if fs == nil {
			fs = &fragSet{parts: make([][]byte, f.Total)}
			c.frags[key] = fs
		}
		if f.Number == 0 || int(f.Number) > len(fs.parts) || fs.parts[f.Number-1] != nil {
			t.Fatalf("datagram %d (%v): bad or duplicate fragment", i, m)
		}
		if f.Number == 1 {
			fs.first = m
		}
		fs.parts[f.Number-1] = plain
		if fs.n++; fs.n < len(fs.parts) {
			return
		}
		c.stats["reassembled"]++
		m, plain = fs.first, bytes.Join(fs.parts, nil)
		delete(c.frags, key)
		if len(m.Payloads) == 0 {
			t.Fatalf("datagram %d: reassembled message has no first fragment", i)
		}
	}
	first := message.PayloadNone
	switch p := m.Payloads[len(m.Payloads)-1].(type) {
	case *message.Encrypted:
		first = p.NextPayload
	case *message.EncryptedFragment:
		first = p.NextPayload
	}
	inner, err := message.ParsePayloads(first, plain)
	if err != nil {
		t.Fatalf("datagram %d (%v): inner payloads: %v", i, m, err)
	}
	again, err := message.AppendPayloads(nil, inner)
	if err != nil || !bytes.Equal(again, plain) {
		t.Fatalf("datagram %d (%v): inner payloads do not re-marshal to the plaintext (err %v)", i, m, err)
	}
	if err := m.SetDecrypted(inner); err != nil {
		t.Fatal(err)
	}
	if err := message.Check(m, true); err != nil {
		t.Errorf("datagram %d (%v): fails the payload rules: %v", i, m, err)
	}
	c.summary(m, generated)
	if generated && endsSA(m) {
		c.ended[m.SPIi] = true
	}

	switch m.Exchange {
	case message.ExchangeIKEAuth:
		c.ikeAuth(sa, m)
	case message.ExchangeCreateChildSA:
		c.createChild(sa, m)
	}
}

// summary records our summary of m; a message received on an IKE SA that
// charon had already ended may be missing from its log (it drops those
// before parsing them).
func (c *capture) summary(m *message.Message, generated bool) {
	l := summaryLine{generated, m.String()}
	if !generated && c.ended[m.SPIi] {
		c.optional = append(c.optional, l)
		return
	}
	c.got = append(c.got, l)
}

// endsSA reports whether a message charon sent ends its IKE SA: a delete
// of the IKE SA, an error notify such as AUTH_FAILED, or an EAP failure.
func endsSA(m *message.Message) bool {
	for _, p := range m.Payloads {
		switch p := p.(type) {
		case *message.Delete:
			if p.Protocol == message.ProtoIKE {
				return true
			}
		case *message.Notify:
			if p.NotifyType < 16384 {
				return true
			}
		case *message.EAP:
			if p.Code() == message.EAPFailure {
				return true
			}
		}
	}
	return false
}

// allowUnparsedTail makes the last received messages optional when charon
// logged fewer "parsed" lines than we produced: the captures end with
// `ipsec stop`, and charon stops its workers before parsing what arrives
// last. Only a tail of the received messages can be unparsed this way.
func (c *capture) allowUnparsedTail() {
	parsed := 0
	for _, l := range c.log.summaries {
		if !l.generated {
			parsed++
		}
	}
	var received []int
	for i, l := range c.got {
		if !l.generated {
			received = append(received, i)
		}
	}
	extra := len(received) - parsed
	if extra <= 0 {
		return
	}
	tail := map[int]bool{}
	for _, i := range received[len(received)-extra:] {
		tail[i] = true
		c.optional = append(c.optional, c.got[i])
	}
	got := c.got[:0:0]
	for i, l := range c.got {
		if !tail[i] {
			got = append(got, l)
		}
	}
	c.got = got
}

func (c *capture) ikeSAInit(m *message.Message, raw []byte) {
	if m.IsRequest() {
		sa := c.sas[m.SPIi]
		if sa == nil {
			sa = &ikeSA{spii: m.SPIi}
			c.sas[m.SPIi] = sa
		}
		if n, ok := m.Payload(message.PayloadNonce).(*message.Nonce); ok {
			sa.ni = n.Data
		}
		sa.initReq = raw
		return
	}
	sa := c.sas[m.SPIi]
	sap, ok := m.Payload(message.PayloadSA).(*message.SA)
	if sa == nil || !ok {
		return // e.g. INVALID_KE_PAYLOAD or COOKIE
	}
	sa.spir = m.SPIr
	sa.prop = c.checkProposal(sap)
	sa.nr = m.Payload(message.PayloadNonce).(*message.Nonce).Data
	sa.initResp = raw
}

// checkProposal converts the single proposal of a responder's SA payload
// and requires that its printed form is one charon logged as selected.
func (c *capture) checkProposal(sap *message.SA) *crypto.Proposal {
	if len(sap.Proposals) != 1 {
		c.t.Fatalf("response SA payload with %d proposals", len(sap.Proposals))
	}
	p := toCrypto(sap.Proposals[0])
	if !c.proposal[p.String()] {
		c.t.Errorf("selected proposal %s was not logged by charon (logged: %v)", p, keys(c.proposal))
	}
	c.stats["proposals checked"]++
	return p
}

func toCrypto(p message.Proposal) *crypto.Proposal {
	cp := &crypto.Proposal{Protocol: crypto.Protocol(p.Protocol), Number: p.Number, SPI: p.SPI}
	for _, t := range p.Transforms {
		kl, _ := t.KeyLength()
		cp.Transforms = append(cp.Transforms, crypto.Transform{Type: crypto.TransformType(t.Type), ID: t.ID, KeyLen: kl})
	}
	return cp
}

func spiBytes(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// ensureKeys finds the key set charon logged for this SA by deriving the
// keys from each logged key-exchange secret: exactly the cross-check that
// our prf+/SKEYSEED derivation matches strongSwan's.
func (c *capture) ensureKeys(sa *ikeSA) {
	if sa.keys != nil {
		return
	}
	t := c.t
	if sa.prop == nil {
		t.Fatalf("IKE SA %016x: no proposal seen", sa.spii)
	}
	for i, d := range c.log.dumps {
		if d.label != "shared Diffie Hellman secret" || c.usedIKE[i] {
			continue
		}
		var k *crypto.IKEKeys
		var err error
		if sa.parent == nil {
			k, err = crypto.DeriveIKEKeys(sa.prop, sa.ni, sa.nr, d.data, spiBytes(sa.spii), spiBytes(sa.spir))
		} else {
			k, err = crypto.DeriveRekeyedIKEKeys(sa.prop, sa.parent.keys.PRF, sa.parent.keys.SKd, sa.ni, sa.nr,
				spiBytes(sa.spii), spiBytes(sa.spir), d.data)
		}
		if err != nil {
			t.Fatalf("IKE SA %016x: %v", sa.spii, err)
		}
		logged := c.log.following(i, "shared Diffie Hellman secret")
		if !bytes.Equal(logged["Sk_d secret"], k.SKd) {
			continue
		}
		for label, ours := range map[string][]byte{
			"Sk_ai secret": k.SKai, "Sk_ar secret": k.SKar, "Sk_ei secret": k.SKei,
			"Sk_er secret": k.SKer, "Sk_pi secret": k.SKpi, "Sk_pr secret": k.SKpr,
		} {
			if theirs, ok := logged[label]; (ok || len(ours) > 0) && !bytes.Equal(theirs, ours) {
				t.Fatalf("IKE SA %016x: %s differs from charon's: ours %x, charon %x", sa.spii, label, ours, theirs)
			}
		}
		c.usedIKE[i] = true
		sa.keys, sa.secret = k, d.data
		if sa.ir, sa.ri, err = k.SKs(sa.prop, true); err != nil {
			t.Fatal(err)
		}
		c.stats["IKE key sets matched"]++
		return
	}
	t.Fatalf("IKE SA %016x: no logged key exchange yields charon's SK_d (proposal %s, rekey %v)",
		sa.spii, sa.prop, sa.parent != nil)
}

func (c *capture) ikeAuth(sa *ikeSA, m *message.Message) {
	for _, p := range m.Payloads {
		if id, ok := p.(*message.ID); ok {
			body, _ := id.AppendMarshal(nil)
			if id.Responder {
				sa.idr = body
			} else {
				sa.idi = body
			}
		}
	}
	if a, ok := m.Payload(message.PayloadAuth).(*message.Auth); ok {
		c.checkAuth(sa, m, a)
	}
	if m.IsResponse() {
		if sap, ok := m.Payload(message.PayloadSA).(*message.SA); ok {
			c.checkChildKeys(sa, c.checkProposal(sap), sa.ni, sa.nr)
		}
	}
}

// checkAuth recomputes the AUTH octets (RFC 7296 §2.15), requires them to
// be what charon logged, and verifies the AUTH value: a PSK/MSK MAC with a
// secret charon logged, or a signature with the certificate sent alongside.
func (c *capture) checkAuth(sa *ikeSA, m *message.Message, a *message.Auth) {
	t := c.t
	fromInitiator := m.IsInitiator()
	msg, nonce, skp, id := sa.initReq, sa.nr, sa.keys.SKpi, sa.idi
	if !fromInitiator {
		msg, nonce, skp, id = sa.initResp, sa.ni, sa.keys.SKpr, sa.idr
	}
	octets, err := crypto.AuthOctets(sa.keys.PRF, msg, nonce, skp, id)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range c.log.dumps {
		if strings.HasPrefix(d.label, "octets = ") && bytes.Equal(d.data, octets) {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("%v: our AUTH octets are not among those charon logged", m)
	}
	c.stats["AUTH octets matched"]++
	switch a.Method {
	case message.AuthPSK:
		for _, d := range c.log.dumps {
			if d.label != "secret" {
				continue
			}
			mac, err := crypto.SharedKeyAuth(sa.keys.PRF, d.data, octets)
			if err == nil && bytes.Equal(mac, a.Data) {
				c.stats["PSK/MSK AUTH verified"]++
				return
			}
		}
		t.Errorf("%v: no logged secret yields the AUTH value", m)
	case message.AuthRSA, message.AuthDS:
		cert := certOf(m)
		if cert == nil {
			return // certificate not sent (sendcert=never/ifasked): nothing to verify with
		}
		if err := verifySignature(cert, a, octets); err != nil {
			t.Errorf("%v: signature: %v", m, err)
			return
		}
		c.stats["signatures verified"]++
	}
}

func certOf(m *message.Message) *x509.Certificate {
	for _, p := range m.Payloads {
		if ce, ok := p.(*message.Cert); ok && ce.Encoding == message.CertX509Signature {
			if cert, err := x509.ParseCertificate(ce.Data); err == nil {
				return cert
			}
		}
	}
	return nil
}

func verifySignature(cert *x509.Certificate, a *message.Auth, octets []byte) error {
	if a.Method == message.AuthRSA {
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("RSA AUTH with a %T key", cert.PublicKey)
		}
		h := sha1.Sum(octets)
		return rsa.VerifyPKCS1v15(pub, stdcrypto.SHA1, h[:], a.Data)
	}
	algID, sig, err := message.SplitDigitalSignature(a.Data)
	if err != nil {
		return err
	}
	oid, _, err := message.ParseAlgorithmIdentifier(algID)
	if err != nil {
		return err
	}
	algs := map[string]x509.SignatureAlgorithm{
		"1.2.840.113549.1.1.11": x509.SHA256WithRSA,
		"1.2.840.113549.1.1.12": x509.SHA384WithRSA,
		"1.2.840.113549.1.1.13": x509.SHA512WithRSA,
		"1.2.840.10045.4.3.2":   x509.ECDSAWithSHA256,
		"1.2.840.10045.4.3.3":   x509.ECDSAWithSHA384,
		"1.2.840.10045.4.3.4":   x509.ECDSAWithSHA512,
		"1.3.101.112":           x509.PureEd25519,
	}
	alg, ok := algs[message.OIDString(oid)]
	if !ok {
		return fmt.Errorf("signature algorithm %s not handled by this test", message.OIDString(oid))
	}
	return cert.CheckSignature(alg, octets, sig)
}

func (c *capture) createChild(sa *ikeSA, m *message.Message) {
	key := fmt.Sprintf("%016x/%d", sa.spii, m.MessageID)
	if m.IsRequest() {
		c.pending[key] = m.Payloads
		return
	}
	req := c.pending[key]
	delete(c.pending, key)
	sap, ok := m.Payload(message.PayloadSA).(*message.SA)
	if req == nil || !ok {
		return // an error notify, or the request was not captured
	}
	nonceOf := func(ps []message.Payload) []byte {
		for _, p := range ps {
			if n, ok := p.(*message.Nonce); ok {
				return n.Data
			}
		}
		c.t.Fatalf("CREATE_CHILD_SA without a nonce")
		return nil
	}
	var reqSA *message.SA
	for _, p := range req {
		if s, ok := p.(*message.SA); ok {
			reqSA = s
		}
	}
	ni, nr := nonceOf(req), nonceOf(m.Payloads)
	prop := c.checkProposal(sap)
	if prop.Protocol != crypto.ProtoIKE {
		c.checkChildKeys(sa, prop, ni, nr)
		return
	}
	// IKE SA rekeying: the new SA's initiator is the rekey's requester.
	var spii uint64
	for _, p := range reqSA.Proposals {
		if p.Number == sap.Proposals[0].Number {
			spii = binary.BigEndian.Uint64(p.SPI)
		}
	}
	nsa := &ikeSA{spii: spii, spir: binary.BigEndian.Uint64(sap.Proposals[0].SPI),
		prop: prop, ni: ni, nr: nr, parent: sa}
	c.sas[spii] = nsa
	c.ensureKeys(nsa)
	c.stats["IKE rekeys derived"]++
}

// checkChildKeys derives the CHILD_SA keys and compares them with the keys
// charon logged after the matching "seed" (Ni | Nr, or g^ir | Ni | Nr).
func (c *capture) checkChildKeys(sa *ikeSA, p *crypto.Proposal, ni, nr []byte) {
	t := c.t
	nonces := append(slices.Clone(ni), nr...)
	for i, d := range c.log.dumps {
		if d.label != "seed" || !bytes.HasSuffix(d.data, nonces) {
			continue
		}
		var secrets [][]byte
		if pfs := d.data[:len(d.data)-len(nonces)]; len(pfs) > 0 {
			secrets = append(secrets, pfs)
			if !c.loggedAs("DH secret", pfs) {
				t.Errorf("child seed has a prefix that is no logged DH secret")
			}
		}
		k, err := crypto.DeriveChildKeys(p, sa.keys.PRF, sa.keys.SKd, ni, nr, secrets...)
		if err != nil {
			t.Fatal(err)
		}
		logged := c.log.following(i, "seed")
		for label, ours := range map[string][]byte{
			"encryption initiator key": k.EncrI, "encryption responder key": k.EncrR,
			"integrity initiator key": k.IntegI, "integrity responder key": k.IntegR,
		} {
			if theirs, ok := logged[label]; (ok || len(ours) > 0) && !bytes.Equal(theirs, ours) {
				t.Errorf("CHILD_SA %s: %s differs: ours %x, charon %x", p, label, ours, theirs)
			}
		}
		c.stats["CHILD key sets matched"]++
		return
	}
	t.Errorf("CHILD_SA %s: no seed logged for these nonces", p)
}

func (c *capture) loggedAs(label string, data []byte) bool {
	for _, d := range c.log.dumps {
		if d.label == label && bytes.Equal(d.data, data) {
			return true
		}
	}
	return false
}

// compareSummaries requires the same multiset of (direction, summary) on
// both sides: charon logs messages from several threads, so the order of
// its lines is not the order on the wire.
func compareSummaries(t *testing.T, logged, ours, optional []summaryLine) {
	render := func(ls []summaryLine) []string {
		var out []string
		for _, l := range ls {
			dir := "parsed"
			if l.generated {
				dir = "generating"
			}
			out = append(out, dir+" "+l.text)
		}
		sort.Strings(out)
		return out
	}
	a, b, opt := render(logged), render(ours), render(optional)
	for _, s := range opt {
		if slices.Contains(a, s) && !slices.Contains(b, s) {
			b = append(b, s)
		}
	}
	sort.Strings(b)
	if slices.Equal(a, b) {
		t.Logf("%d summaries equal charon's", len(a))
		return
	}
	for _, s := range a {
		if i := slices.Index(b, s); i >= 0 {
			b = slices.Delete(b, i, i+1)
		} else {
			t.Errorf("charon logged, we did not produce: %s", s)
		}
	}
	for _, s := range b {
		t.Errorf("we produced, charon did not log:    %s", s)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
