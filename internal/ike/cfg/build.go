package cfg

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

func buildPeer(c *config.Conn, env Env) (*Peer, error) {
	if c.KeyExchange == config.KeyExchangeIKEv1 {
		return nil, fmt.Errorf("keyexchange=ikev1 is not supported (IKEv2 only)")
	}
	local, remote := &c.Left, &c.Right
	if isLocalEnd(remote, env, false) {
		local, remote = remote, local
	}
	p := &Peer{
		Name:          c.Name,
		Local:         local.Hosts,
		Remote:        remote.Hosts,
		LocalPort:     local.IKEPort,
		RemotePort:    remote.IKEPort,
		LocalAny:      local.AllowAny || anyHost(local.Hosts),
		RemoteAny:     remote.AllowAny || anyHost(remote.Hosts),
		Auto:          c.Auto,
		DPDDelay:      c.DPDDelay,
		DPDTimeout:    c.DPDTimeout,
		DPDAction:     c.DPDAction,
		Mobike:        c.Mobike,
		Fragmentation: c.Fragmentation,
		ForceEncap:    c.ForceEncaps,
		KeyingTries:   c.KeyingTries,
		Origin:        c.Pos,
	}
	var err error
	if p.IKE, err = crypto.ParseProposals(crypto.ProtoIKE, c.IKE); err != nil {
		return nil, fmt.Errorf("ike=%s: %w", c.IKE, err)
	}
	if c.Rekey {
		margin := c.RekeyMargin
		p.Jitter = margin * time.Duration(c.RekeyFuzz) / 100
		p.OverTime = margin
		if c.Reauth {
			p.ReauthTime = c.IKELifetime - margin
		} else {
			p.RekeyTime = c.IKELifetime - margin
		}
	}
	for round, pair := range [][2]string{{local.Auth, remote.Auth}, {local.Auth2, remote.Auth2}} {
		primary := round == 0
		if a, err := buildAuth(c, local, remote, true, primary, pair[0], env); err != nil {
			return nil, err
		} else if a != nil {
			p.LocalAuth = append(p.LocalAuth, a)
		}
		if a, err := buildAuth(c, remote, local, false, primary, pair[1], env); err != nil {
			return nil, err
		} else if a != nil {
			p.RemoteAuth = append(p.RemoteAuth, a)
		}
	}
	child, err := buildChild(c, local, remote)
	if err != nil {
		return nil, err
	}
	p.Children = []*Child{child}
	buildVIPs(p, c, local, remote)
	return p, nil
}

// buildVIPs sets the virtual IP requests and pools as stroke does: the
// remote end's sourceip names pools, the local end's asks for addresses
// (ignored when both are set: IKE negotiates one way only).
func buildVIPs(p *Peer, c *config.Conn, local, remote *config.End) {
	for _, s := range remote.SourceIPs {
		switch s.Kind {
		case config.SourceIPConfig, config.SourceIPConfig4, config.SourceIPConfig6:
			p.Pools = append(p.Pools, c.Name)
		case config.SourceIPPool:
			p.Pools = append(p.Pools, s.Pool)
		default:
			p.Pools = append(p.Pools, s.Raw)
		}
		p.PoolSpecs = append(p.PoolSpecs, s)
	}
	p.DNS = remote.DNS
	for _, d := range local.DNS {
		if d.Request {
			p.DNSRequests = append(p.DNSRequests, d.Addr)
		}
	}
	if len(remote.SourceIPs) > 0 {
		return
	}
	for _, s := range local.SourceIPs {
		switch s.Kind {
		case config.SourceIPConfig:
			p.VIPs = append(p.VIPs, anyOfFamily(configFamily(local, remote)))
		case config.SourceIPConfig4:
			p.VIPs = append(p.VIPs, netip.IPv4Unspecified())
		case config.SourceIPConfig6:
			p.VIPs = append(p.VIPs, netip.IPv6Unspecified())
		case config.SourceIPAddr:
			p.VIPs = append(p.VIPs, s.Addr)
		}
	}
}

func anyOfFamily(v6 bool) netip.Addr {
	if v6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// configFamily guesses the family of a %config request as stroke does:
// that of the local subnet, else the remote subnet, else the first local
// address. It reports IPv6.
func configFamily(local, remote *config.End) bool {
	for _, sub := range []string{local.Subnet, remote.Subnet} {
		if sub != "" {
			return !strings.Contains(sub, ".")
		}
	}
	host, _, _ := strings.Cut(local.Host, ",")
	return strings.Contains(host, ":")
}

func anyHost(hs []config.HostSpec) bool {
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		if h.Kind == config.HostAny {
			return true
		}
	}
	return false
}

// isLocalEnd reports whether one of the end's hosts is a local address
// (anyAllowed: %any counts as local), as stroke's is_local.
func isLocalEnd(e *config.End, env Env, anyAllowed bool) bool {
	for _, h := range e.Hosts {
		switch h.Kind {
		case config.HostAny:
			if anyAllowed {
				return true
			}
		case config.HostAddr:
			if env.IsLocal != nil && env.IsLocal(h.Addr) {
				return true
			}
		case config.HostName:
			if env.Resolve == nil || env.IsLocal == nil {
				continue
			}
			for _, a := range env.Resolve(h.Raw) {
				if env.IsLocal(a) {
					return true
				}
			}
		}
	}
	return false
}

