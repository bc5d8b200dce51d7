// Package sql keeps virtual IP pools and attributes in an SQL database with
// strongSwan's attr-sql schema (tables pools, addresses, identities,
// leases, attributes, attribute_pools), so a database made by strongSwan's
// `ipsec pool` keeps working: SQLite (sqlite:///path, the default) or,
// for several gateways sharing their pools, PostgreSQL
// (postgresql://user:pass@host/db). Provider serves it to peers as
// charon's attr-sql plugin does; package sqlcli is the `ipsec pool` tool.
//
// Leases are taken with single conditional UPDATE statements whose
// candidate row is locked with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite
// serializes writers), so two gateways never hand out an address twice.
//
// This package must not import the IKE core beyond the attr, message and
// identity types it serves, nor any daemon package.
package sql

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // SQLite driver "sqlite3"

	"github.com/goswan/goswan/internal/config"
)

// Dialect is the SQL flavour of a database.
type Dialect uint8

// Dialects.
const (
	SQLite Dialect = iota
	Postgres
)

// DB is an open pool database.
type DB struct {
	db      *dbsql.DB
	dialect Dialect
}

// ErrURI reports a database URI this package cannot open.
var ErrURI = errors.New("unsupported database URI")

// Open opens the database named by a strongSwan database URI:
// sqlite:///path/to/ipsec.db (created if missing), or
// postgresql://user:password@host[:port]/dbname (also postgres://, with
// any parameter libpq understands, e.g. ?host=/run/postgresql for a
// socket). It does not create the schema (see EnsureSchema).
func Open(uri string) (*DB, error) {
	switch {
	case strings.HasPrefix(uri, "sqlite://"):
		path := strings.TrimPrefix(uri, "sqlite://")
		if path == "" {
			return nil, fmt.Errorf("%w: %q names no file", ErrURI, uri)
		}
		// one connection: statements of this process queue in Go rather
		// than in SQLite's busy handler; other processes (the pool tool,
		// another daemon) are waited for up to 10 s. Write transactions
		// take the lock at BEGIN, so they never deadlock on upgrade.
		// Write-ahead logging with synchronous=NORMAL makes a commit one
		// append instead of three syncs (50 times the leases per second);
		// a power cut may lose the last leases, never the database, and
		// strongSwan's tools read such a database as any other.
		db, err := dbsql.Open("sqlite3", path+"?_busy_timeout=10000&_txlock=immediate&_journal_mode=WAL&_synchronous=NORMAL")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, err
		}
		return &DB{db: db, dialect: SQLite}, nil
	case strings.HasPrefix(uri, "postgresql://"), strings.HasPrefix(uri, "postgres://"):
		db, err := dbsql.Open("pgx", uri)
		if err != nil {
			return nil, err
		}
		if err := db.Ping(); err != nil {
			db.Close()
			return nil, err
		}
		return &DB{db: db, dialect: Postgres}, nil
	case strings.HasPrefix(uri, "mysql://"):
		return nil, fmt.Errorf("%w: MySQL is not supported, use SQLite or PostgreSQL", ErrURI)
	}
	return nil, fmt.Errorf("%w: %q", ErrURI, uri)
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Dialect returns the database's SQL flavour.
func (d *DB) Dialect() Dialect { return d.dialect }

