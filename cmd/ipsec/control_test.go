package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
)

// run executes the ipsec command in-process.
func run(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRoot()
	var o, e bytes.Buffer
	root.SetOut(&o)
	root.SetErr(&e)
	root.SetArgs(args)
	if ctx == nil {
		ctx = context.Background()
	}
	if err := root.ExecuteContext(ctx); err != nil {
		code = exitCode(err)
		if _, quiet := err.(exitError); !quiet {
			e.WriteString("ipsec: " + err.Error() + "\n")
		}
	}
	return o.String(), e.String(), code
}

// privateRun points the ipsec command at a private pid directory and
// socket.
func privateRun(t *testing.T) daemonPaths {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(service.EnvPidDir, dir)
	t.Setenv(service.EnvSocket, filepath.Join(dir, "charon.ctl"))
	t.Setenv(envConfDir, dir)
	return paths()
}

// inProcessDaemon serves a fake backend on the private socket and writes
// the pid files as charon would (with this process's pid).
func inProcessDaemon(t *testing.T) (*backend, daemonPaths) {
	t.Helper()
	p := privateRun(t)
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	os.WriteFile(p.pidFile, pid, 0o644)
	os.WriteFile(p.starterFile, pid, 0o644)
	l, err := control.Listen(p.socket)
	if err != nil {
		t.Fatal(err)
	}
	b := newBackend()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		(&control.Server{Backend: b}).Serve(ctx, l)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return b, p
}

func TestUpDown(t *testing.T) {
	b, _ := inProcessDaemon(t)
	out, errOut, code := run(t, nil, "up", "home")
	want := "initiating IKE_SA home[1] to 192.168.0.1\n" +
		"IKE_SA home[1] established between 192.168.0.100[carol@strongswan.org]...192.168.0.1[moon.strongswan.org]\n" +
		"connection 'home' established successfully\n"
	if code != 0 || out != want || errOut != "" {
		t.Errorf("up home: %d %q %q", code, out, errOut)
	}
	b.upFails = true
	out, _, code = run(t, nil, "up", "home")
	if code != 1 || !strings.HasSuffix(out, "establishing IKE_SA failed, peer not responding\nestablishing connection 'home' failed\n") {
		t.Errorf("failing up: %d %q", code, out)
	}
	out, _, code = run(t, nil, "up", "nosuch")
	if code != 1 || out != "no config named 'nosuch'\n" {
		t.Errorf("up nosuch: %d %q", code, out)
	}
	for _, args := range [][]string{{"up"}, {"up", "a", "b"}, {"down"}} {
		out, _, code := run(t, nil, args...)
		if code != 2 || out != "Usage: ipsec "+args[0]+" <connection name>\n" {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}

	out, _, code = run(t, nil, "down", "home")
	want = "deleting IKE_SA home[1] between 192.168.0.100[carol@strongswan.org]...192.168.0.1[moon.strongswan.org]\nIKE_SA deleted\nIKE_SA [1] closed successfully\n"
	if code != 0 || out != want {
		t.Errorf("down home: %d %q", code, out)
	}
	if out, _, code := run(t, nil, "down", "home{*}"); code != 0 || out != "CHILD_SA closed\nCHILD_SA {1} closed successfully\n" {
		t.Errorf("down home{*}: %d %q", code, out)
	}
	if out, _, code := run(t, nil, "down", "nosuch"); code != 1 || out != "no IKE_SA named 'nosuch' found\n" {
		t.Errorf("down nosuch: %d %q", code, out)
	}
	if out, errOut, code := run(t, nil, "down", "home[x]"); code != 1 || out != "error parsing specifier string\n" || !strings.Contains(errOut, "invalid SA specifier") {
		t.Errorf("down home[x]: %d %q %q", code, out, errOut)
	}
}

// TestUpInterrupted: ^C on `ipsec up` closes the connection and the daemon
// stops waiting.
func TestUpInterrupted(t *testing.T) {
	b, _ := inProcessDaemon(t)
	b.blockUp = true
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	_, _, code := run(t, ctx, "up", "home")
	if code == 0 {
		t.Error("interrupted up succeeded")
	}
	select {
	case <-b.canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("daemon kept waiting after the client left")
	}
}

func TestStatus(t *testing.T) {
	_, p := inProcessDaemon(t)
	out, _, code := run(t, nil, "status")
	want := `Security Associations (1 up, 0 connecting):
        home[1]: ESTABLISHED 2 seconds ago, 192.168.0.100[carol@strongswan.org]...192.168.0.1[moon.strongswan.org]
        home{1}:  INSTALLED, TUNNEL, reqid 1, ESP in UDP SPIs: 43063ab5_i 5cf74d40_o
        home{1}:   10.3.0.1/32 === 10.1.0.0/16
`
	if code != 0 || out != want {
		t.Errorf("status: %d\n%s", code, out)
	}
	out, _, code = run(t, nil, "statusall", "home")
	for _, line := range []string{
		"Status of IKE charon daemon (goswan test, strongSwan 5.9.8 compatible, Linux 6.1.0, x86_64):\n  uptime: 5 seconds, since ",
		"Connections:\n        home:  192.168.0.100...192.168.0.1  IKEv2\n",
		"        home:   child:  dynamic === 10.1.0.0/16 TUNNEL\nSecurity Associations (1 up, 0 connecting):\n",
		"        home[1]: IKEv2 SPIs: c4494659bd477a80_i* d42f1a7cf7134819_r, public key reauthentication in 53 minutes\n",
		"        home{1}:  AES_CBC_128/HMAC_SHA2_256_128, 84 bytes_i (1 pkt, 8s ago), 84 bytes_o (1 pkt, 8s ago), rekeying in 15 minutes\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("statusall home lacks %q:\n%s", line, out)
		}
	}
	if strings.Contains(out, "other:") || code != 0 {
		t.Errorf("statusall home: %d\n%s", code, out)
	}
	if out, _, _ := run(t, nil, "status", "other"); out != "Security Associations (1 up, 0 connecting):\n  no match\n" {
		t.Errorf("status other: %q", out)
	}
	if out, _, _ := run(t, nil, "status", "--json"); !strings.Contains(out, `"ike_sas": [`) {
		t.Errorf("status --json: %s", out)
	}

	// The exit status follows the starter pid file, as in strongSwan.
	os.WriteFile(p.starterFile, []byte("999999999\n"), 0o644)
	if _, _, code := run(t, nil, "status"); code != 1 {
		t.Errorf("dead starter: exit %d", code)
	}
	os.Remove(p.starterFile)
	if _, _, code := run(t, nil, "status"); code != 3 {
		t.Errorf("no starter: exit %d", code)
	}
}

