package daemon

import (
	"context"
	"net/netip"
	"strings"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
)

// plugins is what statusall lists as "loaded plugins", in strongSwan's
// names for the built-in equivalents.
var plugins = []string{"charon", "aes", "des", "sha1", "sha2", "md5", "random", "nonce", "x509", "revocation",
	"constraints", "pubkey", "pkcs1", "pkcs8", "pem", "gcm", "chapoly", "curve25519", "hmac", "xcbc", "cmac",
	"kdf", "stroke", "socket-default"}

// Status implements the data side of ipsec status/statusall.
func (d *Daemon) Status(ctx context.Context, q control.StatusQuery) (*control.Status, error) {
	now := d.clock.Now()
	st := &control.Status{Now: now}
	if q.Daemon {
		st.Daemon = service.DaemonInfo(d.started)
		n := d.mgr.Count()
		st.Daemon.Workers = service.RuntimeWorkers(0, 0, n)
		st.Daemon.Plugins = plugins
		as, _ := d.net.Addresses(ctx)
		st.Addresses = as
	}
	s := d.st.Load()
	if q.Conns {
		for _, p := range s.peers.Peers {
			st.Conns = append(st.Conns, d.connStatus(p, s))
		}
	}
	for _, r := range d.mgr.Routes() {
		st.Routed = append(st.Routed, d.childStatus(r))
	}
	for _, sn := range d.mgr.Snapshots() {
		ike := d.ikeStatus(sn)
		switch sn.State {
		case sa.StateEstablished, sa.StateRekeying, sa.StateRekeyed, sa.StatePassive:
			st.Up++
		case sa.StateCreated, sa.StateConnecting:
			st.Connecting++
		}
		st.IKESAs = append(st.IKESAs, ike)
	}
	return st, nil
}

func hostsString(hs []config.HostSpec) string {
	if len(hs) == 0 {
		return "%any"
	}
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.Raw
		if h.Kind == config.HostAny {
			parts[i] = "%any"
		}
	}
	return strings.Join(parts, ",")
}

func authClass(c cfg.AuthClass) string {
	switch c {
	case cfg.AuthPubkey:
		return control.AuthPubkey
	case cfg.AuthPSK:
		return control.AuthPSK
	case cfg.AuthEAP:
		return control.AuthEAP
	case cfg.AuthXAuth:
		return control.AuthXAuth
	}
	return control.AuthAny
}

func (d *Daemon) connStatus(p *cfg.Peer, s *state) control.Conn {
	c := control.Conn{Name: p.Name, Local: hostsString(p.Local), Remote: hostsString(p.Remote), Version: 2}
	if p.DPDAction != config.ActionNone {
		c.DPDDelay = p.DPDDelay
	}
	for i, a := range p.LocalAuth {
		ca := control.Auth{ID: a.ID.String(), Class: authClass(a.Class), Groups: a.Groups, EAPIdentity: a.EAPIdentity}
		if i == 0 && a.Class == cfg.AuthPubkey {
			for _, f := range a.CertFiles {
				if cert, ok := s.store.Cert(f); ok {
					ca.Cert = identity.FromCertSubject(cert).String()
					break
				}
			}
		}
		c.LocalAuth = append(c.LocalAuth, ca)
	}
	for _, a := range p.RemoteAuth {
		id := a.ID.String()
		if a.ID.Type() == identity.Any {
			id = ""
		}
		ra := control.Auth{ID: id, Class: authClass(a.Class), Groups: a.Groups}
		if a.CA != "" {
			if cert, _ := s.store.CACert(a.CA); cert != nil {
				ra.CACert = identity.FromCertSubject(cert).String()
			}
		}
		c.RemoteAuth = append(c.RemoteAuth, ra)
	}
	for _, ch := range p.Children {
		cc := control.ChildConfig{Name: ch.Name, Mode: modeOf(ch.Mode)}
		cc.LocalTS = cfgTS(ch.Local)
		cc.RemoteTS = cfgTS(ch.Remote)
		c.Children = append(c.Children, cc)
	}
	return c
}

func modeOf(m config.Mode) control.Mode {
	switch m {
	case config.ModeTransport:
		return control.ModeTransport
	case config.ModeBEET:
		return control.ModeBEET
	case config.ModePass:
		return control.ModePass
	case config.ModeDrop:
		return control.ModeDrop
	}
	return control.ModeTunnel
}

func cfgTS(ts []cfg.TS) []control.TrafficSelector {
	var out []control.TrafficSelector
	for _, t := range ts {
		if t.Dynamic {
			d := control.DynamicTS(false)
			d.Protocol, d.FromPort, d.ToPort = t.Proto, t.FromPort, t.ToPort
			out = append(out, d)
			continue
		}
		out = append(out, kernelTS(t.TS))
	}
	return out
}

func kernelTS(t kernel.TS) control.TrafficSelector {
	return control.TrafficSelector{From: t.Start, To: t.End, Protocol: t.Proto, FromPort: t.FromPort, ToPort: t.ToPort}
}

