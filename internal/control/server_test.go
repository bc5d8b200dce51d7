package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeBackend is a scriptable Backend.
type fakeBackend struct {
	mu        sync.Mutex
	calls     []string
	status    *Status
	initiate  func(ctx context.Context, conn, child string, out LogWriter) error
	reloadErr error
	shutdown  chan struct{}
}

func newFake() *fakeBackend {
	return &fakeBackend{
		shutdown: make(chan struct{}, 1),
		status: &Status{
			Now: now,
			Conns: []Conn{
				{Name: "home", Children: []ChildConfig{{Name: "home"}}},
				{Name: "multi", Children: []ChildConfig{{Name: "a"}, {Name: "b"}}},
				{Name: "empty"},
				{Name: "icmp", Children: []ChildConfig{{Name: "icmp"}, {Name: "ssh"}}},
			},
			Up: 2,
			IKESAs: []IKESA{
				{Name: "home", UniqueID: 2, State: IKEEstablished, Children: []ChildSA{{Name: "home", UniqueID: 3}, {Name: "home", UniqueID: 4}}},
				{Name: "home", UniqueID: 1, State: IKEEstablished, Children: []ChildSA{{Name: "home", UniqueID: 1}}},
			},
		},
	}
}

func (f *fakeBackend) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Initiate(ctx context.Context, conn, child string, out LogWriter) error {
	f.record("initiate %s %s", conn, child)
	if f.initiate != nil {
		return f.initiate(ctx, conn, child, out)
	}
	out.Log(1, "initiating IKE_SA "+conn+"[1] to 192.168.0.1")
	out.Log(2, "a level 2 line")
	out.Log(0, "IKE_SA "+conn+"[1] established")
	return nil
}

func (f *fakeBackend) TerminateIKE(ctx context.Context, id uint32, out LogWriter) error {
	f.record("terminate ike %d", id)
	if id == 99 {
		out.Log(1, "unable to terminate IKE_SA: ID 99 not found")
		return fmt.Errorf("IKE_SA 99: %w", ErrNotFound)
	}
	out.Log(1, fmt.Sprintf("deleting IKE_SA [%d]", id))
	return nil
}

func (f *fakeBackend) TerminateChild(ctx context.Context, id uint32, out LogWriter) error {
	f.record("terminate child %d", id)
	if id == 4 {
		return &DetachedError{After: 1500 * time.Millisecond}
	}
	return nil
}

func (f *fakeBackend) Status(ctx context.Context, q StatusQuery) (*Status, error) {
	f.record("status %+v", q)
	return f.status, nil
}

func (f *fakeBackend) Reload(ctx context.Context) error {
	f.record("reload")
	return f.reloadErr
}

func (f *fakeBackend) RereadSecrets(ctx context.Context) error {
	f.record("rereadsecrets")
	return nil
}

func (f *fakeBackend) RereadAll(ctx context.Context) error {
	f.record("rereadall")
	return ErrUnsupported
}

func (f *fakeBackend) List(ctx context.Context, opt ListOptions, w io.Writer) error {
	f.record("list %+v", opt)
	io.WriteString(w, "\nList of X.509 End Entity Certificates\n\n")
	fmt.Fprintf(w, "  subject:  \"CN=x\"\n")
	return nil
}

func (f *fakeBackend) Leases(ctx context.Context, pool, addr string) (*Leases, error) {
	f.record("leases %q %q", pool, addr)
	return &Leases{Pools: []PoolLeases{{Pool: Pool{Name: "p", Size: 14, Online: 1}, Leases: []Lease{{Address: netip.MustParseAddr("10.3.0.1"), Online: true, Identity: "carol"}}}}}, nil
}

func (f *fakeBackend) Shutdown(ctx context.Context) error {
	f.record("shutdown")
	f.shutdown <- struct{}{}
	return nil
}