func TestOtherCommands(t *testing.T) {
	b, _ := inProcessDaemon(t)
	out, errOut, code := run(t, nil, "reload")
	if code != 0 || out != "" || errOut != "Reloading strongSwan IPsec configuration...\n" {
		t.Errorf("reload: %d %q %q", code, out, errOut)
	}
	b.reloadErr = errAt("/etc/ipsec.conf:3: unknown keyword 'bogus'")
	_, errOut, code = run(t, nil, "update")
	if code != 1 || errOut != "Updating strongSwan IPsec configuration...\nUpdating failed: /etc/ipsec.conf:3: unknown keyword 'bogus'\n" {
		t.Errorf("update with error: %d %q", code, errOut)
	}
	if out, errOut, code := run(t, nil, "rereadsecrets"); code != 0 || out+errOut != "" {
		t.Errorf("rereadsecrets: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := run(t, nil, "rereadall"); code != 1 || errOut != "rereadall failed: rereading CRLs: not supported\n" {
		t.Errorf("rereadall: %d %q", code, errOut)
	}
	if out, _, code := run(t, nil, "listcerts", "--utc"); code != 0 || !strings.HasPrefix(out, "\nList of X.509 End Entity Certificates\n\n  subject:  \"C=CH") || !strings.HasSuffix(out, "(utc)\n") {
		t.Errorf("listcerts: %d %q", code, out)
	}
	if out, _, code := run(t, nil, "listcacerts"); code != 0 || out != "\nList of X.509 CA Certificates\n\n" {
		t.Errorf("listcacerts: %d %q", code, out)
	}
	if out, _, code := run(t, nil, "listall"); code != 0 || !strings.Contains(out, "End Entity") || !strings.HasSuffix(out, "List of X.509 CRLs\n\n") {
		t.Errorf("listall: %d %q", code, out)
	}
	if out, _, code := run(t, nil, "leases"); code != 0 || out != "no pools found\n" {
		t.Errorf("leases: %d %q", code, out)
	}
	if out, _, code := run(t, nil, "leases", "mypool"); code != 0 || out != "pool 'mypool' not found\n" {
		t.Errorf("leases mypool: %d %q", code, out)
	}
}

type errAt string

func (e errAt) Error() string { return string(e) }

// TestNotRunning: strongSwan's texts and exit codes without a daemon.
func TestNotRunning(t *testing.T) {
	p := privateRun(t)
	for _, tc := range []struct {
		args         []string
		code         int
		stdout, errs string
	}{
		{[]string{"up", "home"}, 7, "", ""},
		{[]string{"down", "home"}, 7, "", ""},
		{[]string{"status"}, 3, "", ""},
		{[]string{"statusall", "home"}, 3, "", ""},
		{[]string{"listcerts"}, 7, "", ""},
		{[]string{"listall"}, 7, "", ""},
		{[]string{"rereadsecrets"}, 7, "", ""},
		{[]string{"rereadall"}, 7, "", ""},
		{[]string{"leases"}, 7, "", ""},
		{[]string{"reload"}, 7, "", "Reloading strongSwan IPsec failed: starter is not running\n"},
		{[]string{"update"}, 7, "", "Updating strongSwan IPsec failed: starter is not running\n"},
		{[]string{"stop"}, 0, "", "Stopping strongSwan IPsec failed: starter is not running\n"},
	} {
		out, errOut, code := run(t, nil, tc.args...)
		if code != tc.code || out != tc.stdout || errOut != tc.errs {
			t.Errorf("%v: exit %d, %q, %q; want %d, %q, %q", tc.args, code, out, errOut, tc.code, tc.stdout, tc.errs)
		}
	}

	// A pid file without a daemon behind the socket: stroke's messages.
	os.WriteFile(p.pidFile, []byte("999999999\n"), 0o644)
	os.WriteFile(p.starterFile, []byte("999999999\n"), 0o644)
	refused := "connecting to 'unix://" + p.socket + "' failed: No such file or directory\n" +
		"failed to connect to stroke socket 'unix://" + p.socket + "'\n"
	if _, errOut, code := run(t, nil, "up", "home"); code != 255 || errOut != refused {
		t.Errorf("up without socket: %d %q", code, errOut)
	}
	if _, errOut, code := run(t, nil, "status"); code != 1 || errOut != refused {
		t.Errorf("status without socket: %d %q", code, errOut)
	}
	// A stale socket file: "Connection refused".
	l, err := control.Listen(p.socket)
	if err != nil {
		t.Fatal(err)
	}
	l.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	os.Link(p.socket, p.socket+".keep")
	l.Close()
	os.Rename(p.socket+".keep", p.socket)
	if _, errOut, _ := run(t, nil, "status"); !strings.Contains(errOut, "failed: Connection refused\n") {
		t.Errorf("stale socket: %q", errOut)
	}
	// stop cleans up after a dead daemon.
	if _, errOut, code := run(t, nil, "stop"); code != 0 || errOut != "Stopping strongSwan IPsec...\n" {
		t.Errorf("stop after crash: %d %q", code, errOut)
	}
	for _, f := range []string{p.pidFile, p.starterFile, p.socket} {
		if exists(f) {
			t.Errorf("%s left behind", f)
		}
	}
}

func TestCompletion(t *testing.T) {
	p := privateRun(t)
	// No daemon: names from ipsec.conf.
	os.WriteFile(filepath.Join(filepath.Dir(p.socket), "ipsec.conf"), []byte("conn %default\n\tkeyexchange=ikev2\nconn roadwarrior\n\tright=%any\nconn rw2\n\tright=%any\nconn home\n\tright=1.2.3.4\n"), 0o644)
	out, _, _ := run(t, nil, "__complete", "up", "r")
	if !strings.HasPrefix(out, "roadwarrior\nrw2\n:4\n") {
		t.Errorf("completion from ipsec.conf:\n%s", out)
	}
	// With a daemon: its names.
	inProcessDaemon(t)
	out, _, _ = run(t, nil, "__complete", "status", "")
	if !strings.HasPrefix(out, "home\nother\n:4\n") {
		t.Errorf("completion from the daemon:\n%s", out)
	}
	if out, _, _ := run(t, nil, "__complete", "down", "home", ""); !strings.HasPrefix(out, ":4\n") {
		t.Errorf("second argument completed:\n%s", out)
	}
}
