// Package trail is Warden's event history, compatible with CloudTrail: it
// records every API call, console sign-in and STS issuance as a CloudTrail
// event record, keeps them in the store's EventLog, answers LookupEvents over
// them, and exports them as CloudTrail log files.
//
// Recording costs a request no write and no allocation: the front ends hand
// a description of the call to Recorder.API or Recorder.SignIn, which copies
// it into a sharded, bounded in-memory buffer and returns at once (a full
// buffer drops the event, counts it and logs the count, rather than making
// the request wait). A background loop renders the CloudTrail records,
// redacting secrets, and writes them in batches, one transaction each.
package trail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warden-iam/warden"
)

// Call describes one API request, as a front end saw it.
type Call struct {
	Time      time.Time
	RequestID string
	// Service is the signing name: iam, sts or cloudtrail.
	Service     string
	Action      string
	Principal   warden.Principal
	AccessKeyID string
	Region      string
	// Params are the Query request's parameters; JSON, when set instead,
	// is the parameters of a JSON request.
	Params url.Values
	JSON   map[string]any
	// Result is the operation's result (an XML-shaped struct), nil on
	// error or when it has none.
	Result       any
	ErrorCode    string
	ErrorMessage string
}

// SignIn describes one console sign-in attempt.
type SignIn struct {
	Time      time.Time
	RequestID string
	Account   string
	// ARN is the identity signing in, "" when it is unknown (an unknown
	// user name).
	ARN       string
	SourceIP  string
	UserAgent string
	Success   bool
	MFAUsed   bool
	// Failure is AWS's errorMessage of a failed sign-in.
	Failure string
}

// Options configure a Recorder.
type Options struct {
	// Buffer bounds the events waiting to be written (default 65536).
	Buffer int
	// Batch is the most events written at once, in one transaction
	// (default 1000, so that the store's writer is never held long).
	Batch int
	// FlushEvery is how often buffered events are written (default 1s).
	FlushEvery time.Duration
	// Retention is how long events are kept (default 90 days, as
	// CloudTrail's event history).
	Retention time.Duration
	// ExportDir, when set, receives CloudTrail log files.
	ExportDir string
	// Region is the awsRegion of the records (default us-east-1).
	Region string
	Log    *slog.Logger
}

// maxArena is the largest record buffer a Recorder keeps between batches.
const maxArena = 4 << 20

// Recorder buffers events in memory and writes them in batches.
//
// The buffer is sharded: a request appends its Call by value to the slice of
// a shard picked at random (math/rand/v2's per-P source, no shared state),
// under that shard's own lock, so concurrent requests seldom meet and the
// hot path allocates nothing once the slices have grown. One atomic counter
// bounds the buffer as a whole.
type Recorder struct {
	log    warden.EventLog
	opts   Options
	shards []shard
	kick   chan struct{}

	mu         sync.Mutex // held while draining and writing
	lastPrune  time.Time
	exported   time.Time // end of the last exported five-minute window
	lastDrops  int64     // Dropped when Flush last logged drops
	pending    atomic.Int64
	recorded   atomic.Int64
	dropped    atomic.Int64
	failed     atomic.Int64
	suppressed atomic.Int64
	lastSupp   int64 // Suppressed when Flush last logged it
	failures   failureLimit
	calls      []Call   // the drained calls, reused batch after batch
	signIns    []SignIn // the drained sign-ins
	eventsBuf  []warden.Event
	arena      []byte // the records of the batch being written, reused

	// Now and NewID are replaceable for tests. NewID makes the ID of an
	// event at the given time.
	Now   func() time.Time
	NewID func(time.Time) string
}

// shard is one lock's worth of the buffer, padded to its own cache lines.
type shard struct {
	mu      sync.Mutex
	calls   []Call
	signIns []SignIn
	_       [64]byte
}

// NewRecorder returns a Recorder writing to log. Start its loop with Run.
func NewRecorder(log warden.EventLog, opts Options) *Recorder {
	if opts.Buffer <= 0 {
		opts.Buffer = 1 << 16
	}
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = time.Second
	}
	if opts.Retention <= 0 {
		opts.Retention = 90 * 24 * time.Hour
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Recorder{log: log, opts: opts, shards: make([]shard, 4*runtime.GOMAXPROCS(0)), kick: make(chan struct{}, 1),
		Now: time.Now, NewID: newUUID}
}

// newUUID returns a version 7 UUID for an event at t: t in milliseconds,
// then random bits. The store finds an event by such an ID from its time
// (warden.EventChunk.Terms), so it keeps no posting of the ID.
func newUUID(t time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic("trail: no randomness: " + err.Error())
	}
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// API records an API call. It never blocks and keeps no reference to c
// (the call is copied): when the buffer is full the event is dropped,
// counted in Dropped and logged at the next flush. A nil Recorder records
// nothing.
func (r *Recorder) API(c *Call) {
	if r == nil || !r.reserve() {
		return
	}
	s := &r.shards[mrand.IntN(len(r.shards))]
	s.mu.Lock()
	s.calls = append(s.calls, *c)
	if readOnlyAction(c.Action) {
		// A read's result is not in its record: let it go now rather
		// than when the batch is written.
		s.calls[len(s.calls)-1].Result = nil
	}
	s.mu.Unlock()
}

