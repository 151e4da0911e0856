package trail

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/postgres"
	"github.com/warden-iam/warden/sqlite"
	"github.com/warden-iam/warden/storetest"
)

// BenchmarkRecordAPI is what recording costs the request itself: copying
// the call into the buffer. A test drain empties the buffer meanwhile
// without rendering, so that B/op and allocs/op are the request's alone
// (BenchmarkRender and BenchmarkWrite* are the background's share).
func BenchmarkRecordAPI(b *testing.B) {
	r := NewRecorder(nil, Options{Buffer: 1 << 20})
	c := getUserCall("123456789012", time.Now())
	stop := discardLoop(r)
	defer stop()
	b.ReportAllocs()
	for b.Loop() {
		r.API(c)
	}
	b.ReportMetric(float64(r.Dropped()), "dropped")
}

// BenchmarkRecordAPIParallel is BenchmarkRecordAPI from every P at once:
// the shards keep concurrent requests from queueing on one lock.
func BenchmarkRecordAPIParallel(b *testing.B) {
	r := NewRecorder(nil, Options{Buffer: 1 << 20})
	c := getUserCall("123456789012", time.Now())
	stop := discardLoop(r)
	defer stop()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.API(c)
		}
	})
	b.ReportMetric(float64(r.Dropped()), "dropped")
}

// discardLoop empties r's buffer every millisecond, as Flush does but
// without rendering or writing, until stop is called.
func discardLoop(r *Recorder) (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			for i := range r.shards {
				s := &r.shards[i]
				s.mu.Lock()
				n := len(s.calls)
				clear(s.calls)
				s.calls = s.calls[:0]
				s.mu.Unlock()
				r.pending.Add(-int64(n))
			}
		}
	}()
	return func() { close(done); <-exited }
}

// getUserCall is the call of the load test: GetUser by an IAM user.
func getUserCall(account string, at time.Time) *Call {
	return &Call{Time: at, RequestID: "6c1a7b4e-8f0e-4c7e-9a53-2d1b0f1e9c3a", Service: "iam", Action: "GetUser",
		Principal: warden.Principal{Type: warden.PrincipalUser, Account: account, Name: "load-1", ID: "AIDAEXAMPLELOAD00001",
			ARN: "arn:aws:iam::" + account + ":user/load-1", SourceIP: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.39.2 os/linux lang/go#1.25"},
		AccessKeyID: "AKIAEXAMPLELOAD00001", Region: "us-east-1",
		Params: url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"load-1"}}}
}

