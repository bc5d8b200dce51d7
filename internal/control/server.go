package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/internal/version"
)

// Server answers control requests with a Backend. Configure it before
// calling Serve; it must not be copied after.
type Server struct {
	Backend Backend
	// MaxClients bounds the connections handled at once; more are
	// answered with CodeBusy. Default 256.
	MaxClients int
	// RequestTimeout bounds the time a client has to send its request.
	// Default 10s.
	RequestTimeout time.Duration
	// WriteTimeout bounds each frame write; a client that does not read
	// for that long is dropped. Default 30s.
	WriteTimeout time.Duration
	// Software is reported by ping; default "goswan <version>".
	Software string
	// Logf, if set, receives problems with clients (malformed requests,
	// write errors), one line each.
	Logf func(format string, args ...any)

	wg sync.WaitGroup
}

func (s *Server) maxClients() int {
	if s.MaxClients > 0 {
		return s.MaxClients
	}
	return 256
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// Serve accepts connections on l until ctx is canceled or l fails, then
// closes l, cancels the commands still running and waits for their
// handlers to return. It returns nil after cancellation.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if s.Backend == nil {
		return errors.New("control: Server without a Backend")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	sem := make(chan struct{}, s.maxClients())
	var err error
	var backoff time.Duration
	for err == nil {
		conn, aerr := l.Accept()
		switch {
		case aerr == nil:
			backoff = 0
			s.wg.Add(1)
			select {
			case sem <- struct{}{}:
				go func() {
					defer s.wg.Done()
					defer func() { <-sem }()
					s.handle(ctx, conn)
				}()
			default:
				go func() {
					defer s.wg.Done()
					s.refuse(conn)
				}()
			}
		case ctx.Err() != nil:
			err = context.Canceled
		case isTemporary(aerr):
			// Out of file descriptors and the like: wait and retry.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logf("control: accept: %v; retrying in %v", aerr, backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
		default:
			err = fmt.Errorf("control: accept: %w", aerr)
		}
	}
	cancel()
	l.Close()
	s.wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// isTemporary reports accept errors worth retrying (EMFILE and friends).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (s *Server) refuse(conn net.Conn) {
	defer conn.Close()
	// Take the request first, so the client is not writing into a closed
	// socket when the answer comes.
	conn.SetReadDeadline(time.Now().Add(time.Second))
	readRequest(bufio.NewReaderSize(conn, 4096))
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	b, _ := json.Marshal(Frame{Type: FrameResult, Result: &Result{Code: CodeBusy, Error: "too many control clients, try again"}})
	conn.Write(append(b, '\n'))
	linger(conn)
}

// linger half-closes conn and discards what the client still sends for a
// moment: closing a Unix socket with unread data makes the client's read
// fail with ECONNRESET, and it would miss the answer.
func linger(conn net.Conn) {
	if uc, ok := conn.(*net.UnixConn); ok {
		uc.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
}

// session is one client connection.
type session struct {
	srv       *Server
	conn      net.Conn
	verbosity int

	mu      sync.Mutex // guards closed, dropped, badData; held while sending to queue before closed
	closed  bool
	dropped int
	queue   chan Frame    // frames to the writer goroutine; closed by finish
	done    chan struct{} // closed when the writer goroutine exits
	werr    error         // first write error; read after done
	cancel  context.CancelFunc
	badData bool // the client sent more after its request
}

func (s *Server) handle(parent context.Context, conn net.Conn) {
	defer conn.Close()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	ss := &session{srv: s, conn: conn, verbosity: 1, queue: make(chan Frame, 1024), done: make(chan struct{}), cancel: cancel}

	conn.SetReadDeadline(time.Now().Add(orDefault(s.RequestTimeout, 10*time.Second)))
	br := bufio.NewReaderSize(conn, 4096)
	req, res := readRequest(br)
	go ss.writer()
	if res != nil {
		s.logf("control: rejecting request: %s", res.Error)
		ss.finish(res)
		linger(conn)
		return
	}
	conn.SetReadDeadline(time.Time{})
	if req.Verbosity != nil {
		ss.verbosity = *req.Verbosity
	}
	// Watch the connection: EOF means the client went away, anything
	// else is a protocol violation; either cancels the command.
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		var b [1]byte
		n, _ := br.Read(b[:])
		if n > 0 {
			ss.mu.Lock()
			ss.badData = true
			ss.mu.Unlock()
		}
		cancel()
	}()
	res = s.dispatch(ctx, ss, req)
	ss.mu.Lock()
	bad := ss.badData
	ss.mu.Unlock()
	if bad {
		res = &Result{Code: CodeBadRequest, Error: "data after the request (one request per connection)"}
	}
	ss.finish(res)
	if req.Cmd == CmdStop && res.OK {
		// Acknowledged (or the client is gone already, which does not
		// take the request back): now let the daemon go down.
		if err := s.Backend.Shutdown(context.WithoutCancel(ctx)); err != nil {
			s.logf("control: shutdown: %v", err)
		}
	}
	conn.Close()
	<-watchDone
}

