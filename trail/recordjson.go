package trail

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSON appends the record's JSON, exactly as encoding/json would
// write it (TestAppendJSONMatchesMarshal holds it to that), without
// reflection: every API call is rendered, and reflection was most of what
// rendering cost.
func (r *record) appendJSON(b []byte) ([]byte, error) {
	b, _, err := r.appendJSONSlots(b)
	return b, err
}

// recordSlots are where a record's eventTime, requestID and eventID values
// begin, as offsets from the record's first byte (-1: not there, or not
// written as themselves), so that a record of a call that differs from
// another only in those can be made by copying it and writing them over.
type recordSlots struct{ time, request, id int }

// asIs reports whether s is written in a JSON string as itself.
func asIs(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || !plainASCII[s[i]] {
			return false
		}
	}
	return true
}

// appendJSONSlots is appendJSON, saying where the slots are.
func (r *record) appendJSONSlots(b []byte) ([]byte, recordSlots, error) {
	start := len(b)
	sl := recordSlots{-1, -1, -1}
	slot := func(v string) int {
		if !asIs(v) {
			return -1
		}
		return len(b) - start + 1 // after the opening quote
	}
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, r.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = r.UserIdentity.appendJSON(b)
	b = append(b, `,"eventTime":`...)
	sl.time = slot(r.EventTime)
	b = appendString(b, r.EventTime)
	b = appendField(b, "eventSource", r.EventSource)
	b = appendField(b, "eventName", r.EventName)
	b = appendField(b, "awsRegion", r.AWSRegion)
	b = appendField(b, "sourceIPAddress", r.SourceIPAddress)
	b = appendField(b, "userAgent", r.UserAgent)
	b = appendOmitEmpty(b, "errorCode", r.ErrorCode)
	b = appendOmitEmpty(b, "errorMessage", r.ErrorMessage)
	var err error
	b = append(b, `,"requestParameters":`...)
	if b, err = appendValue(b, r.RequestParameters); err != nil {
		return nil, sl, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendValue(b, r.ResponseElements); err != nil {
		return nil, sl, err
	}
	if len(r.AdditionalEventData) > 0 {
		b = append(b, `,"additionalEventData":`...)
		if b, err = appendValue(b, r.AdditionalEventData); err != nil {
			return nil, sl, err
		}
	}
	if r.RequestID != "" {
		b = append(b, `,"requestID":`...)
		sl.request = slot(r.RequestID)
		b = appendString(b, r.RequestID)
	}
	b = append(b, `,"eventID":`...)
	sl.id = slot(r.EventID)
	b = appendString(b, r.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, r.ReadOnly)
	b = appendField(b, "eventType", r.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, r.ManagementEvent)
	b = appendField(b, "recipientAccountId", r.RecipientAccountID)
	b = appendField(b, "eventCategory", r.EventCategory)
	return append(b, '}'), sl, nil
}

func (id *identity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, id.Type)
	b = appendOmitEmpty(b, "principalId", id.PrincipalID)
	b = appendOmitEmpty(b, "arn", id.ARN)
	b = appendOmitEmpty(b, "accountId", id.AccountID)
	b = appendOmitEmpty(b, "accessKeyId", id.AccessKeyID)
	b = appendOmitEmpty(b, "userName", id.UserName)
	if sc := id.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			b = append(b, `"sessionIssuer":{"type":`...)
			b = appendString(b, si.Type)
			b = appendField(b, "principalId", si.PrincipalID)
			b = appendField(b, "arn", si.ARN)
			b = appendField(b, "accountId", si.AccountID)
			b = appendField(b, "userName", si.UserName)
			b = append(b, "},"...)
		}
		b = append(b, `"attributes":{`...)
		if sc.Attributes.CreationDate != "" {
			b = append(b, `"creationDate":`...)
			b = appendString(b, sc.Attributes.CreationDate)
			b = append(b, ',')
		}
		b = append(b, `"mfaAuthenticated":`...)
		b = appendString(b, sc.Attributes.MFAAuthenticated)
		b = append(b, "}}"...)
	}
	return append(b, '}')
}

// appendField appends ,"name":"value".
func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

// appendOmitEmpty appends the field unless value is empty (omitempty).
func appendOmitEmpty(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendField(b, name, value)
}

// appendValue appends the JSON of the values requestParameters and
// responseElements are made of; anything else goes through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendValue(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

const hexDigits = "0123456789abcdef"

// plainASCII says which ASCII bytes a JSON string holds as themselves.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string as encoding/json escapes it:
// quotes, backslashes and control characters; <, > and & as \u escapes
// (HTML-safe); invalid UTF-8 as U+FFFD; U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