// BenchmarkRenderGetUser is rendering the load test's event.
func BenchmarkRenderGetUser(b *testing.B) {
	r := NewRecorder(nil, Options{})
	c := getUserCall("123456789012", time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.renderCall(c); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkWrite is the background cost of one event: rendering the record
// and writing it in batches of 1000.
func benchmarkWrite(b *testing.B, log warden.EventLog, calls ...*Call) {
	r := NewRecorder(log, Options{Buffer: 1 << 20, Batch: 1000})
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := processCPU(b)
	n := 0
	for b.Loop() {
		cp := *calls[n%len(calls)]
		cp.Time = time.Now()
		r.API(&cp)
		if n++; n%1000 == 0 {
			if err := r.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := r.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	// The wall clock includes waiting for the commit's fsync, which costs
	// requests nothing; the process's CPU per event is what it takes from
	// them (the database server's own CPU, for PostgreSQL, is not in it).
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWrite* are the background's cost per event: a CreateLoginProfile
// with secrets, tags and a result to render, and the load test's GetUser.
func BenchmarkWriteSQLite(b *testing.B) {
	benchmarkWrite(b, fileLog(b), secretCall("123456789012", time.Now()))
}
func BenchmarkWritePostgres(b *testing.B) {
	benchmarkWrite(b, pgLog(b), secretCall("123456789012", time.Now()))
}
func BenchmarkWriteGetUserSQLite(b *testing.B) {
	benchmarkWrite(b, fileLog(b), getUserCall("123456789012", time.Now()))
}
func BenchmarkWriteGetUserPostgres(b *testing.B) {
	benchmarkWrite(b, pgLog(b), getUserCall("123456789012", time.Now()))
}

// BenchmarkWriteGetUsers* write GetUser events of 32 users taking turns, as
// the load test makes: every batch holds each user's calls.
func BenchmarkWriteGetUsersSQLite(b *testing.B) {
	benchmarkWrite(b, fileLog(b), getUserCalls("123456789012", 32)...)
}
func BenchmarkWriteGetUsersPostgres(b *testing.B) {
	benchmarkWrite(b, pgLog(b), getUserCalls("123456789012", 32)...)
}

// getUserCalls are the GetUser calls of n users, each as itself.
func getUserCalls(account string, n int) []*Call {
	out := make([]*Call, n)
	for i := range out {
		c := getUserCall(account, time.Now())
		name := fmt.Sprintf("load-%d", i)
		c.Principal.Name, c.Principal.ID = name, fmt.Sprintf("AIDAEXAMPLELOAD%05d", i)
		c.Principal.ARN = "arn:aws:iam::" + account + ":user/" + name
		c.AccessKeyID = fmt.Sprintf("AKIAEXAMPLELOAD%05d", i)
		c.Params = url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {name}}
		out[i] = c
	}
	return out
}

func fileLog(b *testing.B) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), b.TempDir()+"/warden.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func pgLog(b *testing.B) *postgres.Store {
	s, err := postgres.Open(context.Background(), storetest.PostgresSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// benchEvents is how many events the lookup benchmarks store
// (WARDEN_BENCH_EVENTS, default 200000).
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("WARDEN_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 200000
}

// fill stores n events of one account over the last 30 days: one in 100 is
// a CreateUser by bob, the rest GetUser by alice.
func fill(b *testing.B, log warden.EventLog, n int) {
	ctx := context.Background()
	r := NewRecorder(log, Options{})
	now := time.Now()
	rec, err := r.render(secretCall("123456789012", now))
	if err != nil {
		b.Fatal(err)
	}
	step := 30 * 24 * time.Hour / time.Duration(n)
	batch := make([]warden.Event, 0, 5000)
	for i := range n {
		e := rec
		e.ID = fmt.Sprintf("ev-%09d", i)
		e.Time = now.Add(-time.Duration(n-i) * step)
		e.Name, e.Username, e.ReadOnly = "GetUser", "alice", true
		if i%100 == 0 {
			e.Name, e.Username, e.ReadOnly = "CreateUser", "bob", false
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) || i == n-1 {
			if err := log.AppendEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// benchmarkLookup measures LookupEvents pages of 50 over benchEvents()
// events: the newest page, a filtered page, and the next page after a
// token.
func benchmarkLookup(b *testing.B, log warden.EventLog) {
	n := benchEvents()
	start := time.Now()
	fill(b, log, n)
	b.Logf("stored %d events in %v", n, time.Since(start).Round(time.Millisecond))
	svc := &Service{Log: log, Authz: authz.New(nil, authz.Strict, slog.New(slog.DiscardHandler)), Now: time.Now}
	root := &warden.Principal{Type: warden.PrincipalRoot, Account: "123456789012", ID: "123456789012",
		ARN: "arn:aws:iam::123456789012:root"}
	ctx := context.Background()
	first, err := svc.LookupEvents(ctx, root, &Lookup{})
	if err != nil || len(first.Events) != 50 || first.NextToken == "" {
		b.Fatalf("first page: %v, %d events", err, len(first.Events))
	}
	for _, tt := range []struct {
		name string
		in   Lookup
	}{
		{"newest", Lookup{}},
		{"by-event-name", Lookup{Attributes: []Attribute{{"EventName", "CreateUser"}}}},
		{"by-username", Lookup{Attributes: []Attribute{{"Username", "bob"}}}},
		{"read-only-false", Lookup{Attributes: []Attribute{{"ReadOnly", "false"}}}},
		{"next-page", Lookup{NextToken: first.NextToken}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				in := tt.in
				page, err := svc.LookupEvents(ctx, root, &in)
				if err != nil || len(page.Events) != 50 {
					b.Fatalf("%v, %d events", err, len(page.Events))
				}
			}
		})
	}
}

func BenchmarkLookupSQLite(b *testing.B)   { benchmarkLookup(b, fileLog(b)) }
func BenchmarkLookupPostgres(b *testing.B) { benchmarkLookup(b, pgLog(b)) }

// BenchmarkRender is rendering one record (the background loop's CPU per
// event, before the write).
func BenchmarkRender(b *testing.B) {
	r := NewRecorder(nil, Options{})
	c := secretCall("123456789012", time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.renderCall(c); err != nil {
			b.Fatal(err)
		}
	}
}
