package sa

import (
	"context"
	"net/netip"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// ikeConfig exchanges configuration payloads in IKE_AUTH (RFC 7296
// section 2.19), as charon's ike_config task: the initiator asks for the
// virtual IPs of leftsourceip= and the attributes the handlers want, the
// responder assigns addresses from the conn's pools and adds the
// providers' attributes once the peer is authenticated.
type ikeConfig struct {
	s         *IKESA
	initiator bool
	// requested: we sent a CFG_REQUEST (initiator); vipRequested: it
	// asked for addresses
	requested, vipRequested bool
	// vips: the addresses requested by the peer (responder) or assigned
	// to us (initiator); attrs: other attributes received (initiator)
	vips     []netip.Addr
	attrs    []attr.Attribute
	received bool // the request's CP was processed (responder)
}

func newIKEConfig(s *IKESA, initiator bool) *ikeConfig {
	return &ikeConfig{s: s, initiator: initiator}
}

func (t *ikeConfig) Type() TaskType { return TaskIKEConfig }

func (t *ikeConfig) migrate(n *IKESA) {
	*t = ikeConfig{s: n, initiator: t.initiator}
}

// formatHost prints an address as charon's %H.
func formatHost(a netip.Addr) string { return identity.FormatHost(a) }

// vipAttribute encodes a virtual IP (or a request for any) as an
// INTERNAL_IP4/6_ADDRESS attribute; IPv6 carries a /64 prefix length.
func vipAttribute(a netip.Addr) attr.Attribute {
	if a.Is4() {
		if a.IsUnspecified() {
			return attr.Attribute{Type: message.CPInternalIP4Address}
		}
		return message.IP4Attr(message.CPInternalIP4Address, a)
	}
	if a.IsUnspecified() {
		return attr.Attribute{Type: message.CPInternalIP6Address}
	}
	return message.IP6Attr(message.CPInternalIP6Address, a, 64)
}

// attrSA describes the IKE_SA to providers and handlers.
func (s *IKESA) attrSA() attr.SA {
	return attr.SA{Name: s.Name(), UniqueID: s.UniqueID, LocalID: s.LocalID, PeerID: s.otherEAPID(),
		LocalAddr: s.Local, PeerAddr: s.Remote, Groups: s.Groups}
}

// otherEAPID is the identity the peer's virtual IP is leased to: its EAP
// identity if it authenticated with one, else its IKE identity.
func (s *IKESA) otherEAPID() identity.ID {
	if !s.EAPIdentity.IsZero() {
		return s.EAPIdentity
	}
	return s.RemoteID
}

func (t *ikeConfig) Build(m *message.Message) Status {
	if t.initiator {
		return t.buildRequest(m)
	}
	return t.buildResponse(m)
}

func (t *ikeConfig) Process(m *message.Message) Status {
	if t.initiator {
		return t.processResponse(m)
	}
	return t.processRequest(m)
}

func (t *ikeConfig) buildRequest(m *message.Message) Status {
	s := t.s
	if m.Exchange != message.ExchangeIKEAuth || t.requested {
		return NeedMore
	}
	t.requested = true
	// reuse the virtual IPs we have (reauthentication), else ask for
	// those of the config
	vips := append([]netip.Addr(nil), s.MyVIPs...)
	if len(vips) == 0 && s.Peer != nil {
		vips = append(vips, s.Peer.VIPs...)
	}
	cp := &message.CP{CfgType: message.CfgRequest}
	for _, v := range vips {
		cp.Attributes = append(cp.Attributes, vipAttribute(v))
	}
	t.vipRequested = len(vips) > 0
	for _, a := range t.requests(vips) {
		s.logf(log.IKE, 2, "building %s attribute", a.Type)
		cp.Attributes = append(cp.Attributes, a)
	}
	if len(cp.Attributes) == 0 {
		return Success // no CFG_REPLY expected
	}
	m.Payloads = append(m.Payloads, cp)
	return NeedMore
}

// requests are the attributes the handlers ask for, plus DNS servers of
// the families leftdns=%config4/%config6 name.
func (t *ikeConfig) requests(vips []netip.Addr) []attr.Attribute {
	s := t.s
	out := s.env.Attrs.Requests(s.attrSA(), vips)
	if s.Peer != nil {
		for _, f := range s.Peer.DNSRequests {
			typ := message.CPInternalIP4DNS
			if f.Is6() {
				typ = message.CPInternalIP6DNS
			}
			if !hasAttrType(out, typ) {
				out = append(out, attr.Attribute{Type: typ})
			}
		}
	}
	return out
}

func hasAttrType(l []attr.Attribute, t message.CPAttrType) bool {
	for _, a := range l {
		if a.Type == t {
			return true
		}
	}
	return false
}

// collect reads the CP payloads of a message: addresses into t.vips,
// the rest (initiator) into t.attrs.
func (t *ikeConfig) collect(m *message.Message) {
	s := t.s
	for _, p := range m.Payloads {
		cp, ok := p.(*message.CP)
		if !ok {
			continue
		}
		if cp.CfgType != message.CfgRequest && cp.CfgType != message.CfgReply {
			s.logf(log.IKE, 1, "ignoring %s config payload", cp.CfgType)
			continue
		}
		for _, a := range cp.Attributes {
			s.logf(log.IKE, 2, "processing %s attribute", a.Type)
			switch a.Type {
			case message.CPInternalIP4Address, message.CPInternalIP6Address:
				if t.initiator && !t.vipRequested {
					t.attrs = append(t.attrs, a)
					continue
				}
				if len(a.Value) == 0 {
					if a.Type == message.CPInternalIP4Address {
						t.vips = append(t.vips, netip.IPv4Unspecified())
					} else {
						t.vips = append(t.vips, netip.IPv6Unspecified())
					}
				} else if ip, ok := a.Addr(); ok {
					t.vips = append(t.vips, ip)
				}
			default:
				if t.initiator {
					t.attrs = append(t.attrs, a)
				}
			}
		}
	}
}

func (t *ikeConfig) processRequest(m *message.Message) Status {
	if m.Exchange == message.ExchangeIKEAuth && !t.received {
		// attributes of the first IKE_AUTH request only
		t.received = true
		t.collect(m)
	}
	return NeedMore
}

func (t *ikeConfig) buildResponse(m *message.Message) Status {
	s := t.s
	if m.Exchange != message.ExchangeIKEAuth || !s.authDone {
		return NeedMore // not yet in the last IKE_AUTH exchange
	}
	var pools []string
	if s.Peer != nil {
		pools = s.Peer.Pools
	}
	s.releasePeerVIPs()
	id := s.otherEAPID()
	var cp *message.CP
	var assigned []netip.Addr
	for _, req := range t.vips {
		s.logf(log.IKE, 1, "peer requested virtual IP %s", formatHost(req))
		found, ok := s.env.Attrs.AcquireAddress(pools, s.attrSA(), req)
		if !ok {
			s.logf(log.IKE, 1, "no virtual IP found for %s requested by '%s'", formatHost(req), id)
			continue
		}
		s.logf(log.IKE, 1, "assigning virtual IP %s to peer '%s'", found, id)
		s.PeerVIPs = append(s.PeerVIPs, found)
		assigned = append(assigned, found)
		if cp == nil {
			cp = &message.CP{CfgType: message.CfgReply}
		}
		cp.Attributes = append(cp.Attributes, vipAttribute(found))
	}
	if len(t.vips) > 0 && len(assigned) == 0 {
		s.logf(log.IKE, 1, "no virtual IP found, sending %s", message.NotifyInternalAddressFailure)
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyInternalAddressFailure})
		return Success
	}
	if len(pools) > 0 && len(t.vips) == 0 {
		s.logf(log.IKE, 1, "expected a virtual IP request, sending %s", message.NotifyFailedCPRequired)
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyFailedCPRequired})
		return Success
	}
	attrs := s.env.Attrs.Attributes(pools, s.attrSA(), assigned)
	for _, a := range attrs {
		if cp == nil {
			cp = &message.CP{CfgType: message.CfgReply}
		}
		s.logf(log.IKE, 2, "building %s attribute", a.Type)
		cp.Attributes = append(cp.Attributes, a)
	}
	if cp != nil {
		m.Payloads = append(m.Payloads, cp)
	}
	return Success
}

