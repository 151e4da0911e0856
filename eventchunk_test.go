package warden

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestEventChunkRoundTrip(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	events := []Event{
		{ID: "b", Account: "111111111111", Time: base.Add(time.Second), Source: "iam.amazonaws.com", Name: "CreateUser",
			Username: "alice", AccessKeyID: "AKIA1", ResourceType: "AWS::IAM::User", ResourceName: "tab\there\\ and\nnewline",
			Record: []byte(`{"a":"\t\\n"}`)},
		{ID: "a", Account: "111111111111", Time: base, Source: "iam.amazonaws.com", Name: "GetUser", Username: "alice",
			ReadOnly: true, Record: []byte(`{}`)},
		{ID: "c", Account: "111111111111", Time: base, Source: "", Name: "", Username: "bob", Record: []byte(`{"x":1}`)},
		{ID: "d", Account: "222222222222", Time: base, Username: "alice", Record: []byte(`{}`)},
	}
	chunks := ChunkEvents(events)
	if len(chunks) != 3 {
		t.Fatalf("%d chunks, want 3 (by account and user name)", len(chunks))
	}
	if events[0].ID != "b" {
		t.Errorf("ChunkEvents reordered its argument")
	}
	c := chunks[0]
	if c.Account != "111111111111" || c.FirstID != "a" || !c.First.Equal(base) || !c.Last.Equal(base.Add(time.Second)) || len(c.Events) != 2 {
		t.Fatalf("first chunk = %+v", c)
	}
	data, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeChunk(c.Account, data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		w := c.Events[i]
		if e.ID != w.ID || e.Account != w.Account || !e.Time.Equal(w.Time) || e.Source != w.Source || e.Name != w.Name ||
			e.Username != w.Username || e.AccessKeyID != w.AccessKeyID || e.ReadOnly != w.ReadOnly ||
			e.ResourceType != w.ResourceType || e.ResourceName != w.ResourceName || string(e.Record) != string(w.Record) {
			t.Errorf("event %d = %+v, want %+v", i, e, w)
		}
	}
	wantTerms := []string{"AccessKeyId=AKIA1", "EventId=a", "EventId=b", "EventName=CreateUser", "EventName=GetUser",
		"EventSource=iam.amazonaws.com", "ReadOnly=false", "ReadOnly=true", "ResourceName=tab\there\\ and\nnewline",
		"ResourceType=AWS::IAM::User", "Username=alice"}
	if terms := c.Terms(); !slices.Equal(terms, wantTerms) {
		t.Errorf("terms = %q, want %q", terms, wantTerms)
	}
	if _, err := (&EventChunk{Events: []Event{{ID: "n", Record: []byte("{\n}")}}}).Encode(); err == nil {
		t.Error("a record with a newline was encoded")
	}
	for _, bad := range []string{"a\t1\n", "a\t1\tb\n{}\n", "a\tx\t\t\t\t\t0\t\t\n{}\n", "a\t1\t\t\t\t\t0\t\t\t\textra\n{}\n"} {
		if _, err := DecodeChunk("1", []byte(bad)); err == nil {
			t.Errorf("DecodeChunk(%q) succeeded", bad)
		}
	}
}

// TestChunkEventsBounds: a chunk holds at most MaxChunkEvents and spans at
// most MaxChunkSpan.
func TestChunkEventsBounds(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var events []Event
	for i := range 300 {
		events = append(events, Event{ID: string(rune('a'+i%26)) + time.Duration(i).String(), Account: "1", Username: "u",
			Time: base.Add(time.Duration(i) * 50 * time.Millisecond), Record: []byte(`{}`)})
	}
	n := 0
	for _, c := range ChunkEvents(events) {
		n += len(c.Events)
		if len(c.Events) > MaxChunkEvents || c.Last.Sub(c.First) > MaxChunkSpan {
			t.Errorf("chunk of %d events over %v", len(c.Events), c.Last.Sub(c.First))
		}
	}
	if n != len(events) {
		t.Errorf("chunks hold %d events, want %d", n, len(events))
	}
}

// TestEventIDTime: the time of a version 7 UUID, and which IDs are implied
// by their event's time (no EventId posting).
func TestEventIDTime(t *testing.T) {
	at := time.Date(2026, 12, 4, 20, 30, 1, 234_567_000, time.UTC)
	id := "019aeb27-1a72-7abc-8def-0123456789ab"
	got, ok := EventIDTime(id)
	if !ok || got.UnixMilli() != 0x019aeb271a72 {
		t.Fatalf("EventIDTime(%s) = %v, %v", id, got, ok)
	}
	for _, bad := range []string{"", "ev-1", "019aeb27-1a72-4abc-8def-0123456789ab", "019aeb27x1a72-7abc-8def-0123456789ab",
		"019AEB27-1a72-7abc-8def-0123456789ab", "019aeb27-1a72-7abc-8def-0123456789a"} {
		if _, ok := EventIDTime(bad); ok {
			t.Errorf("EventIDTime(%q) accepted", bad)
		}
	}
	ms := at.UnixMilli()
	own := fmt.Sprintf("%08x-%04x-7000-8000-000000000001", ms>>16, ms&0xffff)
	other := fmt.Sprintf("%08x-%04x-7000-8000-000000000002", (ms-1)>>16, (ms-1)&0xffff)
	c := EventChunk{Events: []Event{{ID: own, Time: at}, {ID: other, Time: at}, {ID: "plain", Time: at}}}
	terms := c.Terms()
	if slices.Contains(terms, "EventId="+own) || !slices.Contains(terms, "EventId="+other) || !slices.Contains(terms, "EventId=plain") {
		t.Errorf("terms = %q: want the postings of the IDs not made at their event's millisecond only", terms)
	}
	if prune := c.PruneTerms(); !slices.Contains(prune, "EventId="+own) || len(prune) != len(terms)+1 {
		t.Errorf("prune terms = %q", prune)
	}
}

