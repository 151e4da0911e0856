package cloudtrail

import (
	"errors"
	"testing"
	"time"
)

func TestDecodeLookup(t *testing.T) {
	lk, err := decodeLookup([]byte(`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}],
		"StartTime":1700000000.5,"EndTime":1700000100,"MaxResults":7,"NextToken":"tok","EventCategory":"insight"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(lk.Attributes) != 1 || lk.Attributes[0].Key != "EventName" || lk.Attributes[0].Value != "CreateUser" ||
		!lk.StartTime.Equal(time.Unix(1700000000, 5e8)) || !lk.EndTime.Equal(time.Unix(1700000100, 0)) ||
		lk.MaxResults != 7 || lk.NextToken != "tok" || lk.EventCategory != "insight" {
		t.Errorf("decoded %+v", lk)
	}
	for _, body := range []string{`[]`, `{"StartTime":"x"}`, `{"StartTime":1e300}`, `{"MaxResults":"5"}`, `{`} {
		var ae *apiError
		if _, err := decodeLookup([]byte(body)); !errors.As(err, &ae) || ae.code != "SerializationException" || ae.status != 400 {
			t.Errorf("%s: %v, want SerializationException", body, err)
		}
	}
	if _, err := decodeLookup([]byte(`{"MaxResults":-1}`)); err == nil || err.(*apiError).code != "InvalidMaxResultsException" {
		t.Errorf("MaxResults -1: %v", err)
	}
}

// FuzzDecodeLookup feeds LookupEvents bodies to the decoder: it answers an
// input or a client error, never a panic.
func FuzzDecodeLookup(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"root"}]}`,
		`{"StartTime":1.5,"EndTime":-1}`, `{"MaxResults":50,"NextToken":"abc"}`, `{"StartTime":NaN}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lk, err := decodeLookup(body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status != 400 {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		if lk == nil {
			t.Fatal("no input and no error")
		}
	})
}