// readRequest reads and validates the request line; a non-nil Result is
// the error answer.
func readRequest(br *bufio.Reader) (*Request, *Result) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxRequestSize {
			return nil, &Result{Code: CodeBadRequest, Error: fmt.Sprintf("request larger than %d bytes", MaxRequestSize)}
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, &Result{Code: CodeBadRequest, Error: "no request received in time"}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			return nil, &Result{Code: CodeBadRequest, Error: "no request received"}
		}
		return nil, &Result{Code: CodeBadRequest, Error: "request not terminated by a newline"}
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&req); err != nil {
		return nil, &Result{Code: CodeBadRequest, Error: "malformed request: " + err.Error()}
	}
	if dec.More() {
		return nil, &Result{Code: CodeBadRequest, Error: "malformed request: more than one JSON value"}
	}
	if req.V != ProtocolVersion {
		return nil, &Result{Code: CodeVersion, Error: fmt.Sprintf("unsupported protocol version %d (this daemon speaks %d)", req.V, ProtocolVersion)}
	}
	if !validCommand(req.Cmd) {
		return nil, &Result{Code: CodeBadRequest, Error: fmt.Sprintf("unknown command %q", req.Cmd)}
	}
	return &req, nil
}

func validCommand(c string) bool {
	switch c {
	case CmdPing, CmdUp, CmdDown, CmdStatus, CmdStatusAll, CmdReload, CmdRereadSecrets,
		CmdRereadAll, CmdList, CmdLeases, CmdConns, CmdStop:
		return true
	}
	return false
}

// writer sends queued frames until the queue is closed or a write fails.
func (ss *session) writer() {
	defer close(ss.done)
	bw := bufio.NewWriterSize(ss.conn, 32<<10)
	wt := orDefault(ss.srv.WriteTimeout, 30*time.Second)
	for f := range ss.queue {
		if ss.werr != nil {
			continue // drain
		}
		b, err := json.Marshal(f)
		if err != nil {
			b, _ = json.Marshal(Frame{Type: FrameResult, Result: &Result{Code: CodeInternal, Error: "encoding the answer: " + err.Error()}})
		}
		if len(b) >= MaxFrameSize {
			b, _ = json.Marshal(Frame{Type: FrameResult, Result: &Result{Code: CodeInternal, Error: fmt.Sprintf("answer larger than %d bytes", MaxFrameSize)}})
		}
		ss.conn.SetWriteDeadline(time.Now().Add(wt))
		bw.Write(b)
		bw.WriteByte('\n')
		// Flush when nothing else is waiting, so log lines show up as
		// they happen.
		if len(ss.queue) == 0 {
			if err := bw.Flush(); err != nil {
				ss.werr = err
				ss.cancel()
			}
		}
	}
	if ss.werr == nil {
		if err := bw.Flush(); err != nil {
			ss.werr = err
		}
	}
}

// Log implements LogWriter.
func (ss *session) Log(level int, msg string) {
	if level > ss.verbosity {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return
	}
	select {
	case ss.queue <- Frame{Type: FrameLog, Level: level, Msg: msg}:
	default:
		ss.dropped++
	}
}