// startServer serves b on a socket in a temporary directory.
func startServer(t *testing.T, b Backend, configure func(*Server)) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "charon.ctl")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Backend: b, Logf: t.Logf}
	if configure != nil {
		configure(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return path
}

// do runs a request and collects the streamed text as a client shows it.
func do(t *testing.T, path string, req Request) (string, *Result) {
	t.Helper()
	var out strings.Builder
	res, err := Call(context.Background(), path, req, func(f Frame) {
		switch f.Type {
		case FrameLog:
			out.WriteString(f.Msg + "\n")
		case FrameOutput:
			out.WriteString(f.Text)
		}
	})
	if err != nil {
		t.Fatalf("%+v: %v", req, err)
	}
	return out.String(), res
}

func TestPing(t *testing.T) {
	path := startServer(t, newFake(), func(s *Server) { s.Software = "test 1" })
	h, err := Ping(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if h.PID != os.Getpid() || h.Protocol != ProtocolVersion || h.Software != "test 1" {
		t.Errorf("hello %+v", h)
	}
}

func TestUp(t *testing.T) {
	f := newFake()
	path := startServer(t, f, nil)
	out, res := do(t, path, Request{Cmd: CmdUp, Name: "home"})
	want := "initiating IKE_SA home[1] to 192.168.0.1\nIKE_SA home[1] established\nconnection 'home' established successfully\n"
	if out != want || !res.OK {
		t.Errorf("up home: %+v\n%s", res, out)
	}
	// verbosity 2 shows the level 2 line, -1 none
	two := 2
	if out, _ := do(t, path, Request{Cmd: CmdUp, Name: "home", Verbosity: &two}); !strings.Contains(out, "a level 2 line") {
		t.Errorf("verbosity 2:\n%s", out)
	}
	none := -1
	if out, _ := do(t, path, Request{Cmd: CmdUp, Name: "home", Verbosity: &none}); out != "connection 'home' established successfully\n" {
		t.Errorf("verbosity -1:\n%s", out)
	}

	// A connection without a child of its name: all children; a child
	// name: its connection.
	f.calls = nil
	out, res = do(t, path, Request{Cmd: CmdUp, Name: "multi", Verbosity: &none})
	if !res.OK || out != "connection 'multi' established successfully\nconnection 'multi' established successfully\n" {
		t.Errorf("up multi: %+v %q", res, out)
	}
	do(t, path, Request{Cmd: CmdUp, Name: "ssh", Verbosity: &none})
	calls := strings.Join(f.Calls(), "\n")
	for _, c := range []string{"initiate multi a", "initiate multi b", "initiate icmp ssh"} {
		if !strings.Contains(calls, c) {
			t.Errorf("missing call %q in\n%s", c, calls)
		}
	}

	for _, tc := range []struct{ name, out, code string }{
		{"nosuch", "no config named 'nosuch'\n", CodeNotFound},
		{"empty", "no child config named 'empty'\n", CodeNotFound},
		{"", "", CodeBadRequest},
	} {
		out, res := do(t, path, Request{Cmd: CmdUp, Name: tc.name})
		if res.OK || res.Code != tc.code || out != tc.out {
			t.Errorf("up %q: %+v %q", tc.name, res, out)
		}
	}

	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		out.Log(1, "giving up after 5 retransmits")
		return errors.New("peer not responding")
	}
	out, res = do(t, path, Request{Cmd: CmdUp, Name: "home"})
	if res.OK || res.Code != CodeFailed || res.Error != "" || out != "giving up after 5 retransmits\nestablishing connection 'home' failed\n" {
		t.Errorf("failed up: %+v %q", res, out)
	}
	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		return &DetachedError{After: 3 * time.Second}
	}
	out, res = do(t, path, Request{Cmd: CmdUp, Name: "home"})
	if res.Code != CodeTimeout || out != "connection 'home' not established after 3000ms, detaching\n" {
		t.Errorf("detached up: %+v %q", res, out)
	}
}

