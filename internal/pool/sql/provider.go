package sql

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// Options tune a Provider.
type Options struct {
	// Log receives charon's attr-sql messages; nil discards them.
	Log *log.Logger
	// LeaseHistory records every released lease in the leases table
	// (charon.plugins.attr-sql.lease_history, default yes).
	LeaseHistory bool
	// CrashRecovery marks the leases still online in the database as
	// released when the provider starts, as after a crash
	// (charon.plugins.attr-sql.crash_recovery, default yes). Gateways
	// that share a database must not do this: one that starts would
	// take the leases of the others' peers offline.
	CrashRecovery bool
	// Now tells the time (time.Now if nil).
	Now func() time.Time
	// Timeout bounds each database operation (10 s if zero).
	Timeout time.Duration
}

// SettingsOptions returns the options strongswan.conf sets for the daemon
// namespace ns ("charon" if empty).
func SettingsOptions(s *config.Settings, ns string, l *log.Logger) Options {
	if ns == "" {
		ns = "charon"
	}
	get := func(key string) bool {
		for _, k := range []string{ns + ".plugins.attr-sql." + key, "libhydra.plugins.attr-sql." + key} {
			if v, ok := s.Get(k); ok {
				b, ok := config.ParseBool(v)
				return b || !ok
			}
		}
		return true
	}
	return Options{Log: l, LeaseHistory: get("lease_history"), CrashRecovery: get("crash_recovery")}
}

// Provider serves virtual IPs and attributes from a pool database, as
// charon's attr-sql plugin: an identity gets its released lease back, else
// the first unallocated address (static pools, timeout 0) or the first
// address unallocated or released longer than the pool's timeout ago.
// Attributes come from the attribute pools named like the connection's
// pools, for the peer's identity, else for everybody, else the global
// ones. It is an attr.Provider, safe for concurrent use.
type Provider struct {
	db  *DB
	opt Options
}

var _ attr.Provider = (*Provider)(nil)

// ctxCfg is the context of messages outside an IKE_SA.
var ctxCfg = log.Context{Thread: 1}

