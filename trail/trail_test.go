package trail

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sqlite"
)

func memoryLog(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Secrets the tests put in calls; none may reach a record or a file.
const (
	secretPassword = "Very-Secret-Passw0rd!"
	secretKey      = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1"
	secretToken    = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
	secretSeed     = "JBSWY3DPEHPK3PXPSEEDSEEDSEED"
)

var secretsUsed = []string{secretPassword, secretKey, secretToken, secretSeed}

type wCreds struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

type wMFA struct {
	SerialNumber     string
	Base32StringSeed string
}

type wTag struct{ Key, Value string }

type fakeResult struct {
	Credentials wCreds `xml:"Credentials"`
	Device      wMFA   `xml:"VirtualMFADevice"`
	Tags        struct {
		Member []wTag `xml:"member"`
	} `xml:"Tags"`
}

func secretCall(account string, at time.Time) *Call {
	r := &fakeResult{Credentials: wCreds{"ASIAEXAMPLE", secretKey, secretToken, at.Add(time.Hour)},
		Device: wMFA{"arn:aws:iam::" + account + ":mfa/d", secretSeed}}
	r.Tags.Member = []wTag{{"a", "1"}, {"b", "2"}}
	return &Call{Time: at, RequestID: "req-1", Service: "iam", Action: "CreateLoginProfile",
		Principal: warden.Principal{Type: warden.PrincipalUser, Account: account, Name: "alice", ID: "AIDAALICE",
			ARN: "arn:aws:iam::" + account + ":user/alice", SourceIP: "192.0.2.1", UserAgent: "test"},
		AccessKeyID: "AKIAALICE", Region: "us-east-1",
		Params: url.Values{"Action": {"CreateLoginProfile"}, "Version": {"2010-05-08"}, "UserName": {"bob"},
			"Password": {secretPassword}, "NewPassword": {secretPassword}, "Tags.member.2.Key": {"k2"},
			"Tags.member.1.Key": {"k1"}, "Tags.member.1.Value": {"v1"}, "AuthenticationCode1": {"123456"}},
		Result: r}
}

func TestRenderCall(t *testing.T) {
	r := NewRecorder(nil, Options{})
	r.NewID = func(time.Time) string { return "event-1" }
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	e, err := r.render(secretCall("123456789012", at))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secretsUsed {
		if strings.Contains(string(e.Record), s) {
			t.Errorf("the record holds the secret %q: %s", s, e.Record)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal(e.Record, &rec); err != nil {
		t.Fatal(err)
	}
	params := rec["requestParameters"].(map[string]any)
	want := `{"authenticationCode1":"HIDDEN_DUE_TO_SECURITY_REASONS","newPassword":"HIDDEN_DUE_TO_SECURITY_REASONS",` +
		`"password":"HIDDEN_DUE_TO_SECURITY_REASONS","tags":[{"key":"k1","value":"v1"},{"key":"k2"}],"userName":"bob"}`
	if got, _ := json.Marshal(params); string(got) != want {
		t.Errorf("requestParameters =\n%s\nwant\n%s", got, want)
	}
	resp, _ := json.Marshal(rec["responseElements"])
	wantResp := `{"credentials":{"accessKeyId":"ASIAEXAMPLE","expiration":"2026-03-04T06:06:07Z"},` +
		`"tags":[{"key":"a","value":"1"},{"key":"b","value":"2"}],"virtualMFADevice":{"serialNumber":"arn:aws:iam::123456789012:mfa/d"}}`
	if string(resp) != wantResp {
		t.Errorf("responseElements =\n%s\nwant\n%s", resp, wantResp)
	}
	if rec["eventTime"] != "2026-03-04T05:06:07Z" || rec["eventID"] != "event-1" || rec["eventName"] != "CreateLoginProfile" ||
		rec["readOnly"] != false || rec["recipientAccountId"] != "123456789012" || rec["sourceIPAddress"] != "192.0.2.1" {
		t.Errorf("record = %s", e.Record)
	}
	if e.ResourceType != "AWS::IAM::User" || e.ResourceName != "bob" || e.Username != "alice" || e.AccessKeyID != "AKIAALICE" {
		t.Errorf("event = %+v", e)
	}
	// The XML of a result and the record agree on what is there.
	if _, err := xml.Marshal(secretCall("1", at).Result); err != nil {
		t.Fatal(err)
	}
}

func TestRenderSignIn(t *testing.T) {
	r := NewRecorder(nil, Options{})
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		in   SignIn
		want map[string]any
	}{
		{SignIn{Time: at, Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/alice", Success: true, MFAUsed: true},
			map[string]any{"type": "IAMUser", "userName": "alice", "outcome": "Success", "mfa": "Yes", "error": nil}},
		{SignIn{Time: at, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", Failure: "Failed authentication"},
			map[string]any{"type": "Root", "userName": nil, "outcome": "Failure", "mfa": "No", "error": "Failed authentication"}},
		{SignIn{Time: at, Account: "123456789012", Failure: "No username found in supplied account"},
			map[string]any{"type": "IAMUser", "userName": hidden, "outcome": "Failure", "mfa": "No", "error": "No username found in supplied account"}},
	}
	for _, tt := range tests {
		e, err := r.render(&tt.in)
		if err != nil {
			t.Fatal(err)
		}
		var rec map[string]any
		json.Unmarshal(e.Record, &rec)
		id := rec["userIdentity"].(map[string]any)
		got := map[string]any{"type": id["type"], "userName": id["userName"],
			"outcome": rec["responseElements"].(map[string]any)["ConsoleLogin"],
			"mfa":     rec["additionalEventData"].(map[string]any)["MFAUsed"], "error": rec["errorMessage"]}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) || rec["eventName"] != "ConsoleLogin" || rec["eventSource"] != "signin.amazonaws.com" ||
			rec["eventType"] != "AwsConsoleSignIn" {
			t.Errorf("%+v: got %v, record %s", tt.in, got, e.Record)
		}
	}
}

func TestRecorderDropsWhenFull(t *testing.T) {
	store := memoryLog(t)
	r := NewRecorder(store, Options{Buffer: 2})
	at := time.Now()
	for range 5 {
		r.API(secretCall("123456789012", at))
	}
	if r.Dropped() != 3 {
		t.Errorf("Dropped = %d, want 3", r.Dropped())
	}
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.Recorded() != 2 {
		t.Errorf("Recorded = %d, want 2", r.Recorded())
	}
	got, err := store.LookupEvents(context.Background(), warden.EventQuery{Account: "123456789012"})
	if err != nil || len(got) != 2 {
		t.Errorf("stored %d events (%v), want 2", len(got), err)
	}
	var nilRecorder *Recorder
	nilRecorder.API(secretCall("1", at)) // records nothing, and does not panic
}

func TestRunFlushesAndStops(t *testing.T) {
	store := memoryLog(t)
	r := NewRecorder(store, Options{FlushEvery: time.Hour, Batch: 3})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	for range 4 {
		r.API(secretCall("123456789012", time.Now()))
	}
	cancel()
	<-done // Run writes what is buffered before it returns
	got, err := store.LookupEvents(context.Background(), warden.EventQuery{Account: "123456789012"})
	if err != nil || len(got) != 4 {
		t.Errorf("stored %d events (%v), want 4", len(got), err)
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	store := memoryLog(t)
	dir := t.TempDir()
	r := NewRecorder(store, Options{ExportDir: dir})
	w := time.Date(2026, 3, 4, 5, 10, 0, 0, time.UTC)
	r.API(secretCall("111111111111", w.Add(time.Second)))
	r.API(secretCall("111111111111", w.Add(4*time.Minute)))
	r.API(secretCall("222222222222", w.Add(2*time.Minute)))
	r.API(secretCall("111111111111", w.Add(5*time.Minute))) // the next window
	r.SignIn(&SignIn{Time: w.Add(3 * time.Minute), Account: "222222222222", ARN: "arn:aws:iam::222222222222:root", Success: true})
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	paths, err := r.Export(ctx, w.Add(90*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		filepath.Join(dir, "AWSLogs/111111111111/CloudTrail/us-east-1/2026/03/04"): 2,
		filepath.Join(dir, "AWSLogs/222222222222/CloudTrail/us-east-1/2026/03/04"): 2,
	}
	if len(paths) != 2 {
		t.Fatalf("exported %v", paths)
	}
	for _, p := range paths {
		base := filepath.Base(p)
		account := base[:12]
		if !strings.HasPrefix(base, account+"_CloudTrail_us-east-1_20260304T0510Z_") || !strings.HasSuffix(base, ".json.gz") {
			t.Errorf("file name %s", base)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s is not gzip: %v", p, err)
		}
		var doc struct{ Records []map[string]any }
		if err := json.NewDecoder(zr).Decode(&doc); err != nil {
			t.Fatalf("%s is not CloudTrail JSON: %v", p, err)
		}
		f.Close()
		if n, ok := want[filepath.Dir(p)]; !ok || len(doc.Records) != n {
			t.Errorf("%s has %d records, want %d", p, len(doc.Records), n)
		}
		for _, rec := range doc.Records {
			if rec["recipientAccountId"] != account {
				t.Errorf("%s holds a record of %v", p, rec["recipientAccountId"])
			}
		}
		raw, _ := os.ReadFile(p)
		zr2, _ := gzip.NewReader(strings.NewReader(string(raw)))
		var text strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := zr2.Read(buf)
			text.Write(buf[:n])
			if err != nil {
				break
			}
		}
		for _, s := range secretsUsed {
			if strings.Contains(text.String(), s) {
				t.Errorf("%s holds the secret %q", p, s)
			}
		}
	}
	// Exporting a window again writes the same files.
	again, err := r.Export(ctx, w)
	if err != nil || fmt.Sprint(again) != fmt.Sprint(paths) {
		t.Errorf("second export: %v, %v", again, err)
	}
	// exportDue exports finished windows only, each once.
	r.exported = w
	if err := r.exportDue(ctx, w.Add(5*time.Minute+30*time.Second)); err != nil || !r.exported.Equal(w) {
		t.Errorf("a window is exported before the delay: %v, %v", r.exported, err)
	}
	if err := r.exportDue(ctx, w.Add(11*time.Minute+time.Second)); err != nil || !r.exported.Equal(w.Add(10*time.Minute)) {
		t.Errorf("exported up to %v, %v; want %v", r.exported, err, w.Add(10*time.Minute))
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(encodeToken(time.Unix(1700000000, 0), "id-1", "abc"), "abc")
	f.Add("", "abc")
	f.Add("bm90IGEgdG9rZW4", "abc")
	f.Add("::", "")
	f.Fuzz(func(t *testing.T, tok, digest string) {
		tm, id, ok := decodeToken(tok, digest)
		if !ok {
			return
		}
		if id == "" {
			t.Fatalf("%q decoded to an empty ID", tok)
		}
		if again := encodeToken(tm, id, digest); again != tok {
			if _, id2, ok2 := decodeToken(again, digest); !ok2 || id2 != id {
				t.Fatalf("%q: re-encoding does not decode", tok)
			}
		}
	})
}
