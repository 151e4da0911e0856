package warden

import (
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The event history is stored in chunks: the events of one account and one
// user name from one batch, in time order, encoded together in one row.
// Writing a row per event with an index entry per LookupEvents attribute cost
// more CPU than the request it recorded left over (eleven b-tree inserts per
// event, most of them in the middle of an index); a chunk is one row, and
// each of its distinct attribute values one posting, so a busy principal's
// hundred GetUser calls cost one row and a handful of postings. An event ID
// the recorder made (a version 7 UUID of the event's millisecond) needs no
// posting of its own: the chunks of that millisecond are found by time.
//
// A posting says "chunk seq of account holds events with this term, between
// first and last". LookupChunks walks postings (or, without an attribute,
// chunks) newest first, decodes the chunks and filters their events; since a
// chunk spans at most MaxChunkSpan, it knows when no chunk still unread can
// hold a newer event than those it has.
const (
	// MaxChunkEvents is the most events a chunk holds.
	MaxChunkEvents = 128
	// MaxChunkSpan is the most time between a chunk's first and last event.
	MaxChunkSpan = 10 * time.Second
)

// EventChunk is a chunk of events to store: one account's, sorted by time
// then ID.
type EventChunk struct {
	Account     string
	FirstID     string // the ID of its first event: a retried batch makes the same chunks
	First, Last time.Time
	Events      []Event
}

// StoredChunk is a chunk as a store returns it.
type StoredChunk struct {
	Account string
	Seq     int64
	Last    time.Time // the time of its last event
	Data    []byte
}

// ChunkQuery asks a store for chunks (or, with Term, for the chunks holding
// Term) of Account ("" for every account) whose last event is within
// [MinLast, MaxLast] and whose first is at or before MaxFirst (each bound
// ignored when zero), ordered by last event time then Seq, descending unless
// Ascending, resuming after (AfterLast, AfterSeq) when AfterSeq is set.
type ChunkQuery struct {
	Account          string
	Term             string
	MinLast, MaxLast time.Time
	MaxFirst         time.Time
	AfterLast        time.Time
	AfterSeq         int64
	Ascending        bool
	Limit            int
}

// ChunkReader reads chunks from a store.
type ChunkReader func(ctx context.Context, q ChunkQuery) ([]StoredChunk, error)

// EventTerm is the posting term of an attribute's value. ReadOnly is
// "true" or "false" whatever the case asked.
func EventTerm(attr EventAttribute, value string) string {
	if attr == EventAttrReadOnly {
		value = strconv.FormatBool(strings.EqualFold(value, "true"))
	}
	return string(attr) + "=" + value
}

// eventTerms calls add with the terms of e: one per attribute with a
// value (event ID, name, read-only and source always).
func eventTerms(e *Event, add func(EventAttribute, string)) {
	add(EventAttrEventID, e.ID)
	add(EventAttrEventName, e.Name)
	add(EventAttrReadOnly, strconv.FormatBool(e.ReadOnly))
	add(EventAttrEventSource, e.Source)
	for _, f := range [...]struct {
		attr  EventAttribute
		value string
	}{{EventAttrUsername, e.Username}, {EventAttrAccessKeyID, e.AccessKeyID},
		{EventAttrResourceType, e.ResourceType}, {EventAttrResourceName, e.ResourceName}} {
		if f.value != "" {
			add(f.attr, f.value)
		}
	}
}

// idImplied reports whether e's ID is found from its time: a version 7
// UUID made at the event's millisecond, as the recorder makes them. Such an
// event has no EventId posting; LookupChunks finds it among the chunks of
// that millisecond.
func idImplied(e *Event) bool {
	t, ok := EventIDTime(e.ID)
	return ok && t.UnixMilli() == e.Time.UnixMilli()
}

// EventIDTime returns the time a version 7 UUID carries (its first 48 bits,
// Unix milliseconds), and whether id is one.
func EventIDTime(id string) (time.Time, bool) {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' || id[18] != '-' || id[23] != '-' {
		return time.Time{}, false
	}
	var ms int64
	for _, c := range id[:8] + id[9:13] {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		default:
			return time.Time{}, false
		}
		ms = ms<<4 | d
	}
	return time.UnixMilli(ms).UTC(), true
}