// TestEventChunkCompressed: a chunk over compressAbove is stored deflated
// and reads back the same; a damaged one is an error, not a panic.
func TestEventChunkCompressed(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var events []Event
	for i := range 40 {
		events = append(events, Event{ID: fmt.Sprintf("id-%03d", i), Account: "1", Time: base.Add(time.Duration(i) * time.Millisecond),
			Source: "iam.amazonaws.com", Name: "GetUser", Username: "u", ReadOnly: true,
			Record: []byte(fmt.Sprintf(`{"eventName":"GetUser","n":%d,"userAgent":"aws-sdk-go-v2/1.39.2 os/linux lang/go#1.26"}`, i))})
	}
	c := ChunkEvents(events)[0]
	data, err := c.EncodeDeflated()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := c.AppendText(nil)
	if data[0] != 0 || len(data) >= len(text)/3 {
		t.Fatalf("stored %d bytes of %d of text, first byte %#x: want it deflated", len(data), len(text), data[0])
	}
	got, err := DecodeChunk("1", data)
	if err != nil || len(got) != len(events) {
		t.Fatalf("decoded %d events, %v", len(got), err)
	}
	for i := range got {
		if got[i].ID != events[i].ID || string(got[i].Record) != string(events[i].Record) || !got[i].Time.Equal(events[i].Time) {
			t.Fatalf("event %d = %+v", i, got[i])
		}
	}
	for _, bad := range [][]byte{{0}, {0, 1, 2, 3}, append([]byte{0}, data[1:len(data)/2]...)} {
		if _, err := DecodeChunk("1", bad); err == nil {
			t.Errorf("a damaged chunk of %d bytes decoded", len(bad))
		}
	}
}

// TestLookupChunksAsksForPostings: a lookup by an attribute reads that
// value's postings, not every chunk; a lookup by a version 7 event ID reads
// its postings and the chunks of its millisecond only.
func TestLookupChunksAsksForPostings(t *testing.T) {
	var asked []ChunkQuery
	read := func(ctx context.Context, q ChunkQuery) ([]StoredChunk, error) {
		asked = append(asked, q)
		return nil, nil
	}
	if _, err := LookupChunks(context.Background(), EventQuery{Account: "1", Attribute: EventAttrUsername, Value: "bob", Limit: 50}, read); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0].Term != "Username=bob" || asked[0].Account != "1" {
		t.Fatalf("asked %+v, want the postings of Username=bob", asked)
	}
	asked = nil
	id := "019aeb27-1a72-7abc-8def-0123456789ab"
	if _, err := LookupChunks(context.Background(), EventQuery{Account: "1", Attribute: EventAttrEventID, Value: id, Limit: 50}, read); err != nil {
		t.Fatal(err)
	}
	at, _ := EventIDTime(id)
	if len(asked) != 2 || asked[0].Term != "EventId="+id || asked[1].Term != "" || !asked[1].MinLast.Equal(at) ||
		!asked[1].MaxFirst.Equal(at.Add(time.Millisecond)) || asked[1].MaxLast.IsZero() {
		t.Fatalf("asked %+v, want the ID's postings, then the chunks of its millisecond", asked)
	}
}

// TestEventChunkSharedRecords: records that share their beginning and end
// with the one before are stored as the part between and read back whole,
// whatever the edit; a damaged one is an error.
func TestEventChunkSharedRecords(t *testing.T) {
	base := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u"},"eventTime":"2026-01-02T03:04:05Z","requestID":"00000000-0000-0000-0000-000000000000","eventID":"e","readOnly":true}`
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var events []Event
	for i := range 100 {
		r := []byte(base)
		switch i % 5 {
		case 1: // one byte in the middle
			r[len(r)/2] = byte('a' + i%26)
		case 2: // longer
			r = append(r[:40:40], append([]byte(fmt.Sprintf(`"x%d":1,`, i)), r[40:]...)...)
		case 3: // shorter
			r = append(r[:30:30], r[50:]...)
		case 4: // the same
		}
		events = append(events, Event{ID: fmt.Sprintf("id-%03d", i), Account: "1", Username: "u", Time: at.Add(time.Duration(i) * time.Millisecond), Record: r})
	}
	c := ChunkEvents(events)[0]
	text, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range events {
		total += len(e.Record)
	}
	if len(text) >= total/2 {
		t.Errorf("%d bytes stored for %d bytes of records: the shared parts were not left out", len(text), total)
	}
	got, err := DecodeChunk("1", text)
	if err != nil || len(got) != len(events) {
		t.Fatalf("%d events, %v", len(got), err)
	}
	for i := range got {
		if string(got[i].Record) != string(c.Events[i].Record) {
			t.Fatalf("record %d = %s, want %s", i, got[i].Record, c.Events[i].Record)
		}
	}
	for _, bad := range []string{"a\t1\t\t\t\t\t0\t\t\n~5,5,x\n", "a\t1\t\t\t\t\t0\t\t\n{}\nb\t1\t\t\t\t\t0\t\t\n~1,9,x\n",
		"a\t1\t\t\t\t\t0\t\t\n{}\nb\t1\t\t\t\t\t0\t\t\n~x,1,\n", "a\t1\t\t\t\t\t0\t\t\n{}\nb\t1\t\t\t\t\t0\t\t\n~1\n"} {
		if _, err := DecodeChunk("1", []byte(bad)); err == nil {
			t.Errorf("DecodeChunk(%q) succeeded", bad)
		}
	}
}
