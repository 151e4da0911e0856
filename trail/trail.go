// Package trail is Warden's event history, compatible with CloudTrail: it
// records every API call, console sign-in and STS issuance as a CloudTrail
// event record, keeps them in the store's EventLog, answers LookupEvents over
// them, and exports them as CloudTrail log files.
//
// Recording costs a request no write: the front ends hand a description of
// the call to Recorder.API or Recorder.SignIn, which puts it in a bounded
// in-memory buffer and returns at once (a full buffer drops the event and
// counts it rather than making the request wait). A background loop renders
// the records, redacting secrets, and writes them in batches.
package trail

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
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
	// Batch is the most events written at once (default 1000).
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

// Recorder buffers events in memory and writes them in batches.
type Recorder struct {
	log  warden.EventLog
	opts Options
	buf  chan any // *Call or *SignIn
	kick chan struct{}

	mu        sync.Mutex // held while draining and writing
	lastPrune time.Time
	exported  time.Time // end of the last exported five-minute window

	recorded atomic.Int64
	dropped  atomic.Int64
	failed   atomic.Int64

	// Now and NewID are replaceable for tests.
	Now   func() time.Time
	NewID func() string
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
	return &Recorder{log: log, opts: opts, buf: make(chan any, opts.Buffer), kick: make(chan struct{}, 1),
		Now: time.Now, NewID: newUUID}
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("trail: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// API records an API call. It never blocks: when the buffer is full the
// event is dropped and counted in Dropped. A nil Recorder records nothing.
func (r *Recorder) API(c *Call) {
	if r != nil {
		r.put(c)
	}
}

// SignIn records a console sign-in attempt, as API does.
func (r *Recorder) SignIn(s *SignIn) {
	if r != nil {
		r.put(s)
	}
}

func (r *Recorder) put(v any) {
	select {
	case r.buf <- v:
		if len(r.buf) >= r.opts.Batch {
			select {
			case r.kick <- struct{}{}:
			default:
			}
		}
	default:
		r.dropped.Add(1)
	}
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

// Flush writes every buffered event now. LookupEvents calls it so that a
// node reads its own recent events.
func (r *Recorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var firstErr error
	for {
		batch := make([]warden.Event, 0, min(len(r.buf), r.opts.Batch))
	fill:
		for len(batch) < r.opts.Batch {
			select {
			case v := <-r.buf:
				e, err := r.render(v)
				if err != nil {
					r.opts.Log.Error("trail: rendering an event", "err", err)
					r.failed.Add(1)
					continue
				}
				batch = append(batch, e)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return firstErr
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
			continue
		}
		r.recorded.Add(int64(len(batch)))
	}
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