// PruneTerms returns the postings a store deletes with the chunk: its terms
// and the EventId term of every event, which an event migrated from an
// older store has whether or not its ID is implied.
func (c *EventChunk) PruneTerms() []string {
	out := c.Terms()
	for i := range c.Events {
		if idImplied(&c.Events[i]) {
			out = append(out, EventTerm(EventAttrEventID, c.Events[i].ID))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Terms returns the distinct terms of the chunk's events, sorted. The
// events of a chunk mostly repeat one another's values, so each value is
// looked for among the few already seen before a term is made of it.
func (c *EventChunk) Terms() []string {
	type seen struct {
		attr  EventAttribute
		value string
	}
	var vals []seen
	out := make([]string, 0, len(c.Events)+8)
	for i := range c.Events {
		eventTerms(&c.Events[i], func(attr EventAttribute, v string) {
			if attr == EventAttrEventID {
				if !idImplied(&c.Events[i]) {
					out = append(out, EventTerm(attr, v)) // distinct: IDs are unique
				}
				return
			}
			for j := len(vals) - 1; j >= 0; j-- {
				if vals[j].attr == attr && vals[j].value == v {
					return
				}
			}
			vals = append(vals, seen{attr, v})
			out = append(out, EventTerm(attr, v))
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// eventOrder orders events newest first, or oldest first.
func eventOrder(oldest bool) func(a, b Event) int {
	if oldest {
		return func(a, b Event) int { return eventLess(&a, &b) }
	}
	return func(a, b Event) int { return eventLess(&b, &a) }
}

func eventLess(a, b *Event) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ChunkEvents groups a batch into chunks: by account and user name, in time
// order, at most MaxChunkEvents and MaxChunkSpan each. The same batch always
// makes the same chunks.
func ChunkEvents(events []Event) []EventChunk {
	events = slices.Clone(events)
	for i := range events {
		events[i].Time = events[i].Time.UTC().Truncate(time.Microsecond)
	}
	slices.SortFunc(events, func(a, b Event) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(a.Username, b.Username), eventLess(&a, &b))
	})
	var out []EventChunk
	start := 0
	for i := 1; i <= len(events); i++ {
		if i < len(events) {
			first, e := &events[start], &events[i]
			if e.Account == first.Account && e.Username == first.Username && i-start < MaxChunkEvents &&
				e.Time.Sub(first.Time) <= MaxChunkSpan {
				continue
			}
		}
		es := events[start:i:i]
		out = append(out, EventChunk{Account: es[0].Account, FirstID: es[0].ID, First: es[0].Time, Last: es[len(es)-1].Time, Events: es})
		start = i
	}
	return out
}

// The encoding of a chunk: per event a header line of tab-separated fields
// (ID, time in Unix microseconds, source, name, user name, access key ID,
// read-only 1 or 0, resource type, resource name), then the record on a line
// of its own. Tabs, newlines and backslashes in fields are escaped; records
// are compact JSON, which holds no raw newline. A line format, so that a SQL
// migration can write it from the older one-row-per-event table.
var fieldEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)

// A chunk can be stored compressed (EncodeDeflated): a zero byte (no text
// chunk starts with one), then the text as raw DEFLATE at flate.BestSpeed.
// The events of a chunk repeat one another (same user, same calls), so a busy
// chunk shrinks tenfold and more, for about a microsecond and a half an
// event. PostgreSQL takes it: the bytes it is spared (sent, TOASTed, logged)
// cost more than that. SQLite does not: its WAL writes cost less than the
// compression (measured under the GetUser load, docs/performance.md).
const compressAbove = 1024

// maxChunkText bounds the text a compressed chunk may inflate to.
const maxChunkText = 64 << 20

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestSpeed)
		return w
	}}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// Encode returns the chunk's stored form, as text.
func (c *EventChunk) Encode() ([]byte, error) { return c.AppendText(nil) }

// EncodeDeflated returns the chunk's stored form, compressed when it is
// over compressAbove bytes.
func (c *EventChunk) EncodeDeflated() ([]byte, error) {
	text, err := c.AppendText(nil)
	if err != nil || len(text) <= compressAbove {
		return text, err
	}
	var out bytes.Buffer
	out.Grow(len(text)/4 + 64)
	out.WriteByte(0)
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&out)
	if _, err := w.Write(text); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// AppendText appends the chunk's text form to dst (a store reuses one
// buffer for the chunks of a batch).
func (c *EventChunk) AppendText(dst []byte) ([]byte, error) {
	size := 0
	for i := range c.Events {
		e := &c.Events[i]
		size += len(e.Record) + len(e.ID) + len(e.Source) + len(e.Name) + len(e.Username) + len(e.AccessKeyID) +
			len(e.ResourceType) + len(e.ResourceName) + 40
	}
	b := slices.Grow(dst, size)
	var prev []byte
	field := func(f string) {
		if strings.ContainsAny(f, "\\\t\n") {
			f = fieldEscaper.Replace(f)
		}
		b = append(b, f...)
		b = append(b, '\t')
	}
	for i := range c.Events {
		e := &c.Events[i]
		if bytes.IndexByte(e.Record, '\n') >= 0 {
			return nil, fmt.Errorf("warden: event %s: record holds a newline", e.ID)
		}
		field(e.ID)
		b = strconv.AppendInt(b, e.Time.UnixMicro(), 10)
		b = append(b, '\t')
		field(e.Source)
		field(e.Name)
		field(e.Username)
		field(e.AccessKeyID)
		if e.ReadOnly {
			b = append(b, '1', '\t')
		} else {
			b = append(b, '0', '\t')
		}
		field(e.ResourceType)
		field(e.ResourceName)
		b[len(b)-1] = '\n'
		b = appendRecord(b, prev, e.Record)
		b = append(b, '\n')
		prev = e.Record
	}
	return b, nil
}

// A record that shares a long beginning and end with the one before it in
// its chunk (the calls of one user, a second apart, differ in their time
// and IDs) is stored as "~P,S," and the part between: the first P bytes of
// the record before, that part, then its last S bytes. Records are JSON
// objects (they start with "{"), so the two forms cannot be mistaken.
const minShared = 64

func appendRecord(b, prev, rec []byte) []byte {
	p := 0
	for p < len(prev) && p < len(rec) && prev[p] == rec[p] {
		p++
	}
	q := 0
	for q < len(prev)-p && q < len(rec)-p && prev[len(prev)-1-q] == rec[len(rec)-1-q] {
		q++
	}
	if p+q < minShared {
		return append(b, rec...)
	}
	b = append(b, '~')
	b = strconv.AppendInt(b, int64(p), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(q), 10)
	b = append(b, ',')
	return append(b, rec[p:len(rec)-q]...)
}

// readRecord undoes appendRecord.
func readRecord(line, prev []byte) ([]byte, error) {
	if len(line) == 0 || line[0] != '~' {
		return line, nil
	}
	rest := line[1:]
	num := func() (int, bool) {
		i := bytes.IndexByte(rest, ',')
		if i < 0 {
			return 0, false
		}
		n, err := strconv.Atoi(string(rest[:i]))
		rest = rest[i+1:]
		return n, err == nil && n >= 0
	}
	p, ok1 := num()
	q, ok2 := num()
	if !ok1 || !ok2 || p+q > len(prev) {
		return nil, errBadChunk
	}
	rec := make([]byte, 0, p+len(rest)+q)
	rec = append(rec, prev[:p]...)
	rec = append(rec, rest...)
	return append(rec, prev[len(prev)-q:]...), nil
}

var errBadChunk = errors.New("warden: malformed event chunk")

// inflate returns the text of a compressed chunk.
func inflate(data []byte) ([]byte, error) {
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(data), nil); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(8 * len(data))
	if _, err := out.ReadFrom(io.LimitReader(r, maxChunkText+1)); err != nil {
		return nil, errBadChunk
	}
	if out.Len() > maxChunkText {
		return nil, errBadChunk
	}
	return out.Bytes(), nil
}