// SignIn records a console sign-in attempt, as API does.
func (r *Recorder) SignIn(in *SignIn) {
	if r == nil || !r.reserve() {
		return
	}
	s := &r.shards[mrand.IntN(len(r.shards))]
	s.mu.Lock()
	s.signIns = append(s.signIns, *in)
	s.mu.Unlock()
}

// reserve takes a place in the buffer, or counts a drop when it is full,
// and wakes the loop when a batch is ready.
func (r *Recorder) reserve() bool {
	n := r.pending.Add(1)
	if n > int64(r.opts.Buffer) {
		r.pending.Add(-1)
		r.dropped.Add(1)
		return false
	}
	if n%int64(r.opts.Batch) == 0 { // a batch's worth more (pending may not fall to zero between flushes)
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// Recorded, Dropped and Failed count the events written, the events
// dropped because the buffer was full, and the events lost to failed writes.
func (r *Recorder) Recorded() int64 { return r.recorded.Load() }
func (r *Recorder) Dropped() int64  { return r.dropped.Load() }
func (r *Recorder) Failed() int64   { return r.failed.Load() }

// Run writes buffered events every FlushEvery (sooner when a batch is
// full), prunes events past the retention, and exports log files, until ctx
// ends; then it writes what is left.
func (r *Recorder) Run(ctx context.Context) {
	t := time.NewTicker(r.opts.FlushEvery)
	defer t.Stop()
	r.mu.Lock()
	r.exported = window(r.Now())
	r.mu.Unlock()
	// Writes outlive ctx: events taken from the buffer are written even
	// when the loop is told to stop in the middle of a batch.
	write := func() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		r.Flush(wctx)
	}
	for {
		select {
		case <-ctx.Done():
			write()
			return
		case <-r.kick:
			write()
		case <-t.C:
			write()
			r.housekeep(ctx)
		}
	}
}

// Flush writes every buffered event now, rendering the records (the
// request only buffered a Call) and writing them in batches of
// Options.Batch. LookupEvents calls it so that a node reads its own recent
// events.
func (r *Recorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Swap each shard's slices for the drained ones of last time, so that
	// neither side allocates once both have grown.
	calls, signIns := r.calls[:0], r.signIns[:0]
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		calls = append(calls, s.calls...)
		signIns = append(signIns, s.signIns...)
		clear(s.calls)
		clear(s.signIns)
		s.calls, s.signIns = s.calls[:0], s.signIns[:0]
		s.mu.Unlock()
	}
	r.pending.Add(-int64(len(calls) + len(signIns)))
	if d := r.dropped.Load(); d != r.lastDrops {
		r.opts.Log.Warn("trail: the event buffer was full: events were dropped", "dropped", d-r.lastDrops, "dropped_total", d,
			"buffer", r.opts.Buffer)
		r.lastDrops = d
	}
	if n := r.suppressed.Load(); n != r.lastSupp {
		r.opts.Log.Warn("trail: failed-authentication events over the per-source limit were counted, not recorded",
			"suppressed", n-r.lastSupp, "suppressed_total", n, "per_source_per_minute", FailedPerSource)
		r.lastSupp = n
	}
	var firstErr error
	batch := r.eventsBuf[:0]
	write := func() {
		if len(batch) == 0 {
			return
		}
		err := r.log.AppendEvents(ctx, batch)
		if err != nil {
			err = r.log.AppendEvents(ctx, batch) // appends are idempotent by event ID
		}
		if err != nil {
			r.opts.Log.Error("trail: writing events", "events", len(batch), "err", err)
			r.failed.Add(int64(len(batch)))
			if firstErr == nil {
				firstErr = err
			}
		} else {
			r.recorded.Add(int64(len(batch)))
		}
		clear(batch)
		batch = batch[:0]
	}
	add := func(e warden.Event, err error) {
		if err != nil {
			r.opts.Log.Error("trail: rendering an event", "err", err)
			r.failed.Add(1)
			return
		}
		batch = append(batch, e)
		if len(batch) >= r.opts.Batch {
			write()
		}
	}
	arena := r.arena[:0]
	repeats := map[repeatKey]*repeat{}
	for i := range calls {
		add(r.renderRepeating(&calls[i], &arena, repeats))
	}
	for i := range signIns {
		add(r.renderSignIn(&signIns[i]))
	}
	write()
	if cap(arena) > maxArena {
		arena = nil // a burst's buffer is not kept
	}
	r.arena = arena[:0]
	clear(calls)
	clear(signIns)
	r.calls, r.signIns, r.eventsBuf = calls[:0], signIns[:0], batch[:0]
	return firstErr
}

// housekeep prunes old events once an hour and exports finished windows.
func (r *Recorder) housekeep(ctx context.Context) {
	now := r.Now()
	r.mu.Lock()
	prune := now.Sub(r.lastPrune) >= time.Hour
	if prune {
		r.lastPrune = now
	}
	r.mu.Unlock()
	if prune {
		if _, err := r.log.PruneEvents(ctx, now.Add(-r.opts.Retention)); err != nil {
			r.opts.Log.Error("trail: pruning events", "err", err)
		}
	}
	if r.opts.ExportDir != "" {
		if err := r.exportDue(ctx, now); err != nil {
			r.opts.Log.Error("trail: exporting log files", "err", err)
		}
	}
}