// output queues text for the user, waiting for room (the command's
// goroutine is the only caller, so this cannot stall the daemon).
func (ss *session) output(ctx context.Context, text string) error {
	if text == "" {
		return nil
	}
	for {
		ss.mu.Lock()
		if ss.closed {
			ss.mu.Unlock()
			return errors.New("control: session closed")
		}
		select {
		case ss.queue <- Frame{Type: FrameOutput, Text: text}:
			ss.mu.Unlock()
			return nil
		default:
		}
		ss.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ss.done:
			return errors.New("control: client gone")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// finish queues the result, closes the queue and waits for the writer.
func (ss *session) finish(res *Result) {
	ss.mu.Lock()
	ss.closed = true // from now on Log and output send nothing
	dropped := ss.dropped
	ss.mu.Unlock()
	if dropped > 0 {
		ss.send(Frame{Type: FrameLog, Msg: fmt.Sprintf("(%d log lines dropped: the client did not read them in time)", dropped)})
	}
	ss.send(Frame{Type: FrameResult, Result: res})
	close(ss.queue)
	<-ss.done
}

// send queues f once the session is closed to others, waiting for room.
func (ss *session) send(f Frame) {
	select {
	case ss.queue <- f:
	case <-ss.done:
	}
}

// outputWriter adapts output frames to an io.Writer for List.
type outputWriter struct {
	ctx context.Context
	ss  *session
}

func (w outputWriter) Write(p []byte) (int, error) {
	if err := w.ss.output(w.ctx, string(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func dataResult(v any) *Result {
	b, err := json.Marshal(v)
	if err != nil {
		return &Result{Code: CodeInternal, Error: "encoding the answer: " + err.Error()}
	}
	return &Result{OK: true, Data: b}
}

// errorResult maps a backend error to a result.
func errorResult(ctx context.Context, err error) *Result {
	var det *DetachedError
	switch {
	case err == nil:
		return &Result{OK: true}
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return &Result{Code: CodeCanceled, Error: err.Error()}
	case errors.Is(err, ErrNotFound):
		return &Result{Code: CodeNotFound, Error: err.Error()}
	case errors.Is(err, ErrUnsupported):
		return &Result{Code: CodeUnsupported, Error: err.Error()}
	case errors.As(err, &det):
		return &Result{Code: CodeTimeout, Error: err.Error()}
	}
	return &Result{Code: CodeFailed, Error: err.Error()}
}

func (s *Server) dispatch(ctx context.Context, ss *session, req *Request) *Result {
	b := s.Backend
	switch req.Cmd {
	case CmdPing:
		sw := s.Software
		if sw == "" {
			sw = "goswan " + version.String()
		}
		return dataResult(Hello{Protocol: ProtocolVersion, Software: sw, PID: os.Getpid()})
	case CmdUp:
		return s.up(ctx, ss, req.Name)
	case CmdDown:
		return s.down(ctx, ss, req.Name)
	case CmdStatus, CmdStatusAll:
		all := req.Cmd == CmdStatusAll
		st, err := b.Status(ctx, StatusQuery{Name: req.Name, Daemon: all, Conns: all, SAs: true})
		if err != nil {
			return errorResult(ctx, err)
		}
		if st == nil {
			st = &Status{}
		}
		if req.Text {
			var sb strings.Builder
			WriteStatus(&sb, st, FormatOptions{All: all, Name: req.Name})
			if err := ss.output(ctx, sb.String()); err != nil {
				return errorResult(ctx, err)
			}
		}
		return dataResult(st)
	case CmdConns:
		st, err := b.Status(ctx, StatusQuery{Conns: true})
		if err != nil {
			return errorResult(ctx, err)
		}
		names := []string{}
		if st != nil {
			seen := map[string]bool{}
			for _, c := range st.Conns {
				if !seen[c.Name] {
					seen[c.Name] = true
					names = append(names, c.Name)
				}
			}
		}
		return dataResult(names)
	case CmdReload:
		return errorResult(ctx, b.Reload(ctx))
	case CmdRereadSecrets:
		return errorResult(ctx, b.RereadSecrets(ctx))
	case CmdRereadAll:
		return errorResult(ctx, b.RereadAll(ctx))
	case CmdList:
		opt := ListOptions{UTC: req.UTC}
		for _, sec := range req.Sections {
			switch sec {
			case ListCerts:
				opt.Certs = true
			case ListCACerts:
				opt.CACerts = true
			case ListCRLs:
				opt.CRLs = true
			case ListAll:
				opt.All, opt.Certs, opt.CACerts, opt.CRLs = true, true, true, true
			default:
				return &Result{Code: CodeBadRequest, Error: fmt.Sprintf("unknown list section %q", sec)}
			}
		}
		if !opt.Certs && !opt.CACerts && !opt.CRLs {
			return &Result{Code: CodeBadRequest, Error: "list needs sections"}
		}
		return errorResult(ctx, b.List(ctx, opt, outputWriter{ctx, ss}))
	case CmdLeases:
		l, err := b.Leases(ctx, req.Pool, req.Address)
		if err != nil {
			return errorResult(ctx, err)
		}
		if l == nil {
			l = &Leases{}
		}
		if req.Text {
			var sb strings.Builder
			WriteLeases(&sb, l, req.Pool, req.Address)
			if err := ss.output(ctx, sb.String()); err != nil {
				return errorResult(ctx, err)
			}
		}
		return dataResult(l)
	case CmdStop:
		return &Result{OK: true} // Shutdown is called once this is sent
	}
	return &Result{Code: CodeBadRequest, Error: fmt.Sprintf("unknown command %q", req.Cmd)}
}

// up resolves NAME as stroke does: a connection called NAME and its child
// called NAME, else all of that connection's children, else the first
// connection with a child called NAME.
func (s *Server) up(ctx context.Context, ss *session, name string) *Result {
	if name == "" {
		return &Result{Code: CodeBadRequest, Error: "up needs a connection name"}
	}
	st, err := s.Backend.Status(ctx, StatusQuery{Name: name, Conns: true})
	if err != nil {
		return errorResult(ctx, err)
	}
	type job struct{ conn, child string }
	var jobs []job
	var peer *Conn
	if st != nil {
		for i := range st.Conns {
			if st.Conns[i].Name == name {
				peer = &st.Conns[i]
				break
			}
		}
	}
	if peer != nil {
		for _, c := range peer.Children {
			if c.Name == name {
				jobs = []job{{peer.Name, c.Name}}
				break
			}
		}
		if jobs == nil {
			for _, c := range peer.Children {
				jobs = append(jobs, job{peer.Name, c.Name})
			}
		}
		if jobs == nil {
			msg := fmt.Sprintf("no child config named '%s'", name)
			ss.output(ctx, msg+"\n")
			return &Result{Code: CodeNotFound}
		}
	} else if st != nil {
	search:
		for _, c := range st.Conns {
			for _, ch := range c.Children {
				if ch.Name == name {
					jobs = []job{{c.Name, ch.Name}}
					break search
				}
			}
		}
	}
	if jobs == nil {
		ss.output(ctx, fmt.Sprintf("no config named '%s'\n", name))
		return &Result{Code: CodeNotFound}
	}
	res := &Result{OK: true}
	for _, j := range jobs {
		err := s.Backend.Initiate(ctx, j.conn, j.child, ss)
		if ctx.Err() != nil {
			return errorResult(ctx, ctx.Err())
		}
		var det *DetachedError
		switch {
		case err == nil:
			ss.output(ctx, fmt.Sprintf("connection '%s' established successfully\n", name))
			continue
		case errors.As(err, &det):
			ss.output(ctx, fmt.Sprintf("connection '%s' not established after %dms, detaching\n", name, det.After.Milliseconds()))
		default:
			ss.output(ctx, fmt.Sprintf("establishing connection '%s' failed\n", name))
		}
		if res.OK {
			res = errorResult(ctx, err)
			res.Error = "" // reported in the output
		}
	}
	return res
}

// down resolves a specifier as stroke does and terminates the matching
// CHILD_SAs, then IKE_SAs, reporting each.
func (s *Server) down(ctx context.Context, ss *session, spec string) *Result {
	t, ok := ParseTarget(spec)
	if !ok {
		ss.Log(1, "error parsing specifier string")
		return &Result{Code: CodeBadRequest, Error: fmt.Sprintf("invalid SA specifier '%s'", spec)}
	}
	var children, ikes []uint32
	switch {
	case t.ID != 0 && t.Child:
		children = []uint32{t.ID}
	case t.ID != 0:
		ikes = []uint32{t.ID}
	default:
		st, err := s.Backend.Status(ctx, StatusQuery{Name: t.Name, SAs: true})
		if err != nil {
			return errorResult(ctx, err)
		}
		if st != nil {
		scan:
			for _, ike := range st.IKESAs {
				if t.Child {
					for _, c := range ike.Children {
						if c.Name == t.Name {
							children = append(children, c.UniqueID)
							if !t.All {
								break scan
							}
						}
					}
				} else if ike.Name == t.Name {
					ikes = append(ikes, ike.UniqueID)
					if !t.All {
						break
					}
				}
			}
		}
		if len(children) == 0 && len(ikes) == 0 {
			kind := "IKE"
			if t.Child {
				kind = "CHILD"
			}
			ss.Log(1, fmt.Sprintf("no %s_SA named '%s' found", kind, t.Name))
			return &Result{Code: CodeNotFound}
		}
	}
	res := &Result{OK: true}
	report := func(id uint32, child bool, err error) {
		pre, post := "IKE_SA [", "]"
		if child {
			pre, post = "CHILD_SA {", "}"
		}
		var det *DetachedError
		switch {
		case err == nil:
			ss.output(ctx, fmt.Sprintf("%s%d%s closed successfully\n", pre, id, post))
			return
		case errors.As(err, &det):
			ss.output(ctx, fmt.Sprintf("%s%d%s not closed after %dms, detaching\n", pre, id, post, det.After.Milliseconds()))
		default:
			ss.output(ctx, fmt.Sprintf("closing %s%d%s failed\n", pre, id, post))
		}
		if res.OK {
			res = errorResult(ctx, err)
			res.Error = ""
		}
	}
	for _, id := range children {
		err := s.Backend.TerminateChild(ctx, id, ss)
		if ctx.Err() != nil {
			return errorResult(ctx, ctx.Err())
		}
		report(id, true, err)
	}
	for _, id := range ikes {
		err := s.Backend.TerminateIKE(ctx, id, ss)
		if ctx.Err() != nil {
			return errorResult(ctx, ctx.Err())
		}
		report(id, false, err)
	}
	return res
}