// DecodeChunk returns the events of a stored chunk of account. The records
// share data.
func DecodeChunk(account string, data []byte) ([]Event, error) {
	if len(data) > 0 && data[0] == 0 {
		var err error
		if data, err = inflate(data[1:]); err != nil {
			return nil, err
		}
	}
	var out []Event
	var fields [9]string
	var prev []byte
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return nil, errBadChunk
		}
		header := data[:nl]
		data = data[nl+1:]
		if nl = bytes.IndexByte(data, '\n'); nl < 0 {
			return nil, errBadChunk
		}
		record, err := readRecord(data[:nl:nl], prev)
		if err != nil {
			return nil, err
		}
		prev = record
		data = data[nl+1:]
		for n := range fields {
			f := header
			if tab := bytes.IndexByte(header, '\t'); tab >= 0 {
				f, header = header[:tab], header[tab+1:]
			} else if n != len(fields)-1 {
				return nil, errBadChunk
			} else {
				header = nil
			}
			fields[n] = unescapeField(f)
		}
		if header != nil {
			return nil, errBadChunk // more fields than an event has
		}
		micros, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return nil, errBadChunk
		}
		out = append(out, Event{ID: fields[0], Account: account, Time: time.UnixMicro(micros).UTC(), Source: fields[2],
			Name: fields[3], Username: fields[4], AccessKeyID: fields[5], ReadOnly: fields[6] == "1",
			ResourceType: fields[7], ResourceName: fields[8], Record: record})
	}
	return out, nil
}