func TestDown(t *testing.T) {
	f := newFake()
	path := startServer(t, f, nil)
	for _, tc := range []struct {
		spec, out, code string
		calls           []string
	}{
		{"home", "deleting IKE_SA [2]\nIKE_SA [2] closed successfully\n", "", []string{"terminate ike 2"}},
		{"home[*]", "deleting IKE_SA [2]\nIKE_SA [2] closed successfully\ndeleting IKE_SA [1]\nIKE_SA [1] closed successfully\n", "", []string{"terminate ike 2", "terminate ike 1"}},
		{"home{}", "CHILD_SA {3} closed successfully\n", "", []string{"terminate child 3"}},
		{"home{*}", "CHILD_SA {3} closed successfully\nCHILD_SA {4} not closed after 1500ms, detaching\nCHILD_SA {1} closed successfully\n", CodeTimeout, []string{"terminate child 3", "terminate child 4", "terminate child 1"}},
		{"whatever[99]", "unable to terminate IKE_SA: ID 99 not found\nclosing IKE_SA [99] failed\n", CodeNotFound, []string{"terminate ike 99"}},
		{"x{7}", "CHILD_SA {7} closed successfully\n", "", []string{"terminate child 7"}},
		{"nosuch", "no IKE_SA named 'nosuch' found\n", CodeNotFound, nil},
		{"nosuch{*}", "no CHILD_SA named 'nosuch' found\n", CodeNotFound, nil},
		{"home[x]", "error parsing specifier string\n", CodeBadRequest, nil},
		{"home]", "error parsing specifier string\n", CodeBadRequest, nil},
	} {
		f.mu.Lock()
		f.calls = nil
		f.mu.Unlock()
		out, res := do(t, path, Request{Cmd: CmdDown, Name: tc.spec})
		if out != tc.out || res.Code != tc.code || res.OK != (tc.code == "") {
			t.Errorf("down %s: %+v\n%q\nwant %q", tc.spec, res, out, tc.out)
		}
		var terms []string
		for _, c := range f.Calls() {
			if strings.HasPrefix(c, "terminate") {
				terms = append(terms, c)
			}
		}
		if strings.Join(terms, ",") != strings.Join(tc.calls, ",") {
			t.Errorf("down %s: calls %v, want %v", tc.spec, terms, tc.calls)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Target
		ok   bool
	}{
		{"home", Target{Name: "home"}, true},
		{"home[]", Target{Name: "home"}, true},
		{"home{}", Target{Name: "home", Child: true}, true},
		{"home[*]", Target{Name: "home", All: true}, true},
		{"home{*}", Target{Name: "home", Child: true, All: true}, true},
		{"home[12]", Target{ID: 12}, true},
		{"home{3}", Target{ID: 3, Child: true}, true},
		{"[5]", Target{ID: 5}, true},
		{"home[x", Target{Name: "home[x"}, true},
		{"home[0]", Target{}, false},
		{"home[abc]", Target{}, false},
		{"home[99999999999]", Target{}, false},
		{"home]", Target{}, false},
		{"}", Target{}, false},
		{"", Target{}, false},
	} {
		got, ok := ParseTarget(tc.spec)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v, %v", tc.spec, got, ok, tc.want, tc.ok)
		}
	}
	if s := (Target{Name: "a", Child: true, All: true}).String(); s != "a{*}" {
		t.Errorf("String: %s", s)
	}
}

func TestStatusAndOthers(t *testing.T) {
	f := newFake()
	f.status = &Status{Now: now, Up: 0}
	path := startServer(t, f, nil)
	out, res := do(t, path, Request{Cmd: CmdStatus, Text: true})
	if !res.OK || out != "Security Associations (0 up, 0 connecting):\n  none\n" {
		t.Errorf("status: %+v %q", res, out)
	}
	var st Status
	if err := res.Decode(&st); err != nil || !st.Now.Equal(now) {
		t.Errorf("status data: %v %+v", err, st)
	}
	out, res = do(t, path, Request{Cmd: CmdStatusAll, Name: "x"})
	if !res.OK || out != "" {
		t.Errorf("statusall without text: %+v %q", res, out)
	}
	if calls := strings.Join(f.Calls(), "\n"); !strings.Contains(calls, "status {Name:x Daemon:true Conns:true SAs:true}") {
		t.Errorf("statusall query: %s", calls)
	}

	f.reloadErr = errors.New("/etc/ipsec.conf:3: syntax error")
	if _, res := do(t, path, Request{Cmd: CmdReload}); res.OK || res.Code != CodeFailed || res.Error != "/etc/ipsec.conf:3: syntax error" {
		t.Errorf("reload: %+v", res)
	}
	if _, res := do(t, path, Request{Cmd: CmdRereadSecrets}); !res.OK {
		t.Errorf("rereadsecrets: %+v", res)
	}
	if _, res := do(t, path, Request{Cmd: CmdRereadAll}); res.Code != CodeUnsupported {
		t.Errorf("rereadall: %+v", res)
	}
	if out, res := do(t, path, Request{Cmd: CmdList, Sections: []string{ListCerts}, UTC: true}); !res.OK || out != "\nList of X.509 End Entity Certificates\n\n  subject:  \"CN=x\"\n" {
		t.Errorf("list certs: %+v %q", res, out)
	}
	do(t, path, Request{Cmd: CmdList, Sections: []string{ListAll}})
	if calls := strings.Join(f.Calls(), "\n"); !strings.Contains(calls, "list {Certs:true CACerts:false CRLs:false All:false UTC:true}") ||
		!strings.Contains(calls, "list {Certs:true CACerts:true CRLs:true All:true UTC:false}") {
		t.Errorf("list calls:\n%s", calls)
	}
	for _, secs := range [][]string{nil, {"bogus"}} {
		if _, res := do(t, path, Request{Cmd: CmdList, Sections: secs}); res.Code != CodeBadRequest {
			t.Errorf("list %v: %+v", secs, res)
		}
	}
	out, res = do(t, path, Request{Cmd: CmdLeases, Pool: "p", Text: true})
	if !res.OK || out != "Leases in pool 'p', usage: 1/14, 1 online\n         10.3.0.1   online   'carol'\n" {
		t.Errorf("leases: %+v %q", res, out)
	}
	f.status = newFake().status
	_, res = do(t, path, Request{Cmd: CmdConns})
	var names []string
	if err := res.Decode(&names); err != nil || strings.Join(names, ",") != "home,multi,empty,icmp" {
		t.Errorf("conns: %v %v", err, names)
	}
}

