package trail

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// checkSameJSON fails unless appendJSON writes exactly what encoding/json
// writes for rec.
func checkSameJSON(t *testing.T, rec *record) {
	t.Helper()
	want, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rec.appendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("appendJSON:\n%s\nencoding/json:\n%s", got, want)
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	weird := "q\"b\\s/<>&\t\n\r\b\f\x01\x1f é \u2028\u2029 \xff\xfe 😀"
	role := &warden.Principal{Type: warden.PrincipalAssumedRole, Account: "123456789012", Name: "s",
		ID: "AROAEXAMPLE:s", ARN: "arn:aws:sts::123456789012:assumed-role/r/s", MFAAuthenticated: true}
	user := &warden.Principal{Type: warden.PrincipalUser, Account: "123456789012", Name: weird, ID: "AIDA", ARN: "arn"}
	calls := []*Call{
		secretCall("123456789012", at),
		getUserCall("123456789012", at),
		{Time: at, Service: "sts", Action: "AssumeRole", Principal: *role, Params: url.Values{"RoleArn": {weird}}},
		{Time: at, Service: "iam", Action: "CreateUser" + weird, Principal: *user, ErrorCode: "ValidationError",
			ErrorMessage: weird, Params: url.Values{"Tags.member.1.Key": {weird}, "Tags.member.1.Value": {""}}},
		{Time: at, Service: "cloudtrail", Action: "LookupEvents", Principal: warden.Principal{Type: warden.PrincipalRoot},
			JSON: map[string]any{"MaxResults": 5.5, "Flag": true, "Nothing": nil, "List": []any{"a", 1.0, map[string]any{"k": weird}},
				"Nested": map[string]any{"x": []any{}}, "Number": json.Number("12")}},
	}
	r := NewRecorder(nil, Options{})
	for _, c := range calls {
		ident, _ := userIdentity(&c.Principal, c.AccessKeyID)
		rec := record{EventVersion: "1.08", UserIdentity: ident, EventTime: at.Format(timeFormat), EventSource: c.Service,
			EventName: c.Action, ErrorCode: c.ErrorCode, ErrorMessage: c.ErrorMessage, EventID: "e", ReadOnly: true}
		if c.JSON != nil {
			rec.RequestParameters = redactJSON(c.JSON)
		} else {
			rec.RequestParameters = queryParams(c.Params)
		}
		if c.Result != nil {
			resp, err := xmlTree(c.Result)
			if err != nil {
				t.Fatal(err)
			}
			rec.ResponseElements = resp
		}
		checkSameJSON(t, &rec)
		if _, err := r.renderCall(c); err != nil {
			t.Fatal(err)
		}
	}
	sc := &sessionContext{Attributes: sessionAttrs{CreationDate: "2026-01-01T00:00:00Z", MFAAuthenticated: "true"}}
	checkSameJSON(t, &record{UserIdentity: identity{Type: "AssumedRole", SessionContext: sc},
		AdditionalEventData: map[string]any{"LoginTo": "/console/", "MFAUsed": "Yes"}})
	checkSameJSON(t, &record{AdditionalEventData: map[string]any{}})
}

// FuzzAppendString holds appendString to encoding/json's escaping for any
// string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"\\<>&\t\x00\x7f", "\xff\u2028é😀", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}
