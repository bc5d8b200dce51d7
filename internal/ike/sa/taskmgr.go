package sa

import (
	"github.com/goswan/goswan/internal/log"
	"math"
	"math/rand/v2"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/ike/message"
)

// taskManager runs the exchanges of one IKE_SA (RFC 7296 section 2.3, with
// a window size of one in each direction): it picks the next exchange from
// the queued tasks, builds and sends requests, retransmits the same bytes
// until a response arrives, answers requests (resending the cached response
// for a retransmitted request), and drives the tasks' Build/Process.
type taskManager struct {
	sa      *IKESA
	queued  []queuedTask
	active  []Task // our exchange in progress (initiator)
	passive []Task // the peer's exchange (responder)

	initiating struct {
		mid           uint32
		exchange      message.ExchangeType // 0: nothing in flight
		packets       [][]byte
		retransmitted int
		timer         clock.Timer
		gen           uint64 // invalidates stale retransmit timers
	}
	responding struct {
		mid     uint32 // next request ID expected
		packets [][]byte
	}
	// fragments being reassembled, for requests and responses
	reqFrags, respFrags *reassembly
	// lastRaw is the received message being processed (for PreProcess)
	lastRaw []byte
}

// queuedTask is a task waiting for its exchange; a delayed task (a retry
// after TEMPORARY_FAILURE) is not activated before at.
type queuedTask struct {
	task Task
	at   time.Time
}

func newTaskManager(s *IKESA) *taskManager { return &taskManager{sa: s} }

// queue adds a task for a later exchange.
func (tm *taskManager) queue(t Task) { tm.queued = append(tm.queued, queuedTask{task: t}) }

// queueDelayed adds a task that may start only after d, and initiates
// it then (charon's queue_task_delayed).
func (tm *taskManager) queueDelayed(t Task, d time.Duration) {
	s := tm.sa
	s.logf(log.IKE, 2, "queueing %v task (delayed by %ds)", t.Type(), int(d.Seconds()))
	tm.queued = append(tm.queued, queuedTask{task: t, at: s.env.Clock.Now().Add(d)})
	s.timers = append(s.timers, s.after(d, func(s *IKESA) { s.tm.initiate() }))
}

// hasTask reports whether a task of type t is queued or active.
func (tm *taskManager) hasTask(t TaskType) bool {
	return tm.hasQueued(t) || tm.hasActive(t)
}

// hasQueued reports whether a task of type t is queued.
func (tm *taskManager) hasQueued(t TaskType) bool {
	for _, q := range tm.queued {
		if q.task.Type() == t {
			return true
		}
	}
	return false
}

// hasActive reports whether a task of type t is active.
func (tm *taskManager) hasActive(t TaskType) bool {
	for _, x := range tm.active {
		if x.Type() == t {
			return true
		}
	}
	return false
}

// activate moves queued tasks of type t that are due to the active list.
func (tm *taskManager) activate(t TaskType) bool {
	found := false
	now := tm.sa.env.Clock.Now()
	q := tm.queued[:0]
	for _, x := range tm.queued {
		if x.task.Type() == t && !x.at.After(now) {
			tm.active = append(tm.active, x.task)
			found = true
		} else {
			q = append(q, x)
		}
	}
	tm.queued = shrink(tm.queued, q)
	return found
}

// migrator is implemented by initiator tasks that can move to the IKE_SA
// replacing theirs (after IKE_SA rekeying or for make-before-break
// reauthentication); they forget any exchange state.
type migrator interface {
	migrate(n *IKESA)
}

// adoptTasks moves the queued tasks of o (that can migrate) to tm, without
// their delays, as charon's adopt_tasks. Both task managers' IKE_SAs must
// be owned by the calling goroutine (n not started yet).
func (tm *taskManager) adoptTasks(o *taskManager, keep func(Task) bool) {
	rest := o.queued[:0]
	var moved []queuedTask
	for _, q := range o.queued {
		m, ok := q.task.(migrator)
		if !ok || (keep != nil && !keep(q.task)) {
			rest = append(rest, q)
			continue
		}
		tm.sa.logf(log.IKE, 2, "migrating %v task", q.task.Type())
		m.migrate(tm.sa)
		moved = append(moved, queuedTask{task: q.task})
	}
	o.queued = rest
	tm.queued = append(moved, tm.queued...)
}