func TestStop(t *testing.T) {
	f := newFake()
	path := startServer(t, f, nil)
	_, res := do(t, path, Request{Cmd: CmdStop})
	if !res.OK {
		t.Fatalf("stop: %+v", res)
	}
	select {
	case <-f.shutdown:
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown not called")
	}
}

// rawExchange writes raw bytes and reads the server's frames until EOF.
func rawExchange(t *testing.T, path string, send []byte, closeWrite bool) []Frame {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(send); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		c.(*net.UnixConn).CloseWrite()
	}
	var frames []Frame
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		var f Frame
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("bad frame %q: %v", sc.Text(), err)
		}
		frames = append(frames, f)
	}
	return frames
}

func TestMalformed(t *testing.T) {
	path := startServer(t, newFake(), func(s *Server) { s.RequestTimeout = 300 * time.Millisecond })
	big := `{"v":1,"cmd":"status","name":"` + strings.Repeat("x", MaxRequestSize) + `"}` + "\n"
	for _, tc := range []struct {
		name, send string
		closeWrite bool
		code       string
	}{
		{"garbage", "hello\n", false, CodeBadRequest},
		{"not an object", "[1,2]\n", false, CodeBadRequest},
		{"two values", `{"v":1,"cmd":"ping"} {"v":1}` + "\n", false, CodeBadRequest},
		{"unknown command", `{"v":1,"cmd":"frobnicate"}` + "\n", false, CodeBadRequest},
		{"no version", `{"cmd":"ping"}` + "\n", false, CodeVersion},
		{"future version", `{"v":2,"cmd":"ping"}` + "\n", false, CodeVersion},
		{"too large", big, false, CodeBadRequest},
		{"no newline", `{"v":1,"cmd":"ping"}`, true, CodeBadRequest},
		{"nothing", "", true, CodeBadRequest},
		{"silence", "", false, CodeBadRequest},
		{"data after request", `{"v":1,"cmd":"ping"}` + "\nmore\n", false, ""},
		{"bad field type", `{"v":1,"cmd":"up","name":5}` + "\n", false, CodeBadRequest},
	} {
		frames := rawExchange(t, path, []byte(tc.send), tc.closeWrite)
		if len(frames) != 1 || frames[0].Type != FrameResult || frames[0].Result == nil {
			t.Errorf("%s: frames %+v", tc.name, frames)
			continue
		}
		res := frames[0].Result
		if tc.code == "" {
			// A ping answers at once; the extra data may or may not be
			// seen before the answer. Either is fine, but not a hang.
			continue
		}
		if res.OK || res.Code != tc.code || res.Error == "" {
			t.Errorf("%s: %+v", tc.name, res)
		}
	}
	// The server still works.
	if _, err := Ping(context.Background(), path); err != nil {
		t.Fatal(err)
	}
}

func TestClientGoneCancels(t *testing.T) {
	f := newFake()
	started := make(chan struct{})
	canceled := make(chan struct{})
	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		out.Log(1, "initiating")
		close(started)
		<-ctx.Done()
		close(canceled)
		// Lines after the client left go nowhere, without blocking.
		for range 5000 {
			out.Log(1, "late")
		}
		return ctx.Err()
	}
	path := startServer(t, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Call(ctx, path, Request{Cmd: CmdUp, Name: "home"}, nil)
		errc <- err
	}()
	<-started
	cancel()
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("backend context not canceled when the client went away")
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client error %v", err)
	}
}

