package daemon

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/log"
)

var _ control.Backend = (*Daemon)(nil)

// upTimeout is how long ipsec up waits (charon's stroke default: none
// beyond the retransmissions; we detach after the worst case of the
// default retransmission schedule).
const upTimeout = 3 * time.Minute

// forward streams one IKE_SA's log lines to a control client until the
// subscription is cancelled.
func forward(sub *log.Subscription, out control.LogWriter) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range sub.Records() {
			out.Log(int(r.Level), r.Message)
		}
	}()
	return done
}

// Initiate implements ipsec up.
func (d *Daemon) Initiate(ctx context.Context, conn, child string, out control.LogWriter) error {
	// the child config names the conn (a peer config serves several
	// conns when they differ only in their CHILD_SA)
	name := conn
	if child != "" {
		name = child
	}
	d.log.Log(log.CFG, 1, log.Context{Thread: 6}, "received stroke: initiate '%s'", name)
	result := make(chan error, 1)
	var sub *log.Subscription
	err := d.mgr.Initiate(name, func(id uint32) {
		sub = d.log.Subscribe(log.Filter{UniqueID: id, Level: 1})
	}, func(err error) { result <- err })
	if err != nil {
		return fmt.Errorf("%w: %v", control.ErrNotFound, err)
	}
	fwd := forward(sub, out)
	defer func() { sub.Cancel(); <-fwd }()
	t := time.NewTimer(upTimeout)
	defer t.Stop()
	select {
	case err := <-result:
		time.Sleep(10 * time.Millisecond) // let the last lines reach the client
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return &control.DetachedError{After: upTimeout}
	}
}

// TerminateIKE implements ipsec down NAME[N].
func (d *Daemon) TerminateIKE(ctx context.Context, id uint32, out control.LogWriter) error {
	gone := make(chan struct{})
	sub := d.log.Subscribe(log.Filter{UniqueID: id, Level: 1})
	fwd := forward(sub, out)
	defer func() { sub.Cancel(); <-fwd }()
	if !d.mgr.Post(id, func(s *sa.IKESA) {
		s.OnDestroy(func() { close(gone) })
		s.Delete()
	}) {
		out.Log(1, fmt.Sprintf("unable to terminate IKE_SA: ID %d not found", id))
		return fmt.Errorf("%w: IKE_SA %d", control.ErrNotFound, id)
	}
	select {
	case <-gone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(upTimeout):
		return &control.DetachedError{After: upTimeout}
	}
}

// TerminateChild implements ipsec down NAME{N}.
func (d *Daemon) TerminateChild(ctx context.Context, id uint32, out control.LogWriter) error {
	var owner uint32
	for _, sn := range d.mgr.Snapshots() {
		for _, c := range sn.Children {
			if c.UniqueID == id {
				owner = sn.UniqueID
			}
		}
	}
	if owner == 0 {
		out.Log(1, fmt.Sprintf("unable to terminate, CHILD_SA with ID %d not found", id))
		return fmt.Errorf("%w: CHILD_SA %d", control.ErrNotFound, id)
	}
	sub := d.log.Subscribe(log.Filter{UniqueID: owner, Level: 1})
	fwd := forward(sub, out)
	defer func() { sub.Cancel(); <-fwd }()
	d.mgr.Post(owner, func(s *sa.IKESA) {
		if c := s.Child(id); c != nil {
			s.DeleteChild(c)
		}
	})
	deadline := time.After(upTimeout)
	for {
		still := false
		for _, sn := range d.mgr.Snapshots() {
			for _, c := range sn.Children {
				if c.UniqueID == id {
					still = true
				}
			}
		}
		if !still {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return &control.DetachedError{After: upTimeout}
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Reload implements ipsec reload/update: reread ipsec.conf (and
// strongswan.conf) and swap in the new peer configs; new auto=start conns
// are started.
func (d *Daemon) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	old := d.st.Load()
	settings, ds := config.LoadSettings(nil, d.opts.StrongswanConf)
	if config.HasErrors(ds) {
		return fmt.Errorf("%v", ds[0])
	}
	settings = settings.WithDaemonFallbacks("charon")
	d.log.Configure(settings)
	st, err := d.load(settings)
	if err != nil {
		return err
	}
	d.st.Store(st)
	d.attrs.reload(settings, old.peers, st.peers)
	for _, c := range old.peers.Conns {
		if p, _ := st.peers.Lookup(c.Name); c.Auto == config.AutoRoute && p == nil {
			d.mgr.Unroute(c.Name)
		}
	}
	for _, c := range st.peers.Conns {
		if p, _ := old.peers.Lookup(c.Name); p != nil {
			continue
		}
		switch c.Auto {
		case config.AutoStart:
			d.mgr.Initiate(c.Name, nil, nil)
		case config.AutoRoute:
			d.mgr.Route(c.Name)
		}
	}
	return nil
}

// RereadSecrets implements ipsec rereadsecrets.
func (d *Daemon) RereadSecrets(ctx context.Context) error { return d.rereadCreds() }

// RereadAll implements ipsec rereadall: secrets, CA certificates, CRLs.
func (d *Daemon) RereadAll(ctx context.Context) error { return d.rereadCreds() }

func (d *Daemon) rereadCreds() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	st := d.st.Load()
	secrets, ds := config.LoadSecrets(nil, secretsPath(d.opts.ConfDir, st.settings), ipsecDir(d.opts.ConfDir)+"/private")
	for _, e := range ds {
		d.logf(log.CFG, 1, "%v", e)
	}
	var files []string
	for _, c := range st.ipsec.Conns {
		files = append(files, c.Left.Certs...)
		files = append(files, c.Right.Certs...)
	}
	store, cds := credentials.NewStore(credentials.Options{IPsecDir: ipsecDir(d.opts.ConfDir), Secrets: secrets, CertFiles: files})
	for _, e := range cds {
		d.logf(log.CFG, 1, "%s", e.Message)
	}
	n := *st
	n.secrets, n.store = secrets, store
	n.creds = sa.StoreCreds(store, d.clock.Now, credentials.CRLPolicyNo)
	d.st.Store(&n)
	return nil
}

func ipsecDir(confDir string) string { return confDir + "/ipsec.d" }

func secretsPath(confDir string, s *config.Settings) string {
	return s.GetString("charon.plugins.stroke.secrets_file", confDir+"/ipsec.secrets")
}

// List implements ipsec listcerts and friends.
func (d *Daemon) List(ctx context.Context, opt control.ListOptions, w io.Writer) error {
	return d.st.Load().store.WriteList(w, credentials.ListOptions{Now: d.clock.Now(),
		Certs: opt.Certs || opt.All, CACerts: opt.CACerts || opt.All, CRLs: opt.CRLs || opt.All, UTC: opt.UTC})
}

// Leases implements ipsec leases (pools arrive with a later version).
func (d *Daemon) Leases(ctx context.Context, pool, address string) (*control.Leases, error) {
	return &control.Leases{Pools: d.attrs.mem.Leases(pool, address)}, nil
}

// Shutdown implements ipsec stop.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.shutdown()
	return nil
}
