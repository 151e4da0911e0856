package serviceauth

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/warden-iam/warden"
)

func TestAccountOf(t *testing.T) {
	key := "ABSK" + base64.StdEncoding.EncodeToString([]byte("BedrockAPIKey-ab12-at-123456789012:secret"))
	for in, want := range map[string]string{
		"alice-at-123456789012":   "123456789012",
		"alice+1-at-123456789012": "123456789012",
		"a-at-b-at-123456789012":  "123456789012",
		key:                       "123456789012",
		"alice-at-12345678901":    "",
		"alice-at-12345678901x":   "",
		"alice":                   "",
		"ABSK!!!":                 "",
	} {
		if got := accountOf(in); got != want {
			t.Errorf("accountOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzAccountOf(f *testing.F) {
	f.Add("alice-at-123456789012")
	f.Add("ABSKQmVkcm9ja0FQSUtleS1hYjEyLWF0LTEyMzQ1Njc4OTAxMjpzZWNyZXQ=")
	f.Fuzz(func(t *testing.T, s string) {
		if a := accountOf(s); a != "" && len(a) != 12 {
			t.Fatalf("accountOf(%q) = %q", s, a)
		}
	})
}

// refuseAll is a verifier that knows no credential.
type refuseAll struct{ calls int }

func (r *refuseAll) VerifyServiceCredential(context.Context, string, string, string, string) (*warden.Principal, error) {
	r.calls++
	return nil, warden.ErrNotFound
}

// The failure limit decays: a source cut off gets one more try per Refill.
func TestFailuresDecay(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := &refuseAll{}
	h := &Handler{Verify: v, Burst: 3, Refill: time.Minute, Now: func() time.Time { return now }}
	try := func() int {
		r := httptest.NewRequest(http.MethodGet, Path+"codecommit", nil)
		r.SetBasicAuth("alice-at-123456789012", "guess")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for i := 0; i < 3; i++ {
		if c := try(); c != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, c)
		}
	}
	if c := try(); c != http.StatusTooManyRequests || v.calls != 3 {
		t.Fatalf("fourth attempt: %d after %d checks, want 429 after 3", c, v.calls)
	}
	now = now.Add(time.Minute)
	if c := try(); c != http.StatusUnauthorized {
		t.Fatalf("a minute later: %d, want one more check (401)", c)
	}
	if c := try(); c != http.StatusTooManyRequests {
		t.Fatalf("then: %d, want 429", c)
	}
}