func TestServeCancelsCommands(t *testing.T) {
	f := newFake()
	started := make(chan struct{})
	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
	path := filepath.Join(t.TempDir(), "ctl")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Backend: f}).Serve(ctx, l) }()
	resc := make(chan *Result, 1)
	go func() {
		res, _ := Call(context.Background(), path, Request{Cmd: CmdUp, Name: "home"}, nil)
		resc <- res
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	if res := <-resc; res == nil || res.Code != CodeCanceled {
		t.Errorf("result of the interrupted command: %+v", res)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestConcurrentClients(t *testing.T) {
	f := newFake()
	var inflight, peak atomic.Int32
	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		for i := range 20 {
			out.Log(1, fmt.Sprintf("line %d", i))
			time.Sleep(time.Millisecond)
		}
		return nil
	}
	path := startServer(t, f, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := Request{Cmd: CmdUp, Name: "home"}
			if i%2 == 1 {
				req = Request{Cmd: CmdStatus, Text: true}
			}
			var lines int
			res, err := Call(context.Background(), path, req, func(Frame) { lines++ })
			switch {
			case err != nil:
				errs <- err
			case !res.OK:
				errs <- fmt.Errorf("%+v", res)
			case req.Cmd == CmdUp && lines != 21:
				errs <- fmt.Errorf("up got %d frames", lines)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if peak.Load() < 2 {
		t.Errorf("commands did not run concurrently (peak %d)", peak.Load())
	}
}

func TestBusy(t *testing.T) {
	f := newFake()
	release := make(chan struct{})
	started := make(chan struct{})
	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		close(started)
		<-release
		return nil
	}
	path := startServer(t, f, func(s *Server) { s.MaxClients = 1 })
	t.Cleanup(func() { close(release) }) // runs before the server's cleanup
	go Call(context.Background(), path, Request{Cmd: CmdUp, Name: "home"}, nil)
	<-started
	for range 20 {
		_, res := do(t, path, Request{Cmd: CmdPing})
		if res.OK || res.Code != CodeBusy {
			t.Fatalf("second client: %+v", res)
		}
	}
}

func TestSlowClientDropsLogs(t *testing.T) {
	f := newFake()
	f.initiate = func(ctx context.Context, conn, child string, out LogWriter) error {
		line := strings.Repeat("x", 200)
		for range 20000 { // 4 MB: more than the socket and queue hold
			out.Log(1, line)
		}
		return nil
	}
	path := startServer(t, f, nil)
	c, err := Dial(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	// Do not read until the backend is done: send by hand.
	raw := c.conn
	raw.Write([]byte(`{"v":1,"cmd":"up","name":"home"}` + "\n"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(strings.Join(f.Calls(), " "), "initiate") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	sc := bufio.NewScanner(raw)
	sc.Buffer(nil, MaxFrameSize)
	var logs int
	var note string
	var res *Result
	for sc.Scan() {
		var fr Frame
		json.Unmarshal(sc.Bytes(), &fr)
		switch {
		case fr.Type == FrameLog && strings.Contains(fr.Msg, "dropped"):
			note = fr.Msg
		case fr.Type == FrameLog:
			logs++
		case fr.Type == FrameResult:
			res = fr.Result
		}
	}
	raw.Close()
	if res == nil || !res.OK {
		t.Fatalf("result %+v", res)
	}
	if logs == 20000 || note == "" {
		t.Errorf("expected dropped lines and a note: %d lines, note %q", logs, note)
	}
	if !strings.Contains(note, fmt.Sprintf("(%d log lines dropped", 20000-logs)) {
		t.Errorf("note %q for %d lines", note, logs)
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "charon.ctl")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v", fi.Mode())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// A second daemon is refused while the first listens.
	if _, err := Listen(path); !errors.Is(err, ErrInUse) {
		t.Errorf("second Listen: %v", err)
	}
	l.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the socket: %v", err)
	}

	// A stale socket (its owner died) is replaced.
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	l, err = Listen(path)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	// Closing a listener whose socket was replaced leaves the new one.
	os.Remove(path)
	l2, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("old listener removed the new socket: %v", err)
	}
	l2.Close()

	// Anything else at the path is left alone.
	os.WriteFile(path, []byte("x"), 0o644)
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Error("regular file modified")
	}
}

func TestClientErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Dial(context.Background(), filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing socket: %v", err)
	}
	// A server that answers garbage, or hangs up.
	path := filepath.Join(dir, "bad")
	ul, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ul.Close()
	go func() {
		for i := 0; ; i++ {
			c, err := ul.Accept()
			if err != nil {
				return
			}
			bufio.NewReader(c).ReadString('\n')
			if i == 0 {
				c.Write([]byte("not json\n"))
			}
			c.Close()
		}
	}()
	if _, err := Call(context.Background(), path, Request{Cmd: CmdPing}, nil); err == nil || !strings.Contains(err.Error(), "malformed frame") {
		t.Errorf("garbage answer: %v", err)
	}
	if _, err := Call(context.Background(), path, Request{Cmd: CmdPing}, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("hang-up: %v", err)
	}
	c, _ := Dial(context.Background(), path)
	c.Do(context.Background(), Request{Cmd: CmdPing}, nil)
	if _, err := c.Do(context.Background(), Request{Cmd: CmdPing}, nil); err == nil {
		t.Error("client reused")
	}
}
