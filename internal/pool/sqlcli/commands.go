package sqlcli

import (
	"bufio"
	"context"
	dbsql "database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/goswan/goswan/internal/config"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/message"
	sqlpool "github.com/goswan/goswan/internal/pool/sql"
)

// hostString prints an address as charon's %H.
func hostString(a netip.Addr) string { return identity.FormatHost(a) }

// chunkHost is host_create_from_chunk(AF_UNSPEC, b).
func chunkHost(b []byte) netip.Addr {
	if len(b) != 4 && len(b) != 16 {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// familyHost is host_create_from_chunk(family, b): the first 4 or 16
// octets.
func familyHost(b []byte, v6 bool) netip.Addr {
	n := 4
	if v6 {
		n = 16
	}
	if len(b) < n {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(b[:n])
	return a
}

// last32 is the last 32 bits of an address (pool.c's get_pool_size).
func last32(a netip.Addr) uint32 {
	b := a.AsSlice()
	return binary.BigEndian.Uint32(b[len(b)-4:])
}

// poolSize is end - start + 1 over the last 32 bits, as pool.c counts.
func poolSize(start, end netip.Addr) uint32 { return last32(end) - last32(start) + 1 }

// status is --status: the DNS and NBNS servers, then a line per pool.
func (r *runner) status(ctx context.Context) error {
	w := r.out
	servers := func(label string, v4, v6 message.CPAttrType) error {
		found := false
		for _, t := range []message.CPAttrType{v4, v6} {
			rows, err := r.tx.QueryContext(ctx, "SELECT value FROM attributes WHERE type = ? ORDER BY id", int(t))
			if err != nil {
				return err
			}
			for rows.Next() {
				var v []byte
				if err := rows.Scan(&v); err != nil {
					rows.Close()
					return err
				}
				if !found {
					fmt.Fprintf(w, "%s servers:", label)
					found = true
				}
				if a := familyHost(v, t == v6); a.IsValid() {
					fmt.Fprintf(w, " %s", hostString(a))
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if found {
			fmt.Fprintln(w)
		} else {
			fmt.Fprintf(w, "no %s servers found.\n", label)
		}
		return nil
	}
	if err := servers("dns", message.CPInternalIP4DNS, message.CPInternalIP6DNS); err != nil {
		return err
	}
	if err := servers("nbns", message.CPInternalIP4NBNS, message.CPInternalIP6NBNS); err != nil {
		return err
	}

	type poolInfo struct {
		id         int64
		name       string
		start, end []byte
		timeout    int64
	}
	rows, err := r.tx.QueryContext(ctx, `SELECT id, name, start, "end", timeout FROM pools ORDER BY id`)
	if err != nil {
		return err
	}
	var pools []poolInfo
	for rows.Next() {
		var p poolInfo
		if err := rows.Scan(&p.id, &p.name, &p.start, &p.end, &p.timeout); err != nil {
			rows.Close()
			return err
		}
		pools = append(pools, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(pools) == 0 {
		fmt.Fprintln(w, "no pools found.")
		return nil
	}
	fmt.Fprintf(w, "%8s %15s %15s %8s %6s %11s %11s\n", "name", "start", "end", "timeout", "size", "online", "usage")
	now := r.env.Now().Unix()
	for _, p := range pools {
		start, end := chunkHost(p.start), chunkHost(p.end)
		if start.IsValid() && start.IsUnspecified() && end.IsValid() && end.IsUnspecified() {
			fmt.Fprintf(w, "%s %15s %15s ", lpad(p.name, 8), "n/a", "n/a")
		} else {
			fmt.Fprintf(w, "%s %15s %15s ", lpad(p.name, 8), hostString(start), hostString(end))
		}
		timeout := uint32(p.timeout)
		switch {
		case timeout == 0:
			fmt.Fprintf(w, "%8s ", "static")
		case timeout >= 60*300:
			fmt.Fprintf(w, "%7dh ", timeout/3600)
		case timeout >= 300:
			fmt.Fprintf(w, "%7dm ", timeout/60)
		default:
			fmt.Fprintf(w, "%7ds ", timeout)
		}
		var size, online, used int64
		if err := r.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM addresses WHERE pool = ?", p.id).Scan(&size); err != nil {
			return err
		}
		if size == 0 {
			fmt.Fprintf(w, "%6d %11s %11s \n", 0, "n/a", "n/a")
			continue
		}
		fmt.Fprintf(w, "%6d ", size)
		if err := r.tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM addresses WHERE pool = ? AND released = 0", p.id).Scan(&online); err != nil {
			return err
		}
		fmt.Fprintf(w, "%5d (%2d%%) ", online, uint32(online)*100/uint32(size))
		static := 0
		if timeout == 0 {
			static = 1
		}
		if err := r.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM addresses WHERE addresses.pool = ?
 AND ((? != 0 AND acquired != 0) OR released = 0 OR released > ?)`,
			p.id, static, int64(uint32(now-int64(timeout)))).Scan(&used); err != nil {
			return err
		}
		fmt.Fprintf(w, "%5d (%2d%%) \n", used, uint32(used)*100/uint32(size))
	}
	return nil
}

// createPool inserts a pool, replacing one of the same name with
// --replace.
func (r *runner) createPool(ctx context.Context, name string, start, end []byte, timeout int64) (int64, error) {
	var id int64
	err := r.tx.QueryRowContext(ctx, "SELECT id FROM pools WHERE name = ?", name).Scan(&id)
	switch {
	case err == nil:
		if !r.replace {
			return 0, r.errorf("pool '%s' exists.\n", name)
		}
		if err := r.del(ctx, name); err != nil {
			return 0, err
		}
	case !errors.Is(err, dbsql.ErrNoRows):
		return 0, err
	}
	err = r.tx.QueryRowContext(ctx, `INSERT INTO pools (name, start, "end", timeout) VALUES (?, ?, ?, ?) RETURNING id`,
		name, start, end, int64(uint32(timeout))).Scan(&id)
	if err != nil {
		return 0, r.errorf("creating pool failed.\n")
	}
	return id, nil
}

// insertBatch is how many addresses one INSERT carries (PostgreSQL takes
// up to 65535 parameters, SQLite 32766).
func insertBatch(d sqlpool.Dialect) int {
	if d == sqlpool.Postgres {
		return 5000
	}
	return 1000
}

// insertAddresses adds the addresses from..to (unleased) to a pool, many
// per statement.
func (r *runner) insertAddresses(ctx context.Context, pool int64, from, to netip.Addr) error {
	var sb strings.Builder
	batch := insertBatch(r.tx.Dialect())
	args := make([]any, 0, 2*batch)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		sb.Reset()
		sb.WriteString("INSERT INTO addresses (pool, address, identity, acquired, released) VALUES ")
		for i := 0; i < len(args)/2; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("(?, ?, 0, 0, 1)")
		}
		_, err := r.tx.ExecContext(ctx, sb.String(), args...)
		args = args[:0]
		return err
	}
	for a := from; ; a = a.Next() {
		args = append(args, pool, a.AsSlice())
		if len(args) == 2*batch {
			if err := flush(); err != nil {
				return err
			}
		}
		if a == to {
			break
		}
	}
	return flush()
}

// add is --add NAME --start A --end B [--timeout T].
func (r *runner) add(ctx context.Context, name string, start, end netip.Addr, timeout int64) error {
	count := poolSize(start, end)
	if start.Is4() != end.Is4() || start.Compare(end) > 0 {
		return r.errorf("invalid start/end pair specified.\n")
	}
	if start.Is6() {
		s, e := start.As16(), end.As16()
		if [12]byte(s[:12]) != [12]byte(e[:12]) {
			// pool.c would try to insert more than 2^32 addresses
			return r.errorf("pools of more than 2^32 addresses are not supported.\n")
		}
	}
	id, err := r.createPool(ctx, name, start.AsSlice(), end.AsSlice(), timeout)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.out, "allocating %d addresses... ", int32(count))
	r.out.Flush()
	if err := r.insertAddresses(ctx, id, start, end); err != nil {
		return err
	}
	fmt.Fprintln(r.out, "done.")
	return nil
}

// addAddresses is --add NAME --addresses FILE: a pool of the addresses
// listed one per line (ADDRESS or ADDRESS=IDENTITY for a lease given to
// that identity), up to the end or an empty line.
func (r *runner) addAddresses(ctx context.Context, name, path string, timeout int64) error {
	any4 := netip.IPv4Unspecified().AsSlice()
	id, err := r.createPool(ctx, name, any4, any4, timeout)
	if err != nil {
		return err
	}
	var in io.Reader = r.env.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			r.errorf("opening '%s' failed: %s\n", path, strerror(err))
			return exitError(255)
		}
		defer f.Close()
		in = f
	}
	fmt.Fprint(r.out, "starting allocation... ")
	r.out.Flush()
	br := bufio.NewReader(in)
	count, v6, family := 0, false, false
	for {
		line, rerr := readLine(br, 512)
		if line == "" && rerr != nil {
			break
		}
		if line == "\n" {
			break
		}
		line = strings.TrimSuffix(line, "\n")
		addr, who, hasID := strings.Cut(line, "=")
		var ident int64
		if hasID {
			idv, _ := identity.Parse(who)
			if ident, err = sqlpool.IdentityID(ctx, r.tx, idv); err != nil {
				return r.errorf("creating id '%s' failed.\n", idv)
			}
		}
		a, ok := config.ParseHost(addr)
		if !ok {
			return r.errorf("invalid address '%s'.\n", addr)
		}
		if family && a.Is6() != v6 {
			return r.errorf("invalid address family '%s'.\n", addr)
		}
		if _, err := r.tx.ExecContext(ctx, "INSERT INTO addresses (pool, address, identity, acquired, released) VALUES (?, ?, ?, 0, 1)",
			id, a.AsSlice(), ident); err != nil {
			return r.errorf("inserting address '%s' failed.\n", addr)
		}
		family, v6 = true, a.Is6()
		count++
	}
	if v6 {
		any6 := netip.IPv6Unspecified().AsSlice()
		if _, err := r.tx.ExecContext(ctx, `UPDATE pools SET start = ?, "end" = ? WHERE id = ?`, any6, any6, id); err != nil {
			return r.errorf("updating pool address family failed.\n")
		}
	}
	fmt.Fprintf(r.out, "%d addresses done.\n", count)
	return nil
}

// del is --del NAME: the pool, its addresses and their lease history.
func (r *runner) del(ctx context.Context, name string) error {
	rows, err := r.tx.QueryContext(ctx, "SELECT id FROM pools WHERE name = ?", name)
	if err != nil {
		return r.errorf("deleting pool failed.\n")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		for _, q := range []string{
			"DELETE FROM leases WHERE address IN (SELECT id FROM addresses WHERE pool = ?)",
			"DELETE FROM addresses WHERE pool = ?",
			"DELETE FROM pools WHERE id = ?",
		} {
			if _, err := r.tx.ExecContext(ctx, q, id); err != nil {
				return r.errorf("deleting pool failed.\n")
			}
		}
	}
	if len(ids) == 0 {
		return r.errorf("pool '%s' not found.\n", name)
	}
	return nil
}

// resize is --resize NAME --end B: grows a pool.
func (r *runner) resize(ctx context.Context, name string, end netip.Addr) error {
	var id int64
	var oldEnd []byte
	if err := r.tx.QueryRowContext(ctx, `SELECT id, "end" FROM pools WHERE name = ?`, name).Scan(&id, &oldEnd); err != nil {
		return r.errorf("resizing pool failed.\n")
	}
	newEnd := end.AsSlice()
	old := chunkHost(oldEnd)
	if len(oldEnd) != len(newEnd) || !old.IsValid() || end.Compare(old) < 0 {
		return r.errorf("shrinking of pools not supported.\n")
	}
	count := poolSize(old, end) - 1
	if old.IsUnspecified() {
		return r.errorf("pool is not resizable.\n")
	}
	if end.Is6() {
		o, e := old.As16(), end.As16()
		if [12]byte(o[:12]) != [12]byte(e[:12]) {
			return r.errorf("pools of more than 2^32 addresses are not supported.\n")
		}
	}
	res, err := r.tx.ExecContext(ctx, `UPDATE pools SET "end" = ? WHERE name = ?`, newEnd, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n <= 0 {
		return r.errorf("pool '%s' not found.\n", name)
	}
	fmt.Fprintf(r.out, "allocating %d new addresses... ", int32(count))
	r.out.Flush()
	if count > 0 {
		if err := r.insertAddresses(ctx, id, old.Next(), end); err != nil {
			return err
		}
	}
	fmt.Fprintln(r.out, "done.")
	return nil
}

// leaseFilter is a parsed --filter.
type leaseFilter struct {
	pool                    *string
	idType                  int
	idData                  []byte
	addr                    []byte
	tstamp                  uint32
	online, valid, expired  bool
	hasID, hasAddr, hasPool bool
}

// parseFilter reads --filter's comma separated key=value pairs as getsubopt
// does (", " inside a DN becomes "/ " first).
func (r *runner) parseFilter(s string) (*leaseFilter, error) {
	f := &leaseFilter{}
	b := []byte(s)
	for i := 0; i+1 < len(b); i++ {
		if b[i] == ',' && b[i+1] == ' ' {
			b[i] = '/'
		}
	}
	s = string(b)
	for s != "" {
		var tok string
		tok, s, _ = strings.Cut(s, ",")
		key, value, hasValue := strings.Cut(tok, "=")
		switch key {
		case "pool":
			if hasValue {
				v := value
				f.pool, f.hasPool = &v, true
			}
		case "id":
			if hasValue {
				id, _ := identity.Parse(value)
				f.idType, f.idData, f.hasID = int(id.Type()), id.Data(), true
				if f.idData == nil {
					f.idData = []byte{}
				}
			}
		case "addr":
			if hasValue {
				a, ok := config.ParseHost(value)
				if !ok {
					return nil, r.errorf("invalid 'addr' in filter string.\n")
				}
				f.addr, f.hasAddr = a.AsSlice(), true
			}
		case "tstamp":
			if hasValue {
				f.tstamp = uint32(atoi(value))
			}
			if f.tstamp == 0 {
				f.online = true
			}
		case "status":
			if hasValue {
				switch value {
				case "online":
					f.online = true
				case "valid":
					f.valid = true
				case "expired":
					f.expired = true
				default:
					return nil, r.errorf("invalid 'state' in filter string.\n")
				}
			}
		default:
			return nil, r.errorf("invalid filter string.\n")
		}
	}
	return f, nil
}

// atoi is C's atoi.
func atoi(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
		if n > 1<<40 {
			break
		}
	}
	if neg {
		return -n
	}
	return n
}

// leases is --leases [--filter F] [--utc]: the lease history and the
// online leases that match.
func (r *runner) leases(ctx context.Context, filter string, utc bool) error {
	f, err := r.parseFilter(filter)
	if err != nil {
		return err
	}
	now := r.env.Now().Unix()
	var (
		hist, cur         []string
		hargs, cargs      []any
		includeHist       = !f.online
		includeCur        = !(f.valid || f.expired)
		histCond, curCond string
	)
	if f.hasPool {
		hist, hargs = append(hist, "name = ?"), append(hargs, *f.pool)
		cur, cargs = append(cur, "name = ?"), append(cargs, *f.pool)
	}
	if f.hasID {
		hist, hargs = append(hist, "(identities.type = ? AND identities.data = ?)"), append(hargs, f.idType, f.idData)
		cur, cargs = append(cur, "(identities.type = ? AND identities.data = ?)"), append(cargs, f.idType, f.idData)
	}
	if f.hasAddr {
		hist, hargs = append(hist, "addresses.address = ?"), append(hargs, f.addr)
		cur, cargs = append(cur, "address = ?"), append(cargs, f.addr)
	}
	if f.tstamp != 0 {
		hist, hargs = append(hist, "(? >= leases.acquired AND ? <= leases.released)"), append(hargs, int64(f.tstamp), int64(f.tstamp))
	}
	if f.valid {
		hist, hargs = append(hist, "leases.released > ? - timeout"), append(hargs, now)
	}
	if f.expired {
		hist, hargs = append(hist, "leases.released < ? - timeout"), append(hargs, now)
	}
	if len(hist) > 0 {
		histCond = " WHERE " + strings.Join(hist, " AND ")
	}
	cur = append([]string{"released = 0"}, cur...)
	curCond = " WHERE " + strings.Join(cur, " AND ")
	histQ := `SELECT name AS name, addresses.address AS address, identities.type AS itype, identities.data AS idata,
 leases.acquired AS acquired, leases.released AS released, timeout AS timeout
 FROM leases JOIN addresses ON leases.address = addresses.id
 JOIN pools ON addresses.pool = pools.id
 JOIN identities ON leases.identity = identities.id` + histCond
	curQ := `SELECT name, address, identities.type, identities.data, acquired, released, timeout FROM addresses
 JOIN pools ON addresses.pool = pools.id
 JOIN identities ON addresses.identity = identities.id` + curCond
	var q string
	var args []any
	switch {
	case includeHist && includeCur:
		q, args = histQ+" UNION "+curQ, append(hargs, cargs...)
	case includeHist:
		q, args = histQ, hargs
	case includeCur:
		q, args = curQ, cargs
	default:
		return r.errorf("no matching leases found.\n")
	}
	// SQLite returns a UNION sorted by all columns, which is the order
	// strongSwan's tool prints; say so for both databases (PostgreSQL
	// compares the pool names bytewise as SQLite does only when told; a
	// COLLATE needs the column's name: on a position it would apply to
	// the integer constant, which PostgreSQL refuses)
	order := " ORDER BY 1, 2, 3, 4, 5, 6, 7"
	if r.tx.Dialect() == sqlpool.Postgres {
		q = "SELECT * FROM (" + q + ") u"
		order = ` ORDER BY name COLLATE "C", 2, 3, 4, 5, 6, 7`
	}
	rows, err := r.tx.QueryContext(ctx, q+order, args...)
	if err != nil {
		return r.errorf("querying leases failed.\n")
	}
	defer rows.Close()
	found := false
	loc := r.env.Local
	if utc {
		loc = time.UTC
	}
	w := r.out
	for rows.Next() {
		var (
			name                        string
			addr, idData                []byte
			idType                      int64
			acquired, released, timeout int64
		)
		if err := rows.Scan(&name, &addr, &idType, &idData, &acquired, &released, &timeout); err != nil {
			return err
		}
		if !found {
			found = true
			n := 21
			if utc {
				n = 25
			}
			fmt.Fprintf(w, "%-8s %-15s %-7s  %-*s %-*s %s\n", "name", "address", "status", n, "start", n, "end", "identity")
		}
		fmt.Fprintf(w, "%s %-15s ", rpad(name, 8), hostString(chunkHost(addr)))
		acq, rel, to := int64(uint32(acquired)), int64(uint32(released)), int64(uint32(timeout))
		switch {
		case rel == 0:
			fmt.Fprintf(w, "%-7s ", "online")
		case to == 0:
			fmt.Fprintf(w, "%-7s ", "static")
		case rel >= now-to:
			fmt.Fprintf(w, "%-7s ", "valid")
		default:
			fmt.Fprintf(w, "%-7s ", "expired")
		}
		fmt.Fprintf(w, " %s  ", timeString(acq, loc, utc))
		if rel != 0 {
			fmt.Fprintf(w, "%s  ", timeString(rel, loc, utc))
		} else {
			w.WriteString("                      ")
			if utc {
				w.WriteString("    ")
			}
		}
		fmt.Fprintf(w, "%s\n", identity.New(identity.Type(idType), idData))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if !found {
		return r.errorf("no matching leases found.\n")
	}
	return nil
}

// timeString prints a time as charon's %T: "Nov 27 15:40:08 2023", with
// " UTC " before the year in UTC, dashes for the undefined time 0.
func timeString(t int64, loc *time.Location, utc bool) string {
	mid := " "
	if utc {
		mid = " UTC "
	}
	if t == 0 {
		return "--- -- --:--:--" + mid + "----"
	}
	tm := time.Unix(t, 0).In(loc)
	return fmt.Sprintf("%s %02d %02d:%02d:%02d%s%04d", tm.Month().String()[:3], tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), mid, tm.Year())
}

// purge is --purge NAME: deletes the lease history of a pool.
func (r *runner) purge(ctx context.Context, name string) error {
	res, err := r.tx.ExecContext(ctx, `DELETE FROM leases WHERE address IN (
 SELECT id FROM addresses WHERE pool IN (SELECT id FROM pools WHERE name = ?))`, name)
	if err != nil {
		return r.errorf("purging pool '%s' failed.\n", name)
	}
	n, _ := res.RowsAffected()
	r.out.Flush()
	fmt.Fprintf(r.env.Stderr, "purged %d leases in pool '%s'.\n", n, name)
	return nil
}

// lpad right-aligns s in n bytes, as C's %Ns (which counts bytes, not
// characters).
func lpad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(" ", n-len(s)) + s
}

// rpad left-aligns s in n bytes, as C's %-Ns.
func rpad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