func (t *ikeConfig) processResponse(m *message.Message) Status {
	s := t.s
	if m.Exchange != message.ExchangeIKEAuth || !s.authDone {
		return NeedMore
	}
	t.collect(m)
	// the new addresses go in before the old ones go out: an address we
	// get again (reauthentication) stays on the host all along
	old := s.MyVIPs
	s.MyVIPs = nil
	for _, v := range t.vips {
		if !v.IsUnspecified() {
			s.addMyVIP(v)
		}
	}
	for _, v := range old {
		if err := s.env.Net.DelVirtualIP(context.Background(), netip.PrefixFrom(v, v.BitLen())); err != nil {
			s.logf(log.KNL, 2, "removing virtual IP %s failed: %v", v, err)
		}
	}
	sa := s.attrSA()
	for _, a := range t.attrs {
		h := s.env.Attrs.Handle(sa, a)
		if h == nil {
			s.logf(log.IKE, 1, "handling %s attribute failed", a.Type)
			continue
		}
		s.handled = append(s.handled, handledAttr{h: h, a: a})
	}
	return Success
}

// handledAttr is an attribute a handler applied; it is released when the
// IKE_SA goes.
type handledAttr struct {
	h attr.Handler
	a attr.Attribute
}

// addMyVIP installs a virtual IP assigned to us (charon's add_virtual_ip).
func (s *IKESA) addMyVIP(v netip.Addr) {
	s.logf(log.IKE, 0, "installing new virtual IP %s", v)
	if err := s.env.Net.AddVirtualIP(context.Background(), netip.PrefixFrom(v, v.BitLen()), ""); err != nil {
		s.logf(log.IKE, 1, "installing virtual IP %s failed", v)
		return
	}
	s.MyVIPs = append(s.MyVIPs, v)
}

// clearMyVIPs removes our virtual IPs from the host.
func (s *IKESA) clearMyVIPs() {
	for _, v := range s.MyVIPs {
		if err := s.env.Net.DelVirtualIP(context.Background(), netip.PrefixFrom(v, v.BitLen())); err != nil {
			s.logf(log.KNL, 2, "removing virtual IP %s failed: %v", v, err)
		}
	}
	s.MyVIPs = nil
}

// releasePeerVIPs gives the peer's virtual IPs back to their pools.
func (s *IKESA) releasePeerVIPs() {
	if len(s.PeerVIPs) == 0 {
		return
	}
	var pools []string
	if s.Peer != nil {
		pools = s.Peer.Pools
	}
	sa := s.attrSA()
	for _, v := range s.PeerVIPs {
		s.env.Attrs.ReleaseAddress(pools, v, sa)
	}
	s.PeerVIPs = nil
}

// releaseAttributes undoes what handlers did with received attributes,
// in reverse order.
func (s *IKESA) releaseAttributes() {
	sa := s.attrSA()
	for i := len(s.handled) - 1; i >= 0; i-- {
		s.handled[i].h.Release(sa, s.handled[i].a)
	}
	s.handled = nil
}
