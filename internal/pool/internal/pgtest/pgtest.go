// Package pgtest runs a throw-away PostgreSQL cluster for tests: started
// on first use from Debian's server binaries as the postgres user,
// listening only on a Unix socket in a temporary directory; Stop (from
// TestMain) removes it. Tests skip when no server can be started.
package pgtest

import (
	dbsql "database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

// A throw-away PostgreSQL cluster for the tests, started on first use from
// Debian's binaries, listening only on a Unix socket in a temporary
// directory, and removed by TestMain.
type pgCluster struct {
	once sync.Once
	dir  string
	ctl  string // pg_ctl
	port int
	as   []string // the command prefix that runs as the postgres user
	err  error
	n    atomic.Int32
}

var pg pgCluster

// command returns the command running args as the cluster's user.
func (p *pgCluster) command(args ...string) *exec.Cmd {
	all := append(append([]string(nil), p.as...), args...)
	cmd := exec.Command(all[0], all[1:]...)
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// pgBin finds Debian's PostgreSQL server binaries.
func pgBin() (string, error) {
	if d := os.Getenv("GOSWAN_PG_BIN"); d != "" {
		return d, nil
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(ms) == 0 {
		return "", fmt.Errorf("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin; testing/install-deps installs the postgresql package)")
	}
	return filepath.Dir(ms[len(ms)-1]), nil
}

func startPostgres() {
	bin, err := pgBin()
	if err != nil {
		pg.err = err
		return
	}
	dir, err := os.MkdirTemp("", "goswan-pg-")
	if err != nil {
		pg.err = err
		return
	}
	pg.dir = dir
	pg.ctl = filepath.Join(bin, "pg_ctl")
	// postgres refuses to run as root: use the postgres system user
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			pg.err = fmt.Errorf("running as root and no postgres user: %v", err)
			return
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			pg.err = err
			return
		}
		pg.as = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(args ...string) error {
		out, err := pg.command(args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %v\n%s", args, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"--no-sync", "--locale=C", "-E", "UTF8"); err != nil {
		pg.err = err
		return
	}
	// a port of its own keeps clusters of packages tested in parallel
	// apart (socket name, shared memory key) though none listens on TCP
	pg.port = 20000 + rand.IntN(40000)
	opts := fmt.Sprintf("-c listen_addresses= -k %s -p %d -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", dir, pg.port)
	if err := run(pg.ctl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "20", "start"); err != nil {
		logText, _ := os.ReadFile(filepath.Join(dir, "log"))
		pg.err = fmt.Errorf("%v\n%s", err, logText)
	}
}

// Stop stops and removes the cluster, if one was started.
func Stop() {
	if pg.dir == "" {
		return
	}
	if pg.err == nil {
		pg.command(pg.ctl, "-D", filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "stop").Run()
	}
	os.RemoveAll(pg.dir)
}

// URI returns the URI of a new, empty database, or skips the test when
// no PostgreSQL server can be started.
func URI(t testing.TB) string {
	t.Helper()
	pg.once.Do(startPostgres)
	if pg.err != nil {
		t.Skipf("no PostgreSQL: %v", pg.err)
	}
	name := fmt.Sprintf("goswan%d_%d", os.Getpid(), pg.n.Add(1))
	admin := fmt.Sprintf("postgresql://postgres@/postgres?host=%s&port=%d", pg.dir, pg.port)
	db, err := dbsql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Logf("created PostgreSQL database %s in %v", name, time.Since(start))
	return fmt.Sprintf("postgresql://postgres@/%s?host=%s&port=%d", name, pg.dir, pg.port)
}