// collider is implemented by active tasks that resolve exchange
// collisions (RFC 7296 sections 2.8.1 and 2.8.2): collide is told about a
// passive task of the peer's exchange that just completed, and reports
// whether it took the task over.
type collider interface {
	collide(passive Task) bool
}

// handleCollisions lets the active rekey task know about a completed
// passive rekey or delete, as charon's handle_collisions: an active
// IKE_REKEY cares for a passive IKE_REKEY or IKE_DELETE, an active
// CHILD_REKEY for a passive CHILD_REKEY or CHILD_DELETE.
func (tm *taskManager) handleCollisions(passive Task) bool {
	typ := passive.Type()
	switch typ {
	case TaskIKERekey, TaskChildRekey, TaskChildDelete, TaskIKEDelete:
	default:
		return false
	}
	for _, a := range tm.active {
		switch a.Type() {
		case TaskIKERekey:
			if typ != TaskIKERekey && typ != TaskIKEDelete {
				continue
			}
		case TaskChildRekey:
			if typ != TaskChildRekey && typ != TaskChildDelete {
				continue
			}
		default:
			continue
		}
		if c, ok := a.(collider); ok {
			return c.collide(passive)
		}
		return false
	}
	return false
}

// initiate starts the next exchange if none is in flight.
func (tm *taskManager) initiate() {
	s := tm.sa
	if tm.initiating.exchange != 0 || s.state == StateDestroying {
		return
	}
	var exchange message.ExchangeType
	if len(tm.active) == 0 {
		switch s.state {
		case StateCreated:
			tm.activate(TaskIKEVendor)
			if tm.activate(TaskIKEInit) {
				tm.initiating.mid = 0
				exchange = message.ExchangeIKESAInit
				for _, t := range []TaskType{TaskIKENATD, TaskIKECertPre, TaskIKEAuth, TaskIKECertPost,
					TaskIKEConfig, TaskIKEAuthLifetime, TaskIKEMobike, TaskIKEEstablish, TaskChildCreate} {
					tm.activate(t)
				}
			}
		case StateEstablished:
			for _, c := range []struct {
				t TaskType
				x message.ExchangeType
			}{
				{TaskIKEMobike, message.ExchangeInformational},
				{TaskIKEDelete, message.ExchangeInformational},
				{TaskChildDelete, message.ExchangeInformational},
				{TaskIKEReauth, message.ExchangeInformational},
				{TaskChildCreate, message.ExchangeCreateChildSA},
				{TaskChildRekey, message.ExchangeCreateChildSA},
				{TaskIKERekey, message.ExchangeCreateChildSA},
				{TaskIKEDPD, message.ExchangeInformational},
				{TaskIKEAuthLifetime, message.ExchangeInformational},
				{TaskIKEReauthComplete, message.ExchangeInformational},
			} {
				if tm.activate(c.t) {
					exchange = c.x
					break
				}
			}
		case StateRekeying, StateRekeyed:
			if tm.activate(TaskIKEDelete) {
				exchange = message.ExchangeInformational
			}
		}
	} else {
		for _, t := range tm.active {
			switch t.Type() {
			case TaskIKEInit:
				exchange = message.ExchangeIKESAInit
			case TaskIKEAuth:
				exchange = message.ExchangeIKEAuth
			case TaskChildCreate, TaskChildRekey, TaskIKERekey:
				exchange = message.ExchangeCreateChildSA
			case TaskIKEMobike:
				exchange = message.ExchangeInformational
			default:
				continue
			}
			break
		}
	}
	if exchange == 0 {
		return
	}
	m := s.newMessage(exchange, tm.initiating.mid, false)
	tm.initiating.exchange = exchange
	tm.initiating.retransmitted = 0
	built := append([]Task(nil), tm.active...)
	keep := tm.active[:0]
	for i, t := range tm.active {
		switch t.Build(m) {
		case Success:
		case NeedMore:
			keep = append(keep, t)
		default:
			tm.active = append(keep, tm.active[i:]...)
			tm.initiating.exchange = 0
			s.failed("building " + exchange.String() + " request failed")
			return
		}
		if s.state == StateDestroying {
			tm.initiating.exchange = 0
			return
		}
	}
	tm.active = shrink(tm.active, keep)
	if m.Exchange == 0 { // a task cancelled the exchange
		tm.initiating.exchange = 0
		tm.initiate()
		return
	}
	// a task may have changed the exchange (the delete after a rekeying)
	exchange = m.Exchange
	tm.initiating.exchange = exchange
	packets, raw, err := s.generate(m)
	if err != nil {
		s.logf(log.ENC, 1, "generating %v request failed: %v", exchange, err)
		tm.initiating.exchange = 0
		s.failed("message generation failed")
		return
	}
	for _, t := range built {
		if pb, ok := t.(postBuilder); ok {
			if pb.PostBuild(m, raw) == Failed {
				tm.initiating.exchange = 0
				s.failed("post-build failed")
				return
			}
		}
	}
	tm.initiating.packets = packets
	tm.sendRequest()
}

