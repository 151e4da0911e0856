package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// v7ID is a version 7 UUID of the millisecond of t, made unique by n.
func v7ID(t time.Time, n int) string {
	ms := t.UnixMilli()
	return fmt.Sprintf("%08x-%04x-7%03x-8000-%012x", ms>>16, ms&0xffff, n&0xfff, n)
}

// modelQuery is what LookupEvents must answer for q over events: a filter
// and a sort of them all.
func modelQuery(events []warden.Event, q warden.EventQuery) []string {
	var out []warden.Event
	for _, e := range events {
		if q.Account != "" && e.Account != q.Account || !q.Start.IsZero() && e.Time.Before(q.Start) ||
			!q.End.IsZero() && !e.Time.Before(q.End) {
			continue
		}
		if q.AfterID != "" {
			c := e.Time.Compare(q.AfterTime)
			if c == 0 {
				c = strings.Compare(e.ID, q.AfterID)
			}
			if q.Oldest && c <= 0 || !q.Oldest && c >= 0 {
				continue
			}
		}
		if q.Attribute != "" {
			v := map[warden.EventAttribute]string{warden.EventAttrEventID: e.ID, warden.EventAttrEventName: e.Name,
				warden.EventAttrReadOnly: strconv.FormatBool(e.ReadOnly), warden.EventAttrUsername: e.Username,
				warden.EventAttrAccessKeyID: e.AccessKeyID, warden.EventAttrEventSource: e.Source,
				warden.EventAttrResourceType: e.ResourceType, warden.EventAttrResourceName: e.ResourceName}[q.Attribute]
			want := q.Value
			if q.Attribute == warden.EventAttrReadOnly {
				want = strconv.FormatBool(strings.EqualFold(want, "true"))
			}
			if v != want {
				continue
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b warden.Event) int {
		c := a.Time.Compare(b.Time)
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if !q.Oldest {
			c = -c
		}
		return c
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return ids(out)
}

// testEventsAgainstModel stores thousands of events of several accounts and
// users over a few minutes, in batches as the recorder writes them (times
// out of order within a batch, instants shared by several events, a user
// busy enough to fill many chunks), and checks every kind of query, paged
// both ways to the end, against a filter and sort of the events in memory;
// then prunes at an instant in the middle of chunks and checks again.
func testEventsAgainstModel(t *testing.T, s warden.Store) {
	ctx := context.Background()
	l := eventLog(t, s)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	users := []string{"alice", "bob", "carol", "dave", ""}
	var all []warden.Event
	for b := range 12 {
		var batch []warden.Event
		for i := range 400 {
			u := users[rng.IntN(len(users))]
			if i%3 == 0 {
				u = "alice" // busy: several chunks per batch
			}
			at := base.Add(time.Duration(b)*20*time.Second + time.Duration(rng.IntN(25_000))*time.Millisecond)
			if i%17 == 0 && len(batch) > 0 {
				at = batch[len(batch)-1].Time // an instant shared
			}
			acct := acctA
			if i%11 == 0 {
				acct = acctB
			}
			id := fmt.Sprintf("m-%02d-%04d", b, rng.IntN(10000)) + strconv.Itoa(i)
			switch i % 3 {
			case 1: // as the recorder makes them: found from the time
				id = v7ID(at, b*1000+i)
			case 2: // a version 7 ID of another instant, as a migrated event has
				id = v7ID(at.Add(-1500*time.Millisecond), b*1000+i)
			}
			e := warden.Event{ID: id, Account: acct, Time: at,
				Source: "iam.amazonaws.com", Name: "GetUser", Username: u, AccessKeyID: "AKIA" + strings.ToUpper(u),
				ReadOnly: true, Record: []byte(fmt.Sprintf(`{"n":%d,"tab":"\t"}`, i))}
			if i%5 == 0 {
				e.Name, e.ReadOnly, e.ResourceType, e.ResourceName = "CreateUser", false, "AWS::IAM::User", "u\tx\\"+strconv.Itoa(i%4)
			}
			if i%7 == 0 {
				e.Source = "sts.amazonaws.com"
			}
			batch = append(batch, e)
		}
		if err := l.AppendEvents(ctx, batch); err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
	}
	queries := []warden.EventQuery{
		{Account: acctA},
		{Account: acctB},
		{Account: acctA, Oldest: true},
		{Account: acctA, Attribute: warden.EventAttrUsername, Value: "alice"},
		{Account: acctA, Attribute: warden.EventAttrUsername, Value: "bob", Oldest: true},
		{Account: acctA, Attribute: warden.EventAttrReadOnly, Value: "FALSE"},
		{Account: acctA, Attribute: warden.EventAttrEventSource, Value: "sts.amazonaws.com"},
		{Account: acctA, Attribute: warden.EventAttrResourceName, Value: "u\tx\\3"},
		{Account: acctA, Attribute: warden.EventAttrEventID, Value: all[1234].ID},
		{Account: acctA, Attribute: warden.EventAttrEventID, Value: all[1235].ID},
		{Account: acctA, Attribute: warden.EventAttrEventID, Value: all[1236].ID},
		{Account: acctA, Attribute: warden.EventAttrEventID, Value: all[1237].ID, Start: all[1237].Time.Add(time.Millisecond)},
		{Account: acctA, Attribute: warden.EventAttrAccessKeyID, Value: "AKIADAVE", Start: base.Add(40 * time.Second), End: base.Add(130 * time.Second)},
		{Account: acctA, Start: base.Add(61 * time.Second), End: base.Add(62 * time.Second)},
		{Start: base.Add(100 * time.Second), End: base.Add(105 * time.Second), Oldest: true},
	}
	check := func(t *testing.T) {
		for qi, q := range queries {
			t.Run(strconv.Itoa(qi), func(t *testing.T) {
				whole, err := l.LookupEvents(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := ids(whole), modelQuery(all, q); !slices.Equal(got, want) {
					t.Fatalf("%+v: %d events, want %d (first %v, want %v)", q, len(got), len(want), first(got), first(want))
				}
				for i := range whole {
					if whole[i].Account == "" || len(whole[i].Record) == 0 {
						t.Fatalf("event %+v lacks its account or record", whole[i])
					}
				}
				// Paged by 50 with the cursor of each page's last event.
				var paged []string
				p := q
				p.Limit = 50
				for range 1000 {
					page, err := l.LookupEvents(ctx, p)
					if err != nil {
						t.Fatal(err)
					}
					if want := modelQuery(all, p); !slices.Equal(ids(page), want) {
						t.Fatalf("page after %s: %v, want %v", p.AfterID, first(ids(page)), first(want))
					}
					paged = append(paged, ids(page)...)
					if len(page) < p.Limit {
						break
					}
					last := page[len(page)-1]
					p.AfterTime, p.AfterID = last.Time, last.ID
				}
				if !slices.Equal(paged, ids(whole)) {
					t.Fatalf("paged %d events, whole %d", len(paged), len(whole))
				}
			})
		}
	}
	t.Run("stored", check)
	cut := base.Add(70*time.Second + 500*time.Millisecond)
	n, err := l.PruneEvents(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	var kept []warden.Event
	for _, e := range all {
		if !e.Time.Before(cut) {
			kept = append(kept, e)
		}
	}
	if int(n) != len(all)-len(kept) {
		t.Fatalf("PruneEvents = %d, want %d", n, len(all)-len(kept))
	}
	all = kept
	t.Run("pruned", check)
}

// EventChunksMigrationVersion is the migration that moved the event history
// from a row per event into chunks.
const EventChunksMigrationVersion = 70

// OldEvent is an event as the one-row-per-event table of a Warden before
// EventChunksMigrationVersion held it; InsertOldEvents makes the INSERT of
// such rows for a store (its placeholders and types differ).
type OldEvent = warden.Event

// RunEventChunksMigration checks that the event chunks migration carries
// every event of the older table over with all its fields, so that every
// lookup answers as before: open opens a store on one database (the test
// closes it); downgrade, run while no store is open, must turn the database
// into one written before the migration holding events (the old table, the
// old events in it, no record of the migration).
func RunEventChunksMigration(t *testing.T, open func(t *testing.T) warden.Store, downgrade func(t *testing.T, events []OldEvent)) {
	base := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	var old []OldEvent
	for i := range 300 {
		e := OldEvent{ID: fmt.Sprintf("old-%04d", i), Account: acctA, Time: base.Add(time.Duration(i%97) * 1500 * time.Millisecond),
			Source: "iam.amazonaws.com", Name: "GetUser", Username: []string{"alice", "bob", ""}[i%3], AccessKeyID: "AKIAOLD",
			ReadOnly: i%4 != 0, Record: []byte(fmt.Sprintf(`{"eventID":"old-%04d","x":"a\tb"}`, i))}
		if i%4 == 0 {
			e.Name, e.ResourceType, e.ResourceName = "CreateUser", "AWS::IAM::User", fmt.Sprintf("weird\tname\\%d\n", i%3)
		}
		if i%10 == 0 {
			e.Account = acctB
		}
		old = append(old, e)
	}
	s := open(t)
	s.Close()
	downgrade(t, old)
	s = open(t)
	defer s.Close()
	l := eventLog(t, s)
	ctx := context.Background()
	for _, q := range []warden.EventQuery{
		{Account: acctA},
		{Account: acctB, Oldest: true},
		{Account: acctA, Attribute: warden.EventAttrUsername, Value: "bob"},
		{Account: acctA, Attribute: warden.EventAttrResourceName, Value: "weird\tname\\1\n"},
		{Account: acctA, Attribute: warden.EventAttrReadOnly, Value: "false", Limit: 7},
		{Account: acctA, Attribute: warden.EventAttrEventID, Value: "old-0123"},
		{Account: acctA, Attribute: warden.EventAttrAccessKeyID, Value: "AKIAOLD", Start: base.Add(time.Minute)},
	} {
		got, err := l.LookupEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := modelQuery(old, q); !slices.Equal(ids(got), want) || len(want) == 0 {
			t.Errorf("%+v after the migration: %v, want %v", q, first(ids(got)), first(want))
		}
		byID := map[string]warden.Event{}
		for _, e := range old {
			byID[e.ID] = e
		}
		for _, e := range got {
			w := byID[e.ID]
			if e.Account != w.Account || !e.Time.Equal(w.Time) || e.Source != w.Source || e.Name != w.Name || e.Username != w.Username ||
				e.AccessKeyID != w.AccessKeyID || e.ReadOnly != w.ReadOnly || e.ResourceType != w.ResourceType ||
				e.ResourceName != w.ResourceName || string(e.Record) != string(w.Record) {
				t.Fatalf("migrated event %+v, want %+v", e, w)
			}
		}
	}
	// New events go on beside the migrated ones.
	if err := l.AppendEvents(ctx, []warden.Event{{ID: "new-1", Account: acctA, Time: base.Add(time.Hour), Source: "iam.amazonaws.com",
		Name: "GetUser", Record: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	if got, err := l.LookupEvents(ctx, warden.EventQuery{Account: acctA, Limit: 2}); err != nil || len(got) != 2 || got[0].ID != "new-1" {
		t.Errorf("newest after the migration: %v, %v", ids(got), err)
	}
}