// buildAuth makes one authentication round of one end, as stroke's
// build_auth_cfg: the ID falls back to the end's address, a certificate
// that does not confirm the ID replaces it with its subject.
func buildAuth(c *config.Conn, end, other *config.End, local, primary bool, method string, env Env) (*Auth, error) {
	if method == "" {
		if !primary {
			return nil, nil
		}
		method = "pubkey"
	}
	a := &Auth{Method: method, SendCert: end.SendCert, IDSet: true}
	id := end.ID
	certs := end.Certs
	ca, groups := end.CA, end.Groups
	if !primary {
		id = end.ID2
		if id == "" {
			id = end.ID
		}
		certs, ca, groups = end.Certs2, end.CA2, end.Groups2
	}
	if ca == "%same" {
		ca = other.CA
		if !primary {
			ca = other.CA2
		}
	}
	if id == "" {
		a.IDSet = false
		id = end.Host
		if id == "" {
			id = "%any"
		}
	}
	if strings.HasPrefix(id, "%") && id != "%any" && id != "%any6" {
		id = id[1:] // %id: loose matching for the remote ID (charon's "loose")
	}
	ident, err := identity.Parse(id)
	if err != nil {
		return nil, fmt.Errorf("invalid identity %q: %w", id, err)
	}
	a.ID = ident
	if local {
		a.CertFiles = certs
		if len(certs) > 0 && env.LoadCert != nil {
			var first *x509.Certificate
			confirmed := false
			for _, f := range certs {
				cert, err := env.LoadCert(f)
				if err != nil || cert == nil {
					continue
				}
				if first == nil {
					first = cert
				}
				if ident.Type() != identity.Any && identity.CertMatches(cert, ident) > identity.MatchNone {
					confirmed = true
				}
			}
			if first != nil && !confirmed {
				a.ID = identity.FromCertSubject(first)
				a.IDSet = false
			}
		}
	} else {
		a.CertFiles = certs
	}
	a.CA, a.Groups = ca, groups
	switch {
	case strings.HasPrefix(method, "pubkey"), strings.HasPrefix(method, "rsa"),
		strings.HasPrefix(method, "ecdsa"), strings.HasPrefix(method, "ike:"), strings.HasPrefix(method, "bliss"):
		a.Class = AuthPubkey
	case method == "psk", method == "secret":
		a.Class = AuthPSK
	case strings.HasPrefix(method, "xauth"):
		a.Class = AuthXAuth
	case strings.HasPrefix(method, "eap"):
		a.Class = AuthEAP
		a.EAPType = eapType(method)
		a.EAPIdentity, a.AAAIdentity = c.EAPIdentity, c.AAAIdentity
	case method == "any":
		a.Class = AuthAny
	default:
		return nil, fmt.Errorf("unknown authentication method %q", method)
	}
	return a, nil
}

// EAP method types by strongSwan's eap-* names (RFC 3748 and IANA).
var eapTypes = map[string]uint32{
	"identity": 1, "md5": 4, "gtc": 6, "tls": 13, "sim": 18, "ttls": 21,
	"aka": 23, "peap": 25, "mschapv2": 26, "tnc": 38, "dynamic": 0, "radius": 0,
}

func eapType(method string) uint32 {
	name := strings.TrimPrefix(strings.TrimPrefix(method, "eap"), "-")
	return eapTypes[name]
}

func buildChild(c *config.Conn, local, remote *config.End) (*Child, error) {
	ch := &Child{
		Name:          c.Name,
		Mode:          c.Mode,
		DPDAction:     c.DPDAction,
		CloseAction:   c.CloseAction,
		Start:         c.Auto,
		ReqID:         c.ReqID,
		MarkIn:        kernel.Mark{Value: c.MarkIn.Value, Mask: c.MarkIn.Mask},
		MarkOut:       kernel.Mark{Value: c.MarkOut.Value, Mask: c.MarkOut.Mask},
		ReplayWindow:  c.ReplayWindow,
		InstallPolicy: c.InstallPolicy,
		IPComp:        c.Compress,
		ForceEncap:    c.ForceEncaps,
		Updown:        local.Updown,
		HostAccess:    local.HostAccess,
	}
	proto, spec := crypto.ProtoESP, c.ESP
	if c.AH != "" {
		proto, spec, ch.AH = crypto.ProtoAH, c.AH, true
	}
	var err error
	if ch.Proposals, err = crypto.ParseProposals(proto, spec); err != nil {
		return nil, fmt.Errorf("%s=%s: %w", strings.ToLower(proto.String()), spec, err)
	}
	if c.Rekey {
		fuzz := time.Duration(c.RekeyFuzz)
		ch.LifeTime = c.Lifetime
		ch.RekeyTime = c.Lifetime - c.RekeyMargin
		ch.Jitter = c.RekeyMargin * fuzz / 100
		ch.LifeBytes, ch.LifePackets = c.LifeBytes, c.LifePackets
		if c.LifeBytes > 0 {
			ch.RekeyBytes = c.LifeBytes - c.MarginBytes
		}
		if c.LifePackets > 0 {
			ch.RekeyPackets = c.LifePackets - c.MarginPackets
		}
	}
	ch.Local = convertTS(local.TS)
	ch.Remote = convertTS(remote.TS)
	return ch, nil
}

func convertTS(in []config.TrafficSelector) []TS {
	out := make([]TS, 0, len(in))
	for _, t := range in {
		ts := TS{Dynamic: t.Dynamic}
		ts.Proto = t.Protocol
		ts.FromPort, ts.ToPort = t.FromPort, t.ToPort
		if !t.Dynamic {
			ts.Start = t.Prefix.Masked().Addr()
			ts.End = lastAddr(t.Prefix.Masked())
		}
		out = append(out, ts)
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