func (tm *taskManager) sendRequest() {
	s := tm.sa
	for _, p := range tm.initiating.packets {
		s.send(p)
	}
	tm.armRetransmit()
}

// armRetransmit schedules the next retransmission of the request in
// flight: timeout * base^n, capped by the limit, with optional jitter, as
// charon does.
func (tm *taskManager) armRetransmit() {
	s := tm.sa
	st := s.env.Settings
	if tm.initiating.timer != nil {
		tm.initiating.timer.Stop()
	}
	tm.initiating.gen++
	gen := tm.initiating.gen
	d := time.Duration(float64(st.RetransmitTimeout) * math.Pow(st.RetransmitBase, float64(tm.initiating.retransmitted)))
	if st.RetransmitLimit > 0 && d > st.RetransmitLimit {
		d = st.RetransmitLimit
	}
	if st.RetransmitJitter > 0 {
		d -= time.Duration(rand.Int64N(int64(d) * int64(st.RetransmitJitter) / 100))
	}
	tm.initiating.timer = s.after(d, func(s *IKESA) { s.tm.retransmit(gen) })
}

// retransmit resends the request in flight or gives up.
func (tm *taskManager) retransmit(gen uint64) {
	s := tm.sa
	if gen != tm.initiating.gen || tm.initiating.exchange == 0 {
		return
	}
	if tm.initiating.retransmitted >= s.env.Settings.RetransmitTries {
		s.logf(log.IKE, 1, "giving up after %d retransmits", tm.initiating.retransmitted)
		tm.initiating.exchange = 0
		s.peerNotResponding()
		return
	}
	tm.initiating.retransmitted++
	s.logf(log.IKE, 1, "retransmit %d of request with message ID %d", tm.initiating.retransmitted, tm.initiating.mid)
	for _, p := range tm.initiating.packets {
		s.send(p)
	}
	tm.armRetransmit()
}

// stopRetransmit forgets the request in flight.
func (tm *taskManager) stopRetransmit() {
	if tm.initiating.timer != nil {
		tm.initiating.timer.Stop()
		tm.initiating.timer = nil
	}
	tm.initiating.gen++
	tm.initiating.exchange = 0
	tm.initiating.packets = nil
}

