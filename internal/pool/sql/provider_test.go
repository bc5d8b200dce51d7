package sql

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// backend makes a fresh database URI.
type backend struct {
	name string
	uri  func(t testing.TB) string
}

var backends = []backend{
	{"sqlite", func(t testing.TB) string { return "sqlite://" + filepath.Join(t.TempDir(), "ipsec.db") }},
	{"postgres", pgURI},
}

func forBackends(t *testing.T, f func(t *testing.T, uri string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b.uri(t)) })
	}
}

func open(t testing.TB, uri string) *DB {
	t.Helper()
	db, err := Open(uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// addPool creates a pool of the addresses from..to as `ipsec pool --add`.
func addPool(t testing.TB, db *DB, name, from, to string, timeout int64) {
	t.Helper()
	ctx := context.Background()
	f, l := netip.MustParseAddr(from), netip.MustParseAddr(to)
	err := db.InTx(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO pools (name, start, "end", timeout) VALUES (?, ?, ?, ?) RETURNING id`,
			name, f.AsSlice(), l.AsSlice(), timeout).Scan(&id); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, "INSERT INTO addresses (pool, address, identity, acquired, released) VALUES (?, ?, 0, 0, 1)")
		if err != nil {
			return err
		}
		defer st.Close()
		for a := f; a.Compare(l) <= 0; a = a.Next() {
			if _, err := st.ExecContext(ctx, id, a.AsSlice()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type capture struct {
	l   *log.Logger
	sub *log.Subscription
}

func newCapture(t testing.TB) *capture {
	l := log.New(log.Options{Stderr: io.Discard, Stdout: io.Discard})
	t.Cleanup(func() { l.Close() })
	return &capture{l, l.Subscribe(log.Filter{Level: log.Ctrl, Buffer: 1 << 14})}
}

func (c *capture) lines() []string {
	var out []string
	for {
		select {
		case r := <-c.sub.Records():
			out = append(out, fmt.Sprintf("%02d[%s] %s", r.Context.Thread, r.Group, r.Message))
		default:
			return out
		}
	}
}

func sa(id string, uid uint32) attr.SA {
	return attr.SA{Name: "rw", UniqueID: uid, PeerID: identity.MustParse(id)}
}

var any4 = netip.IPv4Unspecified()

func TestProviderSemantics(t *testing.T) {
	forBackends(t, func(t *testing.T, uri string) {
		db := open(t, uri)
		c := newCapture(t)
		clk := &clock{t: time.Unix(1700000000, 0)}
		p, err := NewProvider(db, Options{Log: c.l, LeaseHistory: true, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		addPool(t, db, "static", "10.3.0.1", "10.3.0.2", 0)
		addPool(t, db, "timed", "10.4.0.1", "10.4.0.1", 3600)
		addPool(t, db, "v6", "fec3::1", "fec3::2", 0)

		type step struct {
			release bool
			pools   []string
			id      string
			addr    string // requested or released
			want    string
			logs    []string
		}
		static, timed := []string{"static"}, []string{"timed"}
		steps := []step{
			{pools: static, id: "carol@strongswan.org", addr: "0.0.0.0", want: "10.3.0.1",
				logs: []string{"02[CFG] acquired new lease for address 10.3.0.1 in pool 'static'"}},
			// the wish is not considered
			{pools: static, id: "dave@strongswan.org", addr: "10.3.0.1", want: "10.3.0.2",
				logs: []string{"02[CFG] acquired new lease for address 10.3.0.2 in pool 'static'"}},
			// an identity with a lease online gets no second one of a
			// full pool
			{pools: static, id: "carol@strongswan.org", addr: "0.0.0.0", want: "",
				logs: []string{"02[CFG] no available address found in pool 'static'"}},
			{release: true, pools: static, id: "dave@strongswan.org", addr: "10.3.0.1", want: ""},
			{release: true, pools: static, id: "carol@strongswan.org", addr: "10.3.0.1", want: "10.3.0.1"},
			// static leases stay the identity's
			{pools: static, id: "alice@strongswan.org", addr: "0.0.0.0", want: "",
				logs: []string{"02[CFG] no available address found in pool 'static'"}},
			{pools: static, id: "carol@strongswan.org", addr: "0.0.0.0", want: "10.3.0.1",
				logs: []string{"02[CFG] acquired existing lease for address 10.3.0.1 in pool 'static'"}},
			// the first pool that has one serves
			{pools: []string{"nonexistent", "v6", "static", "timed"}, id: "alice@strongswan.org", addr: "0.0.0.0", want: "10.4.0.1",
				logs: []string{
					"02[CFG] no available address found in pool 'static'",
					"02[CFG] acquired new lease for address 10.4.0.1 in pool 'timed'",
				}},
			{pools: []string{"static", "v6"}, id: "alice@strongswan.org", addr: "::", want: "fec3::1",
				logs: []string{"02[CFG] acquired new lease for address fec3::1 in pool 'v6'"}},
			{release: true, pools: timed, id: "alice@strongswan.org", addr: "10.4.0.1", want: "10.4.0.1"},
			// within the timeout the lease is alice's
			{pools: timed, id: "venus.strongswan.org", addr: "0.0.0.0", want: "",
				logs: []string{"02[CFG] no available address found in pool 'timed'"}},
		}
		run := func(steps []step) {
			for i, s := range steps {
				var got string
				if s.release {
					if p.ReleaseAddress(s.pools, netip.MustParseAddr(s.addr), sa(s.id, 1)) {
						got = s.addr
					}
				} else if a, ok := p.AcquireAddress(s.pools, sa(s.id, 1), netip.MustParseAddr(s.addr)); ok {
					got = a.String()
				}
				if got != s.want {
					t.Errorf("step %d: got %q, want %q", i, got, s.want)
				}
				if l := c.lines(); !slices.Equal(l, s.logs) {
					t.Errorf("step %d: logs %q, want %q", i, l, s.logs)
				}
			}
		}
		run(steps)
		clk.add(3601 * time.Second)
		run([]step{
			// after it, anybody's
			{pools: timed, id: "venus.strongswan.org", addr: "0.0.0.0", want: "10.4.0.1",
				logs: []string{"02[CFG] acquired new lease for address 10.4.0.1 in pool 'timed'"}},
			// alice's release of what is now venus' address is refused
			{release: true, pools: timed, id: "alice@strongswan.org", addr: "10.4.0.1", want: ""},
		})

		ctx := context.Background()
		var history int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM leases").Scan(&history); err != nil || history != 2 {
			t.Errorf("lease history has %d rows (%v), want 2", history, err)
		}
		var ids int
		db.QueryRowContext(ctx, "SELECT count(*) FROM identities").Scan(&ids)
		if ids != 4 {
			t.Errorf("%d identities, want 4", ids)
		}
		// an identity is stored as charon stores it: type and encoding
		var typ int
		var data []byte
		db.QueryRowContext(ctx, "SELECT type, data FROM identities WHERE id = 1").Scan(&typ, &data)
		if typ != 3 || string(data) != "carol@strongswan.org" {
			t.Errorf("identity 1 is %d %q", typ, data)
		}

		// a restart after a crash takes the online leases offline
		p2, err := NewProvider(db, Options{LeaseHistory: true, CrashRecovery: true, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		var online int
		db.QueryRowContext(ctx, "SELECT count(*) FROM addresses WHERE released = 0").Scan(&online)
		db.QueryRowContext(ctx, "SELECT count(*) FROM leases").Scan(&history)
		if online != 0 || history != 6 {
			t.Errorf("after crash recovery: %d online, %d history rows", online, history)
		}
		if a, ok := p2.AcquireAddress(static, sa("carol@strongswan.org", 1), any4); !ok || a.String() != "10.3.0.1" {
			t.Errorf("carol after the restart: %s", a)
		}
	})
}

func TestProviderAttributes(t *testing.T) {
	forBackends(t, func(t *testing.T, uri string) {
		db := open(t, uri)
		p, err := NewProvider(db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		venus, _ := IdentityID(ctx, db, identity.MustParse("venus.strongswan.org"))
		exec("INSERT INTO attribute_pools (name) VALUES ('intpool'), ('extpool')")
		exec("INSERT INTO attributes (identity, pool, type, value) VALUES (0, 0, 3, ?)", []byte{10, 1, 0, 1})
		exec("INSERT INTO attributes (identity, pool, type, value) VALUES (0, 0, 3, ?)", []byte{10, 1, 0, 2})
		exec("INSERT INTO attributes (identity, pool, type, value) VALUES (0, 2, 3, ?)", []byte{10, 2, 0, 1})
		exec("INSERT INTO attributes (identity, pool, type, value) VALUES (?, 1, 3, ?)", venus, []byte{10, 3, 0, 1})
		exec("INSERT INTO attributes (identity, pool, type, value) VALUES (?, 1, 25, ?)", venus, []byte("strongswan.org"))

		vip := []netip.Addr{netip.MustParseAddr("10.4.0.1")}
		dns := func(b ...byte) attr.Attribute { return attr.Attribute{Type: message.CPInternalIP4DNS, Value: b} }
		tests := []struct {
			pools []string
			id    string
			want  []attr.Attribute
		}{
			{[]string{"intpool"}, "venus.strongswan.org", []attr.Attribute{dns(10, 3, 0, 1), {Type: message.CPInternalDNSDomain, Value: []byte("strongswan.org")}}},
			{[]string{"extpool", "intpool"}, "venus.strongswan.org", []attr.Attribute{dns(10, 3, 0, 1), {Type: message.CPInternalDNSDomain, Value: []byte("strongswan.org")}}},
			{[]string{"intpool", "extpool"}, "alice@strongswan.org", []attr.Attribute{dns(10, 2, 0, 1)}},
			{[]string{"intpool"}, "alice@strongswan.org", []attr.Attribute{dns(10, 1, 0, 1), dns(10, 1, 0, 2)}},
			{nil, "venus.strongswan.org", []attr.Attribute{dns(10, 1, 0, 1), dns(10, 1, 0, 2)}},
		}
		for i, tt := range tests {
			got := p.Attributes(tt.pools, sa(tt.id, 1), vip)
			if !slices.EqualFunc(got, tt.want, func(a, b attr.Attribute) bool { return a.Type == b.Type && bytes.Equal(a.Value, b.Value) }) {
				t.Errorf("%d: %v, want %v", i, got, tt.want)
			}
		}
		if got := p.Attributes([]string{"intpool"}, sa("venus.strongswan.org", 1), nil); got != nil {
			t.Errorf("attributes without a virtual IP: %v", got)
		}
	})
}

// TestTwoGateways has two gateways, each with its own connection pool to
// the same database, lease addresses for many peers at once: no address
// is ever online for two identities, and every address is handed out.
func TestTwoGateways(t *testing.T) {
	forBackends(t, func(t *testing.T, uri string) {
		const size, peers, workers = 200, 260, 16
		gw := make([]*Provider, 2)
		for i := range gw {
			var err error
			gw[i], err = NewProvider(open(t, uri), Options{LeaseHistory: true})
			if err != nil {
				t.Fatal(err)
			}
		}
		addPool(t, gw[0].db, "shared", "10.3.0.1", netip.AddrFrom4([4]byte{10, 3, 0, size}).String(), 0)

		var (
			mu    sync.Mutex
			owner = map[netip.Addr]string{}
			wg    sync.WaitGroup
			next  = make(chan int, peers)
		)
		for i := range peers {
			next <- i
		}
		close(next)
		start := time.Now()
		var acquired int
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := gw[w%2]
				for i := range next {
					id := fmt.Sprintf("peer%d@example.org", i)
					a, ok := p.AcquireAddress([]string{"shared"}, sa(id, uint32(i)), any4)
					if !ok {
						continue
					}
					mu.Lock()
					if o, dup := owner[a]; dup {
						t.Errorf("%s handed to %s and %s", a, o, id)
					}
					owner[a] = id
					acquired++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		t.Logf("%d acquires (%d peers, pool of %d) by two gateways in %v: %.0f acquires/s",
			peers, peers, size, el, float64(peers)/el.Seconds())
		if acquired != size {
			t.Errorf("%d addresses handed out, want %d", acquired, size)
		}
		// the database agrees
		rows, err := gw[1].db.QueryContext(context.Background(), "SELECT address, identity FROM addresses WHERE released = 0")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var b []byte
			var id int64
			rows.Scan(&b, &id)
			a, _ := netip.AddrFromSlice(b)
			if _, ok := owner[a]; !ok {
				t.Errorf("%s online in the database but not handed out", a)
			}
			n++
		}
		if n != size {
			t.Errorf("%d online leases in the database", n)
		}
	})
}

func TestURIs(t *testing.T) {
	s, ds := config.ParseSettings(nil, "strongswan.conf", []byte(`libhydra {
	plugins {
		attr-sql {
			database = sqlite:///legacy.db
			lease_history = no
		}
	}
}
pool {
	database = sqlite:///pool.db
}
`))
	if config.HasErrors(ds) {
		t.Fatal(config.Err(ds))
	}
	if u, _ := URI(s, ""); u != "sqlite:///legacy.db" {
		t.Errorf("URI %q", u)
	}
	if u, _ := ToolURI(s); u != "sqlite:///pool.db" {
		t.Errorf("tool URI %q", u)
	}
	o := SettingsOptions(s, "", nil)
	if o.LeaseHistory || !o.CrashRecovery {
		t.Errorf("options %+v", o)
	}
	for _, bad := range []string{"mysql://u:p@h/db", "sqlite://", "file:///x"} {
		if _, err := Open(bad); err == nil {
			t.Errorf("%s opens", bad)
		}
	}
}

func TestLoadFailures(t *testing.T) {
	c := newCapture(t)
	s, _ := config.ParseSettings(nil, "strongswan.conf", []byte("charon {\n}\n"))
	if _, err := Load(s, "", c.l); err == nil {
		t.Fatal("loaded without a database")
	}
	if l := c.lines(); !slices.Equal(l, []string{"01[CFG] attr-sql plugin: database URI not set"}) {
		t.Errorf("%q", l)
	}
	s, _ = config.ParseSettings(nil, "strongswan.conf", []byte("charon {\n plugins {\n  attr-sql {\n   database = sqlite:///nonexistent/dir/x.db\n  }\n }\n}\n"))
	if _, err := Load(s, "", c.l); err == nil {
		t.Fatal("loaded an impossible database")
	}
	if l := c.lines(); len(l) != 2 || l[1] != "01[CFG] attr-sql plugin failed to connect to database" {
		t.Errorf("%q", l)
	}
}

// BenchmarkAcquireRelease leases and releases on one gateway, 16 peers at
// a time.
func BenchmarkAcquireRelease(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db := open(b, be.uri(b))
			p, err := NewProvider(db, Options{LeaseHistory: true})
			if err != nil {
				b.Fatal(err)
			}
			addPool(b, db, "bench", "10.3.0.1", "10.3.3.232", 0)
			b.SetParallelism(8)
			var n atomicCounter
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					s := sa(fmt.Sprintf("peer%d@example.org", n.next()%500), 1)
					if a, ok := p.AcquireAddress([]string{"bench"}, s, any4); ok {
						p.ReleaseAddress([]string{"bench"}, a, s)
					}
				}
			})
		})
	}
}

type atomicCounter struct {
	mu sync.Mutex
	n  int
}

func (c *atomicCounter) next() int { c.mu.Lock(); defer c.mu.Unlock(); c.n++; return c.n }