// URI returns the attr-sql database URI of strongswan.conf for the daemon
// namespace ns ("charon" if empty): ns.plugins.attr-sql.database, or the
// legacy libhydra.plugins.attr-sql.database.
func URI(s *config.Settings, ns string) (string, bool) {
	if ns == "" {
		ns = "charon"
	}
	for _, k := range []string{ns + ".plugins.attr-sql.database", "libhydra.plugins.attr-sql.database"} {
		if v, ok := s.Get(k); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// ToolURI returns the database URI of the `ipsec pool` tool, as strongSwan's
// pool.c looks it up: pool.database, else charon's attr-sql database, else
// the legacy libhydra one.
func ToolURI(s *config.Settings) (string, bool) {
	if v, ok := s.Get("pool.database"); ok && v != "" {
		return v, true
	}
	return URI(s, "charon")
}

// rebind turns ? placeholders into PostgreSQL's $n.
func (d *DB) rebind(q string) string {
	if d.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Querier runs statements with ? placeholders, on the database or in a
// transaction.
type Querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (dbsql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*dbsql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *dbsql.Row
	Dialect() Dialect
}

// ExecContext runs a statement outside a transaction.
func (d *DB) ExecContext(ctx context.Context, q string, args ...any) (dbsql.Result, error) {
	return d.db.ExecContext(ctx, d.rebind(q), args...)
}

// QueryContext runs a query outside a transaction.
func (d *DB) QueryContext(ctx context.Context, q string, args ...any) (*dbsql.Rows, error) {
	return d.db.QueryContext(ctx, d.rebind(q), args...)
}

// QueryRowContext runs a query for one row outside a transaction.
func (d *DB) QueryRowContext(ctx context.Context, q string, args ...any) *dbsql.Row {
	return d.db.QueryRowContext(ctx, d.rebind(q), args...)
}

// Tx is a transaction.
type Tx struct {
	tx *dbsql.Tx
	d  *DB
}

// Begin starts a transaction (on SQLite one that holds the write lock from
// the start).
func (d *DB) Begin(ctx context.Context) (*Tx, error) {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{tx: tx, d: d}, nil
}

// InTx runs f in a transaction, committed if f returns nil and rolled back
// otherwise.
func (d *DB) InTx(ctx context.Context, f func(*Tx) error) error {
	tx, err := d.Begin(ctx)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Commit commits the transaction.
func (t *Tx) Commit() error { return t.tx.Commit() }

// Rollback aborts the transaction.
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// Dialect returns the database's SQL flavour.
func (t *Tx) Dialect() Dialect { return t.d.dialect }

// ExecContext runs a statement in the transaction.
func (t *Tx) ExecContext(ctx context.Context, q string, args ...any) (dbsql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
}

// QueryContext runs a query in the transaction.
func (t *Tx) QueryContext(ctx context.Context, q string, args ...any) (*dbsql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
}

// QueryRowContext runs a query for one row in the transaction.
func (t *Tx) QueryRowContext(ctx context.Context, q string, args ...any) *dbsql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

// PrepareContext prepares a statement in the transaction.
func (t *Tx) PrepareContext(ctx context.Context, q string) (*dbsql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.rebind(q))
}

// sqliteSchema is the attr-sql part of strongSwan's sqlite.sql
// (src/pool/sqlite.sql), created only where the tables are missing.
var sqliteSchema = []string{
	`CREATE TABLE IF NOT EXISTS identities (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  type INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (type, data)
)`,
	`CREATE TABLE IF NOT EXISTS pools (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  start BLOB NOT NULL,
  "end" BLOB NOT NULL,
  timeout INTEGER NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS addresses (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  pool INTEGER NOT NULL,
  address BLOB NOT NULL,
  identity INTEGER NOT NULL DEFAULT 0,
  acquired INTEGER NOT NULL DEFAULT 0,
  released INTEGER NOT NULL DEFAULT 1
)`,
	`CREATE INDEX IF NOT EXISTS addresses_pool ON addresses (pool)`,
	`CREATE INDEX IF NOT EXISTS addresses_address ON addresses (address)`,
	`CREATE INDEX IF NOT EXISTS addresses_identity ON addresses (identity)`,
	`CREATE TABLE IF NOT EXISTS leases (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  address INTEGER NOT NULL,
  identity INTEGER NOT NULL,
  acquired INTEGER NOT NULL,
  released INTEGER NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS attribute_pools (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS attributes (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  identity INTEGER NOT NULL DEFAULT 0,
  pool INTEGER NOT NULL DEFAULT 0,
  type INTEGER NOT NULL,
  value BLOB NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS attributes_identity ON attributes (identity)`,
	`CREATE INDEX IF NOT EXISTS attributes_pool ON attributes (pool)`,
}

// postgresSchema is the same schema for PostgreSQL (strongSwan has none):
// BYTEA for BLOB, 64-bit times, "end" quoted, and a partial index on the
// addresses that can be leased.
var postgresSchema = []string{
	`CREATE TABLE IF NOT EXISTS identities (
  id SERIAL PRIMARY KEY,
  type INTEGER NOT NULL,
  data BYTEA NOT NULL,
  UNIQUE (type, data)
)`,
	`CREATE TABLE IF NOT EXISTS pools (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  start BYTEA NOT NULL,
  "end" BYTEA NOT NULL,
  timeout BIGINT NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS addresses (
  id SERIAL PRIMARY KEY,
  pool INTEGER NOT NULL,
  address BYTEA NOT NULL,
  identity INTEGER NOT NULL DEFAULT 0,
  acquired BIGINT NOT NULL DEFAULT 0,
  released BIGINT NOT NULL DEFAULT 1
)`,
	`CREATE INDEX IF NOT EXISTS addresses_pool ON addresses (pool)`,
	`CREATE INDEX IF NOT EXISTS addresses_address ON addresses (address)`,
	`CREATE INDEX IF NOT EXISTS addresses_identity ON addresses (identity)`,
	`CREATE INDEX IF NOT EXISTS addresses_leasable ON addresses (pool, id) WHERE released != 0`,
	`CREATE TABLE IF NOT EXISTS leases (
  id SERIAL PRIMARY KEY,
  address INTEGER NOT NULL,
  identity INTEGER NOT NULL,
  acquired BIGINT NOT NULL,
  released BIGINT NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS attribute_pools (
  id SERIAL PRIMARY KEY,
  name TEXT NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS attributes (
  id SERIAL PRIMARY KEY,
  identity INTEGER NOT NULL DEFAULT 0,
  pool INTEGER NOT NULL DEFAULT 0,
  type INTEGER NOT NULL,
  value BYTEA NOT NULL
)`,
	`CREATE INDEX IF NOT EXISTS attributes_identity ON attributes (identity)`,
	`CREATE INDEX IF NOT EXISTS attributes_pool ON attributes (pool)`,
}

// schemaLock is the PostgreSQL advisory lock that serializes schema
// creation by several gateways starting at once.
const schemaLock = 0x676f7377616e // "goswan"

// EnsureSchema creates the attr-sql tables and indexes that are missing
// (all of them in an empty database); existing ones are left alone.
func (d *DB) EnsureSchema(ctx context.Context) error {
	return d.InTx(ctx, func(tx *Tx) error {
		stmts := sqliteSchema
		if d.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(schemaLock)); err != nil {
				return err
			}
			stmts = postgresSchema
		}
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("creating the attr-sql schema: %w", err)
			}
		}
		return nil
	})
}

// blob returns b as a non-NULL blob argument.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