// processResponse runs the active tasks on a response to our request.
func (tm *taskManager) processResponse(m *message.Message) {
	s := tm.sa
	if m.Exchange != tm.initiating.exchange {
		s.logf(log.IKE, 1, "received %v response, but expected %v", m.Exchange, tm.initiating.exchange)
		s.failed("unexpected response")
		return
	}
	tm.stopRetransmit()
	tm.initiating.mid++
	for _, t := range tm.active {
		if pp, ok := t.(preProcessor); ok {
			if pp.PreProcess(m, tm.lastRaw) == Failed {
				s.failed("pre-processing response failed")
				return
			}
		}
	}
	keep := tm.active[:0]
	retry := false
	for _, t := range tm.active {
		switch t.Process(m) {
		case Success:
		case NeedMore:
			keep = append(keep, t)
		case Retry:
			keep = append(keep, t)
			retry = true
		default:
			tm.active = keep
			s.failed("processing " + m.Exchange.String() + " response failed")
			return
		}
		if s.state == StateDestroying {
			return
		}
	}
	tm.active = shrink(tm.active, keep)
	if retry {
		// IKE_SA_INIT again from scratch (INVALID_KE_PAYLOAD, COOKIE)
		tm.initiating.mid = 0
		s.SPIr = 0
		s.Keys, s.skIn, s.skOut = nil, nil, nil
	}
	tm.initiate()
}

// processRequest runs (and, for a new exchange, creates) the responder
// tasks on a request and sends the response.
func (tm *taskManager) processRequest(m *message.Message) {
	s := tm.sa
	if len(tm.passive) == 0 || m.Exchange != message.ExchangeIKEAuth {
		tm.passive = s.responderTasks(m)
		if tm.passive == nil {
			return
		}
	}
	for _, t := range tm.passive {
		if pp, ok := t.(preProcessor); ok {
			if pp.PreProcess(m, tm.lastRaw) == Failed {
				s.failed("pre-processing request failed")
				return
			}
		}
	}
	failed := false
	keep := tm.passive[:0]
	for _, t := range tm.passive {
		switch t.Process(m) {
		case Success:
		case NeedMore:
			keep = append(keep, t)
		default:
			failed = true
			keep = append(keep, t) // let it build its error notify
		}
	}
	tm.passive = shrink(tm.passive, keep)
	resp := s.newMessage(m.Exchange, m.MessageID, true)
	built := append([]Task(nil), tm.passive...)
	keep = tm.passive[:0]
	for i, t := range tm.passive {
		st := t.Build(resp)
		adopted := tm.handleCollisions(t)
		if st == Success {
			continue
		}
		if st == NeedMore {
			if !adopted {
				keep = append(keep, t)
			}
			continue
		}
		// a failed task sends what was built so far, then the SA goes
		failed = true
		keep = append(keep, tm.passive[i+1:]...)
		break
	}
	tm.passive = shrink(tm.passive, keep)
	packets, raw, err := s.generate(resp)
	if err != nil {
		s.logf(log.ENC, 1, "generating %v response failed: %v", m.Exchange, err)
		s.failed("response generation failed")
		return
	}
	for _, t := range built {
		if pb, ok := t.(postBuilder); ok {
			if pb.PostBuild(resp, raw) == Failed {
				failed = true
			}
		}
	}
	tm.responding.packets = packets
	tm.responding.mid = m.MessageID + 1
	for _, p := range packets {
		s.send(p)
	}
	if failed {
		s.failed("")
		return
	}
	if len(tm.passive) == 0 {
		tm.passive = nil
	}
	// the responder may have queued tasks (e.g. after a rekey) or have
	// work it deferred while the peer's exchange ran
	tm.initiate()
}

// flush drops all tasks (the IKE_SA is going away or is being reset).
func (tm *taskManager) flush() {
	tm.stopRetransmit()
	tm.queued, tm.active, tm.passive = nil, nil, nil
}

// shrink returns keep, a filtered prefix-sharing copy of list, after
// clearing the entries of list it dropped (the backing array would keep
// finished tasks alive), or nil when nothing is left.
func shrink[T any](list, keep []T) []T {
	clear(list[len(keep):])
	if len(keep) == 0 {
		return nil
	}
	return keep
}
