package trail

import (
	"net/url"
	"slices"

	"github.com/warden-iam/warden"
)

// A busy principal makes the same call again and again (GetUser of itself,
// a poller's List*), and such calls' records differ only in eventTime,
// requestID and eventID. Flush renders the first in full and makes the
// rest by copying its record and writing those three over: a copy instead
// of building and escaping every field again. TestRepeatsRenderAsWhole holds
// the copies byte for byte to what rendering in full writes.

// repeatKey is everything about a call that its record depends on besides
// its time, request ID and event ID (and its parameters, compared apart).
type repeatKey struct {
	service, action, region, accessKeyID, errorCode, errorMessage string
	ptype                                                         warden.PrincipalType
	id, arn, account, name, sourceIP, userAgent                   string
	mfa                                                           bool
}

// repeat is the record of a call that later calls may copy.
type repeat struct {
	params     url.Values
	event      warden.Event
	slots      recordSlots
	requestLen int
}

// repeatable reports whether c's record depends only on what repeatKey and
// its query parameters hold (no JSON parameters, no response elements).
func repeatable(c *Call) (repeatKey, bool) {
	if c.JSON != nil || (c.Result != nil && c.ErrorCode == "" && !readOnlyAction(c.Action)) || len(c.Action) > maxEventName {
		return repeatKey{}, false
	}
	p := &c.Principal
	return repeatKey{service: c.Service, action: c.Action, region: c.Region, accessKeyID: c.AccessKeyID,
		errorCode: c.ErrorCode, errorMessage: c.ErrorMessage, ptype: p.Type, id: p.ID, arn: p.ARN, account: p.Account,
		name: p.Name, sourceIP: p.SourceIP, userAgent: p.UserAgent, mfa: p.MFAAuthenticated}, true
}

func sameParams(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

// renderRepeating renders c into *arena, copying the record of an earlier
// call of the same kind in repeats when there is one, and leaving its own
// there for the calls after it.
func (r *Recorder) renderRepeating(c *Call, arena *[]byte, repeats map[repeatKey]*repeat) (warden.Event, error) {
	key, ok := repeatable(c)
	if !ok {
		return r.renderCallInto(c, arena)
	}
	id := r.NewID(c.Time) // once, whichever way the record is made
	if rp := repeats[key]; rp != nil && sameParams(rp.params, c.Params) {
		if e, ok := copyRepeat(rp, c, id, arena); ok {
			return e, nil
		}
	}
	e, slots, err := r.renderCallSlots(c, id, arena)
	if err != nil {
		return e, err
	}
	repeats[key] = &repeat{params: c.Params, event: e, slots: slots, requestLen: len(c.RequestID)}
	return e, nil
}

// copyRepeat makes c's record, with event ID id, from rp's, when c's time,
// request ID and id fit rp's slots exactly (same lengths, nothing to
// escape).
func copyRepeat(rp *repeat, c *Call, id string, arena *[]byte) (warden.Event, bool) {
	sl := rp.slots
	if sl.time < 0 || sl.id < 0 || len(c.RequestID) != rp.requestLen || (c.RequestID != "" && (sl.request < 0 || !asIs(c.RequestID))) {
		return warden.Event{}, false
	}
	var tbuf [len(timeFormat)]byte
	at := c.Time.UTC()
	stamp := at.AppendFormat(tbuf[:0], timeFormat)
	if len(stamp) != len(timeFormat) || len(id) != len(rp.event.ID) || !asIs(id) {
		return warden.Event{}, false
	}
	start := len(*arena)
	*arena = append(*arena, rp.event.Record...)
	rec := (*arena)[start:len(*arena):len(*arena)]
	copy(rec[sl.time:], stamp)
	copy(rec[sl.id:], id)
	copy(rec[max(sl.request, 0):], c.RequestID)
	e := rp.event
	e.ID, e.Time, e.Record = id, at, rec
	return e, true
}