// NewProvider serves the pools of db, creating the schema if the database
// has none, and recovers from a crash if opt says so.
func NewProvider(db *DB, opt Options) (*Provider, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Timeout == 0 {
		opt.Timeout = 10 * time.Second
	}
	p := &Provider{db: db, opt: opt}
	ctx, cancel := p.context()
	defer cancel()
	if err := db.EnsureSchema(ctx); err != nil {
		return nil, err
	}
	if opt.CrashRecovery {
		now := p.now()
		err := db.InTx(ctx, func(tx *Tx) error {
			if opt.LeaseHistory {
				if _, err := tx.ExecContext(ctx, `INSERT INTO leases (address, identity, acquired, released)
 SELECT id, identity, acquired, ? FROM addresses WHERE released = 0`, now); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, "UPDATE addresses SET released = ? WHERE released = 0", now)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Load opens the attr-sql database strongswan.conf names for namespace ns
// and returns its provider; it logs charon's messages when it cannot.
func Load(s *config.Settings, ns string, l *log.Logger) (*Provider, error) {
	uri, ok := URI(s, ns)
	if !ok {
		l.Log(log.CFG, log.Ctrl, ctxCfg, "attr-sql plugin: database URI not set")
		return nil, errors.New("attr-sql plugin: database URI not set")
	}
	db, err := Open(uri)
	if err != nil {
		l.Log(log.LIB, log.Ctrl, ctxCfg, "opening database failed: %v", err)
		l.Log(log.CFG, log.Ctrl, ctxCfg, "attr-sql plugin failed to connect to database")
		return nil, err
	}
	p, err := NewProvider(db, SettingsOptions(s, ns, l))
	if err != nil {
		db.Close()
		l.Log(log.LIB, log.Ctrl, ctxCfg, "preparing the attr-sql database failed: %v", err)
		l.Log(log.CFG, log.Ctrl, ctxCfg, "attr-sql plugin failed to connect to database")
		return nil, err
	}
	return p, nil
}

// Close closes the database.
func (p *Provider) Close() error { return p.db.Close() }

// DB returns the provider's database.
func (p *Provider) DB() *DB { return p.db }

func (p *Provider) now() int64 { return p.opt.Now().Unix() }

func (p *Provider) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), p.opt.Timeout)
}

func saContext(sa attr.SA) log.Context { return sa.LogContext() }

// dbError logs a failed database operation (charon's sql plugins log at
// LIB level 1 too).
func (p *Provider) dbError(sa attr.SA, what string, err error) {
	p.opt.Log.Log(log.LIB, log.Ctrl, saContext(sa), "attr-sql: %s failed: %v", what, err)
}

// IdentityID returns the row of id in the identities table, inserting it
// if missing. The identity is stored as strongSwan stores it: the ID type
// number and the ID's encoding.
func IdentityID(ctx context.Context, q Querier, id identity.ID) (int64, error) {
	typ, data := int(id.Type()), blob(id.Data())
	var row int64
	err := q.QueryRowContext(ctx, "SELECT id FROM identities WHERE type = ? AND data = ?", typ, data).Scan(&row)
	if err == nil {
		return row, nil
	}
	if !errors.Is(err, dbsql.ErrNoRows) {
		return 0, err
	}
	// another gateway may insert it at the same time: the UNIQUE
	// constraint lets one win, and both read the winner's row
	ins := "INSERT OR IGNORE INTO identities (type, data) VALUES (?, ?)"
	if q.Dialect() == Postgres {
		ins = "INSERT INTO identities (type, data) VALUES (?, ?) ON CONFLICT DO NOTHING"
	}
	if _, err := q.ExecContext(ctx, ins, typ, data); err != nil {
		return 0, err
	}
	err = q.QueryRowContext(ctx, "SELECT id FROM identities WHERE type = ? AND data = ?", typ, data).Scan(&row)
	return row, err
}

// poolRow is a pool of the pools table.
type poolRow struct {
	id      int64
	timeout int64
}

// pool looks up a pool by name; it serves only addresses of the family of
// its start address (4 or 16 octets).
func pool(ctx context.Context, q Querier, name string, v6 bool) (poolRow, bool, error) {
	var r poolRow
	var start []byte
	err := q.QueryRowContext(ctx, "SELECT id, start, timeout FROM pools WHERE name = ?", name).Scan(&r.id, &start, &r.timeout)
	if errors.Is(err, dbsql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	want := 4
	if v6 {
		want = 16
	}
	return r, len(start) == want, nil
}

// lockCandidate is the clause that locks a candidate row on PostgreSQL so
// that concurrent acquirers take different ones.
func lockCandidate(q Querier) string {
	if q.Dialect() == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// takeRow runs a leasing UPDATE ... RETURNING address and decodes the
// address; ok is false if no row matched.
func takeRow(ctx context.Context, q Querier, stmt string, args ...any) (netip.Addr, bool, error) {
	var b []byte
	err := q.QueryRowContext(ctx, stmt, args...).Scan(&b)
	if errors.Is(err, dbsql.ErrNoRows) {
		return netip.Addr{}, false, nil
	}
	if err != nil {
		return netip.Addr{}, false, err
	}
	a, ok := netip.AddrFromSlice(b)
	return a, ok, nil
}

// existingLease brings back the oldest released lease of the identity in
// the pool (charon's check_lease).
func existingLease(ctx context.Context, q Querier, pool, ident, now int64) (netip.Addr, bool, error) {
	return takeRow(ctx, q, `UPDATE addresses SET acquired = ?, released = 0
 WHERE id = (SELECT id FROM addresses WHERE pool = ? AND identity = ? AND released != 0 ORDER BY id LIMIT 1`+lockCandidate(q)+`)
 AND identity = ? AND released != 0 RETURNING address`, now, pool, ident, ident)
}

// newLease takes the first unallocated address of a static pool, or the
// first address of a pool with a timeout that is unallocated or was
// released more than timeout seconds ago (charon's get_lease).
func newLease(ctx context.Context, q Querier, pool poolRow, ident, now int64) (netip.Addr, bool, error) {
	if pool.timeout != 0 {
		expired := now - pool.timeout
		return takeRow(ctx, q, `UPDATE addresses SET acquired = ?, released = 0, identity = ?
 WHERE id = (SELECT id FROM addresses WHERE pool = ? AND released != 0 AND released < ? ORDER BY id LIMIT 1`+lockCandidate(q)+`)
 AND released != 0 AND released < ? RETURNING address`, now, ident, pool.id, expired, expired)
	}
	return takeRow(ctx, q, `UPDATE addresses SET acquired = ?, released = 0, identity = ?
 WHERE id = (SELECT id FROM addresses WHERE pool = ? AND identity = 0 ORDER BY id LIMIT 1`+lockCandidate(q)+`)
 AND identity = 0 RETURNING address`, now, ident, pool.id)
}

// AcquireAddress implements attr.Provider: the identity's released lease in
// any of the pools (of the requested family), else a new one, first pool
// first. The requested address itself is not considered, as in charon. It
// all happens in one transaction.
func (p *Provider) AcquireAddress(pools []string, sa attr.SA, requested netip.Addr) (netip.Addr, bool) {
	if len(pools) == 0 || !requested.IsValid() {
		return netip.Addr{}, false
	}
	ctx, cancel := p.context()
	defer cancel()
	var (
		got  netip.Addr
		msgs []string // logged once committed
	)
	err := p.db.InTx(ctx, func(tx *Tx) error {
		got, msgs = netip.Addr{}, msgs[:0]
		ident, err := IdentityID(ctx, tx, sa.PeerID)
		if err != nil {
			return err
		}
		v6 := !requested.Is4()
		rows := make([]poolRow, len(pools))
		found := make([]bool, len(pools))
		for i, name := range pools {
			if rows[i], found[i], err = pool(ctx, tx, name, v6); err != nil {
				return err
			}
		}
		now := p.now()
		for i, name := range pools {
			if !found[i] {
				continue
			}
			a, ok, err := existingLease(ctx, tx, rows[i].id, ident, now)
			if err != nil {
				return err
			}
			if ok {
				got = a
				msgs = append(msgs, fmt.Sprintf("acquired existing lease for address %s in pool '%s'", hostString(a), name))
				return nil
			}
		}
		for i, name := range pools {
			if !found[i] {
				continue
			}
			a, ok, err := newLease(ctx, tx, rows[i], ident, now)
			if err != nil {
				return err
			}
			if ok {
				got = a
				msgs = append(msgs, fmt.Sprintf("acquired new lease for address %s in pool '%s'", hostString(a), name))
				return nil
			}
			msgs = append(msgs, fmt.Sprintf("no available address found in pool '%s'", name))
		}
		return nil
	})
	if err != nil {
		p.dbError(sa, "acquiring a lease", err)
		return netip.Addr{}, false
	}
	lc := saContext(sa)
	for _, m := range msgs {
		p.opt.Log.LogText(log.CFG, log.Ctrl, lc, m)
	}
	return got, got.IsValid()
}

// ReleaseAddress implements attr.Provider: the lease goes offline (its
// release time is set) and, with LeaseHistory, is recorded in the leases
// table. Unlike charon, only a lease the peer's identity holds is
// released: another gateway may have handed the address to someone else
// since.
func (p *Provider) ReleaseAddress(pools []string, addr netip.Addr, sa attr.SA) bool {
	if !addr.IsValid() {
		return false
	}
	ctx, cancel := p.context()
	defer cancel()
	v6 := !addr.Is4()
	typ, data := int(sa.PeerID.Type()), blob(sa.PeerID.Data())
	for _, name := range pools {
		r, ok, err := pool(ctx, p.db, name, v6)
		if err != nil {
			p.dbError(sa, "looking up pool '"+name+"'", err)
			return false
		}
		if !ok {
			continue
		}
		released := false
		err = p.db.InTx(ctx, func(tx *Tx) error {
			now := p.now()
			res, err := tx.ExecContext(ctx, `UPDATE addresses SET released = ?
 WHERE pool = ? AND address = ? AND identity = (SELECT id FROM identities WHERE type = ? AND data = ?)`,
				now, r.id, addr.AsSlice(), typ, data)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			released = true
			if p.opt.LeaseHistory {
				_, err = tx.ExecContext(ctx, `INSERT INTO leases (address, identity, acquired, released)
 SELECT id, identity, acquired, ? FROM addresses WHERE pool = ? AND address = ?`, now, r.id, addr.AsSlice())
			}
			return err
		})
		if err != nil {
			p.dbError(sa, "releasing a lease", err)
			return false
		}
		if released {
			return true
		}
	}
	return false
}

// Attributes implements attr.Provider: for a peer that got a virtual IP,
// the attributes of the first attribute pool (named like one of the
// connection's pools) that has some for the peer's identity, else of the
// first that has some for everybody, else the global ones.
func (p *Provider) Attributes(pools []string, sa attr.SA, vips []netip.Addr) []attr.Attribute {
	if len(vips) == 0 {
		return nil
	}
	ctx, cancel := p.context()
	defer cancel()
	ident, err := IdentityID(ctx, p.db, sa.PeerID)
	if err != nil {
		p.dbError(sa, "looking up the identity", err)
		return nil
	}
	var attrPools []int64
	for _, name := range pools {
		var id int64
		err := p.db.QueryRowContext(ctx, "SELECT id FROM attribute_pools WHERE name = ?", name).Scan(&id)
		if errors.Is(err, dbsql.ErrNoRows) {
			continue
		}
		if err != nil {
			p.dbError(sa, "looking up attribute pool '"+name+"'", err)
			return nil
		}
		attrPools = append(attrPools, id)
	}
	for _, who := range []int64{ident, 0} {
		for _, ap := range attrPools {
			as, err := p.attributes(ctx, "pool = ? AND identity = ?", ap, who)
			if err != nil {
				p.dbError(sa, "reading attributes", err)
				return nil
			}
			if len(as) > 0 {
				return as
			}
		}
	}
	as, err := p.attributes(ctx, "pool = 0 AND identity = 0")
	if err != nil {
		p.dbError(sa, "reading attributes", err)
		return nil
	}
	return as
}

func (p *Provider) attributes(ctx context.Context, where string, args ...any) ([]attr.Attribute, error) {
	rows, err := p.db.QueryContext(ctx, "SELECT type, value FROM attributes WHERE "+where+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attr.Attribute
	for rows.Next() {
		var typ int64
		var v []byte
		if err := rows.Scan(&typ, &v); err != nil {
			return nil, err
		}
		out = append(out, attr.Attribute{Type: message.CPAttrType(typ), Value: blob(v)})
	}
	return out, rows.Err()
}

// hostString prints an address as charon's %H.
func hostString(a netip.Addr) string { return identity.FormatHost(a) }