var ikeStates = map[sa.State]control.IKEState{
	sa.StateCreated: control.IKECreated, sa.StateConnecting: control.IKEConnecting,
	sa.StateEstablished: control.IKEEstablished, sa.StatePassive: control.IKEPassive,
	sa.StateRekeying: control.IKERekeying, sa.StateRekeyed: control.IKERekeyed,
	sa.StateDeleting: control.IKEDeleting, sa.StateDestroying: control.IKEDestroying,
}

func (d *Daemon) ikeStatus(sn *sa.Snapshot) control.IKESA {
	ike := control.IKESA{
		Name: sn.Name, UniqueID: sn.UniqueID, Version: 2, State: ikeStates[sn.State],
		Established: sn.Established, LocalHost: sn.Local.Addr(), RemoteHost: sn.Remote.Addr(),
		LocalID: sn.LocalID, RemoteID: sn.RemoteID, InitiatorSPI: sn.SPIi, ResponderSPI: sn.SPIr,
		Initiator: sn.Initiator, Rekey: sn.RekeyAt, Reauth: sn.ReauthAt,
		TasksQueued: sn.Queued, TasksActive: sn.Active, TasksPassive: sn.Passive,
	}
	if ike.LocalID == "" {
		ike.LocalID = "%any"
	}
	if ike.RemoteID == "" {
		ike.RemoteID = "%any"
	}
	if sn.IKE != nil {
		ike.Proposal = strings.TrimPrefix(sn.IKE.String(), "IKE:")
	}
	if sn.LocalAuth != "" && sn.State == sa.StateEstablished {
		ike.AuthClasses = []string{sn.LocalAuth}
	}
	for _, c := range sn.Children {
		ike.Children = append(ike.Children, d.childStatus(c))
	}
	return ike
}

var childStates = map[sa.ChildState]control.ChildState{
	sa.ChildCreated: control.ChildCreated, sa.ChildRouted: control.ChildRouted,
	sa.ChildInstalling: control.ChildInstalling, sa.ChildInstalled: control.ChildInstalled,
	sa.ChildUpdating: control.ChildUpdating, sa.ChildRekeying: control.ChildRekeying,
	sa.ChildRekeyed: control.ChildRekeyed, sa.ChildRetrying: control.ChildRetrying,
	sa.ChildDeleting: control.ChildDeleting, sa.ChildDeleted: control.ChildDeleted,
	sa.ChildDestroying: control.ChildDestroying,
}

func (d *Daemon) childStatus(c sa.ChildSnapshot) control.ChildSA {
	cs := control.ChildSA{
		Name: c.Name, UniqueID: c.UniqueID, State: childStates[c.State], ReqID: c.ReqID,
		Protocol: "ESP", Encap: c.Encap, SPIIn: c.SPIIn, SPIOut: c.SPIOut,
		Rekey: c.RekeyAt, Expire: c.ExpireAt,
	}
	if c.Proto == kernel.ProtoAH {
		cs.Protocol = "AH"
	}
	cs.Mode = control.ModeTunnel
	if c.Mode == kernel.ModeTransport {
		cs.Mode = control.ModeTransport
	}
	if p := c.Algorithms; p != nil {
		if t, ok := p.Get(crypto.TransformENCR); ok {
			cs.Algorithms.Encryption = crypto.AlgorithmName(crypto.TransformENCR, t.ID)
			cs.Algorithms.EncryptionKeyLen = int(t.KeyLen)
		}
		if t, ok := p.Get(crypto.TransformINTEG); ok && t.ID != 0 {
			cs.Algorithms.Integrity = crypto.AlgorithmName(crypto.TransformINTEG, t.ID)
		}
		if t, ok := p.Get(crypto.TransformKE); ok && t.ID != 0 {
			cs.Algorithms.KE = crypto.AlgorithmName(crypto.TransformKE, t.ID)
		}
		if t, ok := p.Get(crypto.TransformESN); ok && t.ID == crypto.ESNYes {
			cs.Algorithms.ESN = true
		}
	}
	ctx := context.Background()
	if u, err := d.kernel.QuerySA(ctx, kernel.SAID{Src: c.RemoteAddr, Dst: c.LocalAddr, SPI: c.SPIIn, Proto: c.Proto}); err == nil {
		cs.BytesIn, cs.PacketsIn, cs.LastIn = u.Bytes, u.Packets, u.LastUse
	}
	if u, err := d.kernel.QuerySA(ctx, kernel.SAID{Src: c.LocalAddr, Dst: c.RemoteAddr, SPI: c.SPIOut, Proto: c.Proto}); err == nil {
		cs.BytesOut, cs.PacketsOut, cs.LastOut = u.Bytes, u.Packets, u.LastUse
	}
	for _, t := range c.Local {
		cs.LocalTS = append(cs.LocalTS, kernelTS(t))
	}
	for _, t := range c.Remote {
		cs.RemoteTS = append(cs.RemoteTS, kernelTS(t))
	}
	return cs
}

var _ = netip.Addr{}
