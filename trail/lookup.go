package trail

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

// CloudTrail's error codes for LookupEvents.
const (
	CodeInvalidLookupAttributes warden.Code = "InvalidLookupAttributesException"
	CodeInvalidTimeRange        warden.Code = "InvalidTimeRangeException"
	CodeInvalidNextToken        warden.Code = "InvalidNextTokenException"
	CodeInvalidMaxResults       warden.Code = "InvalidMaxResultsException"
	CodeInvalidEventCategory    warden.Code = "InvalidEventCategoryException"
)

// maxLookup is LookupEvents' largest and default page.
const maxLookup = 50

// lookupWindow is how far back LookupEvents looks without a StartTime: the
// 90 days of CloudTrail's event history.
const lookupWindow = 90 * 24 * time.Hour

// Lookup is the input of LookupEvents.
type Lookup struct {
	Attributes    []Attribute
	StartTime     *time.Time
	EndTime       *time.Time
	EventCategory string
	MaxResults    int
	NextToken     string
}

// Attribute is one LookupAttribute.
type Attribute struct {
	Key   string
	Value string
}

// Page is the result of LookupEvents.
type Page struct {
	Events    []warden.Event
	NextToken string
}

// Authorizer decides access; *authz.Authorizer is one.
type Authorizer interface {
	Authorize(ctx context.Context, p *warden.Principal, req authz.Request) error
}

// Service answers LookupEvents over an EventLog.
type Service struct {
	Log      warden.EventLog
	Authz    Authorizer
	Recorder *Recorder // flushed before each lookup, so a node reads its own events
	Now      func() time.Time
}

var attributes = map[string]warden.EventAttribute{
	"EventId": warden.EventAttrEventID, "EventName": warden.EventAttrEventName, "ReadOnly": warden.EventAttrReadOnly,
	"Username": warden.EventAttrUsername, "ResourceType": warden.EventAttrResourceType,
	"ResourceName": warden.EventAttrResourceName, "EventSource": warden.EventAttrEventSource,
	"AccessKeyId": warden.EventAttrAccessKeyID,
}

// LookupEvents returns the events of p's account that in selects, newest
// first, authorized as cloudtrail:LookupEvents. Errors, with CloudTrail's
// codes: InvalidLookupAttributesException (more than one attribute, an
// unknown key, an empty value), InvalidTimeRangeException (start after end),
// InvalidMaxResultsException, InvalidNextTokenException (a token not from
// the same query), InvalidEventCategoryException, AccessDenied.
func (s *Service) LookupEvents(ctx context.Context, p *warden.Principal, in *Lookup) (*Page, error) {
	if err := s.Authz.Authorize(ctx, p, authz.Request{Action: "cloudtrail:LookupEvents", Resource: "*"}); err != nil {
		return nil, err
	}
	q := warden.EventQuery{Account: p.Account, Limit: maxLookup}
	switch {
	case len(in.Attributes) > 1:
		return nil, warden.Errorf(CodeInvalidLookupAttributes, "You can specify at most one lookup attribute.")
	case len(in.Attributes) == 1:
		a := in.Attributes[0]
		attr, ok := attributes[a.Key]
		if !ok {
			return nil, warden.Errorf(CodeInvalidLookupAttributes, "Invalid attribute key: %s", a.Key)
		}
		if a.Value == "" || len(a.Value) > 2000 {
			return nil, warden.Errorf(CodeInvalidLookupAttributes, "The attribute value must be between 1 and 2000 characters.")
		}
		if attr == warden.EventAttrReadOnly && a.Value != "true" && a.Value != "false" {
			return nil, warden.Errorf(CodeInvalidLookupAttributes, "The value of ReadOnly must be true or false.")
		}
		q.Attribute, q.Value = attr, a.Value
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return nil, warden.Errorf(CodeInvalidEventCategory, "Invalid event category: %s", in.EventCategory)
	}
	if in.EventCategory == "insight" {
		return &Page{}, nil // Warden raises no Insights events
	}
	now := s.Now()
	if in.EndTime != nil {
		q.End = in.EndTime.Add(time.Second) // EndTime is inclusive, at the second
	}
	if in.StartTime != nil {
		q.Start = *in.StartTime
	} else {
		q.Start = now.Add(-lookupWindow)
	}
	if in.StartTime != nil && in.EndTime != nil && in.StartTime.After(*in.EndTime) {
		return nil, warden.Errorf(CodeInvalidTimeRange, "Start time must be before end time.")
	}
	if in.MaxResults < 0 || in.MaxResults > maxLookup {
		return nil, warden.Errorf(CodeInvalidMaxResults, "MaxResults must be between 1 and %d.", maxLookup)
	}
	if in.MaxResults > 0 {
		q.Limit = in.MaxResults
	}
	digest := queryDigest(p.Account, in)
	if in.NextToken != "" {
		t, id, ok := decodeToken(in.NextToken, digest)
		if !ok {
			return nil, warden.Errorf(CodeInvalidNextToken, "Invalid NextToken. The token is not valid for this query.")
		}
		q.AfterTime, q.AfterID = t, id
	}
	// A failed write is logged and counted by the recorder; the lookup
	// answers with what is stored.
	_ = s.Recorder.Flush(context.WithoutCancel(ctx))
	q.Limit++ // one more tells whether there is a next page
	events, err := s.Log.LookupEvents(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &Page{Events: events}
	if len(events) == q.Limit {
		out.Events = events[:q.Limit-1]
		last := out.Events[len(out.Events)-1]
		out.NextToken = encodeToken(last.Time, last.ID, digest)
	}
	return out, nil
}

// queryDigest ties a token to the query it pages through, as CloudTrail
// refuses a token with other parameters.
func queryDigest(account string, in *Lookup) string {
	var b strings.Builder
	b.WriteString(account)
	for _, a := range in.Attributes {
		b.WriteString("\x00" + a.Key + "\x00" + a.Value)
	}
	if in.StartTime != nil {
		b.WriteString("\x00s" + strconv.FormatInt(in.StartTime.UnixNano(), 10))
	}
	if in.EndTime != nil {
		b.WriteString("\x00e" + strconv.FormatInt(in.EndTime.UnixNano(), 10))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

func encodeToken(t time.Time, id, digest string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + ":" + id + ":" + digest))
}

func decodeToken(tok, digest string) (time.Time, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, "", false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[2] != digest || parts[1] == "" {
		return time.Time{}, "", false
	}
	micros, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.UnixMicro(micros).UTC(), parts[1], true
}
