package sa

import (
	"bytes"
	"crypto/x509"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// certPre handles what comes before authentication: our CERTREQ payloads
// (in the IKE_SA_INIT response, or the first IKE_AUTH request) and the
// peer's CERTREQ and CERT payloads (charon's ike_cert_pre).
type certPre struct {
	s         *IKESA
	initiator bool
}

func newCertPre(s *IKESA, initiator bool) *certPre { return &certPre{s: s, initiator: initiator} }

func (t *certPre) Type() TaskType { return TaskIKECertPre }

func (t *certPre) Build(m *message.Message) Status {
	s := t.s
	switch {
	case !t.initiator && m.Exchange == message.ExchangeIKESAInit,
		t.initiator && m.Exchange == message.ExchangeIKEAuth:
		t.addCertReq(m)
	}
	if m.Exchange == message.ExchangeIKEAuth && !t.initiator {
		return Success
	}
	_ = s
	return NeedMore // the initiator still processes the response's CERTs
}

func (t *certPre) addCertReq(m *message.Message) {
	s := t.s
	if s.env.Creds == nil {
		return
	}
	ids, names := s.env.Creds().CertReqs()
	if len(ids) == 0 {
		return
	}
	for _, n := range names {
		s.logf(log.IKE, 1, "sending cert request for \"%s\"", n)
	}
	m.Payloads = append(m.Payloads, &message.CertReq{Encoding: message.CertX509Signature, Data: bytes.Join(ids, nil)})
}

func (t *certPre) Process(m *message.Message) Status {
	s := t.s
	for _, p := range m.Payloads {
		switch p := p.(type) {
		case *message.CertReq:
			s.certReqReceived = true
			if p.Encoding != message.CertX509Signature || s.env.Creds == nil {
				continue
			}
			for _, id := range p.Authorities() {
				if name, ok := s.env.Creds().AnchorName(id); ok {
					s.logf(log.IKE, 1, "received cert request for \"%s\"", name)
				} else {
					s.logf(log.IKE, 2, "received cert request for unknown ca with keyid %x", id)
				}
			}
		case *message.Cert:
			if p.Encoding != message.CertX509Signature {
				s.logf(log.IKE, 1, "certificate encoding %v not supported", p.Encoding)
				continue
			}
			cert, err := x509.ParseCertificate(p.Data)
			if err != nil {
				s.logf(log.IKE, 1, "parsing certificate failed: %v", err)
				continue
			}
			if len(s.peerCerts) == 0 {
				s.logf(log.IKE, 1, "received end entity cert \"%s\"", identity.FromCertSubject(cert))
			} else {
				s.logf(log.IKE, 1, "received issuer cert \"%s\"", identity.FromCertSubject(cert))
			}
			s.peerCerts = append(s.peerCerts, cert)
		}
	}
	if m.Exchange == message.ExchangeIKEAuth && t.initiator {
		return Success
	}
	return NeedMore
}

// certPost adds our certificates to the IKE_AUTH message that carries our
// AUTH payload (charon's ike_cert_post), as leftsendcert says.
type certPost struct {
	s         *IKESA
	initiator bool
}

func newCertPost(s *IKESA, initiator bool) *certPost { return &certPost{s: s, initiator: initiator} }

func (t *certPost) Type() TaskType { return TaskIKECertPost }

func (t *certPost) Process(m *message.Message) Status {
	if m.Exchange == message.ExchangeIKEAuth && t.initiator {
		return Success
	}
	return NeedMore // the responder adds its certificate when building
}

func (t *certPost) Build(m *message.Message) Status {
	s := t.s
	if m.Exchange != message.ExchangeIKEAuth {
		return NeedMore
	}
	if s.localCert == nil || m.Payload(message.PayloadAuth) == nil {
		return Success
	}
	a := s.localAuthRound()
	if a == nil || a.Class != cfg.AuthPubkey {
		return Success
	}
	switch a.SendCert {
	case config.SendCertNever:
		return Success
	case config.SendCertIfAsked:
		if !s.certReqReceived {
			return Success
		}
	}
	s.logf(log.IKE, 1, "sending end entity cert \"%s\"", identity.FromCertSubject(s.localCert))
	m.Payloads = append(m.Payloads, &message.Cert{Encoding: message.CertX509Signature, Data: s.localCert.Raw})
	for _, c := range s.localChain {
		s.logf(log.IKE, 1, "sending issuer cert \"%s\"", identity.FromCertSubject(c))
		m.Payloads = append(m.Payloads, &message.Cert{Encoding: message.CertX509Signature, Data: c.Raw})
	}
	return Success
}
