package trail

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

// TestRepeatsRenderAsWhole: a batch rendered with repeats copied writes
// exactly the records (and events) rendering every call in full writes.
func TestRepeatsRenderAsWhole(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	base := getUserCalls("123456789012", 3)
	role := *base[0]
	role.Principal = warden.Principal{Type: warden.PrincipalAssumedRole, Account: "123456789012", Name: "s",
		ID: "AROAEXAMPLE:s", ARN: "arn:aws:sts::123456789012:assumed-role/r/s", MFAAuthenticated: true, SourceIP: "10.0.0.1"}
	var calls []Call
	for i := range 60 {
		c := *base[i%3]
		c.Time = at.Add(time.Duration(i) * 1237 * time.Millisecond)
		c.RequestID = fmt.Sprintf("6c1a7b4e-8f0e-4c7e-9a53-%012d", i)
		switch i % 10 {
		case 3:
			c.RequestID = fmt.Sprintf("short-%d", i) // another length
		case 4:
			c.RequestID = "" // none
		case 5:
			c.RequestID = "q\"<" + fmt.Sprint(i) // escaped
		case 6:
			c.ErrorCode, c.ErrorMessage = "AccessDenied", "User: x is not authorized"
		case 7:
			c = role
			c.Time, c.RequestID = at.Add(time.Duration(i)*time.Second), fmt.Sprintf("6c1a7b4e-8f0e-4c7e-9a53-%012d", i)
		case 8:
			c.Params = url.Values{"Action": {"GetUser"}, "UserName": {fmt.Sprint("other", i%2)}}
		case 9:
			c = *secretCall("123456789012", at.Add(time.Duration(i)*time.Second)) // a write with a result
		}
		calls = append(calls, c)
	}
	ids := func() func(time.Time) string {
		n := 0
		return func(t time.Time) string {
			n++
			if n%13 == 0 {
				return fmt.Sprintf("id-%d", n) // another length
			}
			ms := t.UnixMilli()
			return fmt.Sprintf("%08x-%04x-7000-8000-%012d", ms>>16, ms&0xffff, n)
		}
	}
	whole := NewRecorder(nil, Options{})
	whole.NewID = ids()
	copied := NewRecorder(nil, Options{})
	copied.NewID = ids()
	var arena []byte
	repeats := map[repeatKey]*repeat{}
	copies := 0
	for i := range calls {
		want, err := whole.renderCall(&calls[i])
		if err != nil {
			t.Fatal(err)
		}
		before := len(repeats)
		got, err := copied.renderRepeating(&calls[i], &arena, repeats)
		if err != nil {
			t.Fatal(err)
		}
		if len(repeats) == before {
			copies++
		}
		if string(got.Record) != string(want.Record) {
			t.Fatalf("call %d:\n%s\nwant\n%s", i, got.Record, want.Record)
		}
		got.Record, want.Record = nil, nil
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("call %d: event %+v, want %+v", i, got, want)
		}
	}
	if copies < 20 {
		t.Errorf("only %d of %d records were copies", copies, len(calls))
	}
}
