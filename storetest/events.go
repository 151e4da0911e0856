package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

func eventLog(t *testing.T, s warden.Store) warden.EventLog {
	t.Helper()
	l, ok := s.(warden.EventLog)
	if !ok {
		t.Fatalf("%T does not keep an event history", s)
	}
	return l
}

func ids(events []warden.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// testEvents checks the event history: append (idempotent by ID), every
// filter, the time range, paging in both directions and pruning.
func testEvents(t *testing.T, s warden.Store) {
	ctx := context.Background()
	l := eventLog(t, s)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var batch []warden.Event
	for i := range 10 {
		e := warden.Event{ID: fmt.Sprintf("e%02d", i), Account: acctA, Time: base.Add(time.Duration(i) * time.Second),
			Source: "iam.amazonaws.com", Name: "GetUser", Username: "alice", AccessKeyID: "AKIAA", ReadOnly: true,
			Record: []byte(fmt.Sprintf(`{"eventID":"e%02d"}`, i))}
		if i%2 == 1 {
			e.Name, e.ReadOnly, e.Username, e.ResourceType, e.ResourceName = "CreateUser", false, "bob", "AWS::IAM::User", "carol"
		}
		batch = append(batch, e)
	}
	// Two events at the same instant page by ID.
	batch[9].Time = batch[8].Time
	other := warden.Event{ID: "x", Account: acctB, Time: base, Source: "sts.amazonaws.com", Name: "AssumeRole", Record: []byte(`{}`)}
	if err := l.AppendEvents(ctx, append(batch, other)); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendEvents(ctx, batch[:3]); err != nil {
		t.Fatalf("appending stored events again: %v", err)
	}
	look := func(q warden.EventQuery) []warden.Event {
		t.Helper()
		got, err := l.LookupEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	all := look(warden.EventQuery{Account: acctA})
	if want := []string{"e09", "e08", "e07", "e06", "e05", "e04", "e03", "e02", "e01", "e00"}; !slices.Equal(ids(all), want) {
		t.Fatalf("all events = %v, want %v", ids(all), want)
	}
	e := all[0]
	if e.Account != acctA || !e.Time.Equal(batch[9].Time) || e.Source != "iam.amazonaws.com" || e.Name != "CreateUser" ||
		e.Username != "bob" || e.AccessKeyID != "AKIAA" || e.ReadOnly || e.ResourceType != "AWS::IAM::User" ||
		e.ResourceName != "carol" || string(e.Record) != `{"eventID":"e09"}` {
		t.Errorf("stored event = %+v", e)
	}
	tests := []struct {
		name string
		q    warden.EventQuery
		want []string
	}{
		{"event name", warden.EventQuery{Account: acctA, Attribute: warden.EventAttrEventName, Value: "GetUser"}, []string{"e08", "e06", "e04", "e02", "e00"}},
		{"read only", warden.EventQuery{Account: acctA, Attribute: warden.EventAttrReadOnly, Value: "false"}, []string{"e09", "e07", "e05", "e03", "e01"}},
		{"username", warden.EventQuery{Account: acctA, Attribute: warden.EventAttrUsername, Value: "alice", Limit: 2}, []string{"e08", "e06"}},
		{"resource name", warden.EventQuery{Account: acctA, Attribute: warden.EventAttrResourceName, Value: "carol", Limit: 1}, []string{"e09"}},
		{"event ID", warden.EventQuery{Account: acctA, Attribute: warden.EventAttrEventID, Value: "e03"}, []string{"e03"}},
		{"event source of another account", warden.EventQuery{Account: acctA, Attribute: warden.EventAttrEventSource, Value: "sts.amazonaws.com"}, nil},
		{"time range", warden.EventQuery{Account: acctA, Start: base.Add(2 * time.Second), End: base.Add(5 * time.Second)}, []string{"e04", "e03", "e02"}},
		{"after a page", warden.EventQuery{Account: acctA, AfterTime: batch[9].Time, AfterID: "e09", Limit: 2}, []string{"e08", "e07"}},
		{"oldest first", warden.EventQuery{Account: acctA, Oldest: true, AfterTime: batch[1].Time, AfterID: "e01", Limit: 2}, []string{"e02", "e03"}},
		{"every account", warden.EventQuery{Start: base, End: base.Add(time.Second)}, []string{"x", "e00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(look(tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	n, err := l.PruneEvents(ctx, base.Add(5*time.Second))
	if err != nil || n != 6 {
		t.Fatalf("PruneEvents = %d, %v; want 6", n, err)
	}
	if got := ids(look(warden.EventQuery{Account: acctA, Oldest: true, Limit: 1})); !slices.Equal(got, []string{"e05"}) {
		t.Errorf("oldest after pruning = %v", got)
	}
}

// testEventsLargeBatch appends a batch larger than a store's chunks, twice
// (as the recorder retries a batch whose write failed): every event is
// stored once, with its fields.
func testEventsLargeBatch(t *testing.T, s warden.Store) {
	ctx := context.Background()
	l := eventLog(t, s)
	base := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	var batch []warden.Event
	for i := range 1001 {
		batch = append(batch, warden.Event{ID: fmt.Sprintf("big-%04d", i), Account: acctA, Time: base.Add(time.Duration(i) * time.Millisecond),
			Source: "iam.amazonaws.com", Name: "GetUser", Username: fmt.Sprintf("u%d", i%7), ReadOnly: i%2 == 0,
			Record: []byte(fmt.Sprintf(`{"eventID":"big-%04d"}`, i))})
	}
	for range 2 {
		if err := l.AppendEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.LookupEvents(ctx, warden.EventQuery{Account: acctA, Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(batch) {
		t.Fatalf("stored %d events, want %d", len(got), len(batch))
	}
	for i, e := range got {
		w := batch[i]
		if e.ID != w.ID || !e.Time.Equal(w.Time) || e.Username != w.Username || e.ReadOnly != w.ReadOnly || string(e.Record) != string(w.Record) {
			t.Fatalf("event %d = %+v, want %+v", i, e, w)
		}
	}
}

// testEventsShared checks that events one store appends are seen by another
// on the same database, as on several nodes.
func testEventsShared(t *testing.T, stores []warden.Store) {
	ctx := context.Background()
	for i, s := range stores {
		if err := eventLog(t, s).AppendEvents(ctx, []warden.Event{{ID: fmt.Sprint("n", i), Account: acctA,
			Time: time.Now(), Source: "iam.amazonaws.com", Name: "GetUser", Record: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range stores {
		got, err := eventLog(t, s).LookupEvents(ctx, warden.EventQuery{Account: acctA})
		if err != nil || len(got) != len(stores) {
			t.Errorf("store %d sees %d events (%v), want %d", i, len(got), err, len(stores))
		}
	}
}