func unescapeField(f []byte) string {
	if bytes.IndexByte(f, '\\') < 0 {
		return string(f)
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '\\' && i+1 < len(f) {
			i++
			switch f[i] {
			case 't':
				c = '\t'
			case 'n':
				c = '\n'
			default:
				c = f[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// chunkPage is how many chunks LookupChunks asks for at a time.
const chunkPage = 16

// LookupChunks answers q from the chunks read returns: the events q
// selects, newest first (oldest first with q.Oldest), at most q.Limit (all
// of them when it is 0). An event ID is looked for among its postings and,
// when it is a version 7 UUID, among the chunks of its millisecond.
func LookupChunks(ctx context.Context, q EventQuery, read ChunkReader) ([]Event, error) {
	if q.Attribute != EventAttrEventID {
		term := ""
		if q.Attribute != "" {
			term = EventTerm(q.Attribute, q.Value)
		}
		return lookupChunks(ctx, q, term, read)
	}
	found, err := lookupChunks(ctx, q, EventTerm(EventAttrEventID, q.Value), read)
	if err != nil {
		return nil, err
	}
	if t, ok := EventIDTime(q.Value); ok {
		// The chunks holding that millisecond: the time range narrowed to it.
		at := q
		from, to := t, t.Add(time.Millisecond)
		if at.Start.IsZero() || at.Start.Before(from) {
			at.Start = from
		}
		if at.End.IsZero() || at.End.After(to) {
			at.End = to
		}
		more, err := lookupChunks(ctx, at, "", read)
		if err != nil {
			return nil, err
		}
		for _, e := range more {
			if !slices.ContainsFunc(found, func(f Event) bool { return f.ID == e.ID && f.Account == e.Account }) {
				found = append(found, e)
			}
		}
		slices.SortFunc(found, eventOrder(q.Oldest))
		if q.Limit > 0 && len(found) > q.Limit {
			found = found[:q.Limit]
		}
	}
	return found, nil
}

// lookupChunks answers q from the postings of term ("": from the chunks).
func lookupChunks(ctx context.Context, q EventQuery, term string, read ChunkReader) ([]Event, error) {
	cq := ChunkQuery{Account: q.Account, Ascending: q.Oldest, Limit: chunkPage, Term: term}
	after := Event{Time: q.AfterTime.UTC(), ID: q.AfterID}
	// Bounds on the chunks that can hold a selected event: its last event
	// is at or after the earliest selectable time, and its first at or
	// before the latest.
	lo, hi := q.Start, q.End
	if q.AfterID != "" {
		if q.Oldest && (lo.IsZero() || after.Time.After(lo)) {
			lo = after.Time
		}
		if !q.Oldest && (hi.IsZero() || !after.Time.After(hi)) {
			hi = after.Time.Add(time.Microsecond) // the cursor's own instant still holds smaller IDs
		}
	}
	cq.MinLast = lo
	if !hi.IsZero() {
		cq.MaxFirst = hi
		cq.MaxLast = hi.Add(MaxChunkSpan)
	}
	want := q.Value // the attribute's value as eventTerms gives it
	if q.Attribute == EventAttrReadOnly {
		want = strconv.FormatBool(strings.EqualFold(q.Value, "true"))
	}
	selected := func(e *Event) bool {
		switch {
		case q.Account != "" && e.Account != q.Account,
			!q.Start.IsZero() && e.Time.Before(q.Start),
			!q.End.IsZero() && !e.Time.Before(q.End):
			return false
		case q.AfterID != "" && q.Oldest && eventLess(e, &after) <= 0,
			q.AfterID != "" && !q.Oldest && eventLess(e, &after) >= 0:
			return false
		}
		if q.Attribute == "" {
			return true
		}
		match := false
		eventTerms(e, func(attr EventAttribute, v string) { match = match || (attr == q.Attribute && v == want) })
		return match
	}
	order := eventOrder(q.Oldest)
	var found []Event
	for {
		chunks, err := read(ctx, cq)
		if err != nil {
			return nil, err
		}
		for _, c := range chunks {
			// Every event of this chunk and of those after it is at or
			// before its last (oldest first: at or after its last minus
			// the span); once Limit events beat that, the rest cannot win.
			if q.Limit > 0 && len(found) >= q.Limit {
				slices.SortFunc(found, order)
				found = found[:q.Limit]
				edge := found[q.Limit-1].Time
				if last := c.Last; (!q.Oldest && last.Before(edge)) || (q.Oldest && last.Add(-MaxChunkSpan).After(edge)) {
					return found, nil
				}
			}
			events, err := DecodeChunk(c.Account, c.Data)
			if err != nil {
				return nil, fmt.Errorf("%w (chunk %d of %s)", err, c.Seq, c.Account)
			}
			for i := range events {
				if selected(&events[i]) {
					found = append(found, events[i])
				}
			}
			cq.AfterLast, cq.AfterSeq = c.Last, c.Seq
		}
		if len(chunks) < cq.Limit {
			break
		}
	}
	slices.SortFunc(found, order)
	if q.Limit > 0 && len(found) > q.Limit {
		found = found[:q.Limit]
	}
	return found, nil
}

// PrunedChunk is what pruning does with a stored chunk: delete its postings
// (Terms) and its row, count Pruned events older than the cutoff, and store
// Keep, the newer rest, again as chunks of their own.
type PrunedChunk struct {
	Account   string
	Seq, Last int64 // the chunk's seq and last time (Unix microseconds), as stored
	Terms     []string
	Pruned    int64
	Keep      []Event
}

// PruneChunk decodes a stored chunk and says what pruning at before does
// with it.
func PruneChunk(account string, seq, last int64, data []byte, before time.Time) (PrunedChunk, error) {
	events, err := DecodeChunk(account, data)
	if err != nil {
		return PrunedChunk{}, err
	}
	c := EventChunk{Events: events}
	p := PrunedChunk{Account: account, Seq: seq, Last: last, Terms: c.PruneTerms()}
	for _, e := range events {
		if e.Time.Before(before) {
			p.Pruned++
		} else {
			p.Keep = append(p.Keep, e)
		}
	}
	return p, nil
}
