package warden

import (
	"context"
	"encoding/json"
	"time"
)

// Event is one entry of the event history: a CloudTrail event record (the
// JSON in Record) with the fields LookupEvents filters on pulled out beside
// it. Record never holds a secret: the recorder redacts them before an Event
// exists.
type Event struct {
	ID          string // eventID, a UUID
	Account     string // recipientAccountId
	Time        time.Time
	Source      string // eventSource, e.g. iam.amazonaws.com
	Name        string // eventName, e.g. CreateUser
	Username    string // the caller's user name, role session name or "root"
	AccessKeyID string
	ReadOnly    bool
	// ResourceType and ResourceName are the resource the event acted on
	// (AWS::IAM::User, alice), when there is one.
	ResourceType string
	ResourceName string
	Record       json.RawMessage
}

// EventAttribute is a LookupEvents attribute: the field to match and the
// value it must equal.
type EventAttribute string

// The attributes LookupEvents can filter on, as CloudTrail names them.
const (
	EventAttrEventID      EventAttribute = "EventId"
	EventAttrEventName    EventAttribute = "EventName"
	EventAttrReadOnly     EventAttribute = "ReadOnly"
	EventAttrUsername     EventAttribute = "Username"
	EventAttrResourceType EventAttribute = "ResourceType"
	EventAttrResourceName EventAttribute = "ResourceName"
	EventAttrEventSource  EventAttribute = "EventSource"
	EventAttrAccessKeyID  EventAttribute = "AccessKeyId"
)

// EventQuery selects events of an account, newest first.
type EventQuery struct {
	Account string // "" selects the events of every account (for export)
	// Events with Start <= Time < End; a zero bound is open.
	Start, End time.Time
	// Attribute and Value, when Attribute is set, must match.
	Attribute EventAttribute
	Value     string
	// After, when set, resumes after the event at (AfterTime, AfterID) of
	// an earlier page.
	AfterTime time.Time
	AfterID   string
	Limit     int
	// Oldest lists oldest first instead (for export).
	Oldest bool
}

// EventLog is where the event history is kept. The SQLite and PostgreSQL
// stores implement it beside Store; it is written in batches, never inside
// an Update.
type EventLog interface {
	// AppendEvents stores events; a batch stored already (the same events
	// again, as the recorder retries a write that failed) is skipped.
	AppendEvents(ctx context.Context, events []Event) error
	// LookupEvents returns the events q selects, up to q.Limit.
	LookupEvents(ctx context.Context, q EventQuery) ([]Event, error)
	// PruneEvents deletes events older than before and says how many.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}
