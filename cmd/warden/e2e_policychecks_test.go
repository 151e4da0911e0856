package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// analyzerCall sends a REST-JSON Access Analyzer request signed as the SDKs
// sign it, and returns the status, the x-amzn-ErrorType and the body.
func analyzerCall(t *testing.T, s *server, keyID, secret, method, path string, in any) (int, string, []byte) {
	t.Helper()
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(payload)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "access-analyzer", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), b
}

// TestAccessAnalyzerPolicyChecks drives CheckAccessNotGranted,
// CheckNoNewAccess and CheckNoPublicAccess through the server, and checks
// that the Access Analyzer operations Warden does not serve answer a
// REST-JSON error.
func TestAccessAnalyzerPolicyChecks(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, nil)
	result := func(path string, in map[string]any) string {
		t.Helper()
		status, errType, body := analyzerCall(t, s, rootKeyID, rootSecret, "POST", path, in)
		if status != 200 {
			t.Fatalf("%s: %d %s %s", path, status, errType, body)
		}
		var out struct {
			Result  string `json:"result"`
			Message string `json:"message"`
			Reasons []struct {
				StatementIndex int `json:"statementIndex"`
			} `json:"reasons"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
		if (out.Result == "FAIL") != (len(out.Reasons) > 0) || out.Message == "" {
			t.Errorf("%s: %s", path, body)
		}
		return out.Result
	}
	read := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`
	all := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`

	if got := result("/policy/check-access-not-granted", map[string]any{"policyDocument": read, "policyType": "IDENTITY_POLICY",
		"access": []map[string]any{{"actions": []string{"s3:DeleteObject"}}}}); got != "PASS" {
		t.Errorf("DeleteObject not granted: %s", got)
	}
	if got := result("/policy/check-access-not-granted", map[string]any{"policyDocument": read, "policyType": "IDENTITY_POLICY",
		"access": []map[string]any{{"actions": []string{"s3:GetObject"}, "resources": []string{"arn:aws:s3:::data/x"}}}}); got != "FAIL" {
		t.Errorf("GetObject granted: %s", got)
	}
	if got := result("/policy/check-no-new-access", map[string]any{"newPolicyDocument": read, "existingPolicyDocument": all, "policyType": "IDENTITY_POLICY"}); got != "PASS" {
		t.Errorf("narrower policy: %s", got)
	}
	if got := result("/policy/check-no-new-access", map[string]any{"newPolicyDocument": all, "existingPolicyDocument": read, "policyType": "IDENTITY_POLICY"}); got != "FAIL" {
		t.Errorf("wider policy: %s", got)
	}
	if got := result("/policy/check-no-public-access", map[string]any{"policyDocument": public, "resourceType": "AWS::S3::Bucket"}); got != "FAIL" {
		t.Errorf("public bucket policy: %s", got)
	}

	wantJSONError := func(what string, status int, errType string, body []byte, wantStatus int, wantType string) {
		t.Helper()
		var e struct {
			Message string `json:"message"`
		}
		if status != wantStatus || errType != wantType || json.Unmarshal(body, &e) != nil || e.Message == "" {
			t.Errorf("%s: %d %s %s, want %d %s with a message", what, status, errType, body, wantStatus, wantType)
		}
	}
	st, et, b := analyzerCall(t, s, rootKeyID, rootSecret, "POST", "/policy/check-no-public-access", map[string]any{"policyDocument": public, "resourceType": "AWS::Nope::Thing"})
	wantJSONError("bad resource type", st, et, b, 400, "ValidationException")
	for _, op := range []struct{ method, path string }{{"GET", "/analyzer"}, {"PUT", "/analyzer"}, {"POST", "/finding"}, {"POST", "/policy/generation"}} {
		st, et, b := analyzerCall(t, s, rootKeyID, rootSecret, op.method, op.path, nil)
		wantJSONError(op.method+" "+op.path, st, et, b, 501, "NotImplementedException")
	}
	k, _ := userWithKey(t, s, "checker")
	st, et, b = analyzerCall(t, s, *k.AccessKeyId, *k.SecretAccessKey, "POST", "/policy/check-no-public-access", map[string]any{"policyDocument": public, "resourceType": "AWS::S3::Bucket"})
	wantJSONError("no permission", st, et, b, 403, "AccessDeniedException")
	st, et, b = analyzerCall(t, s, "AKIAUNKNOWNUNKNOWN00", rootSecret, "GET", "/analyzer", nil)
	wantJSONError("unknown key", st, et, b, 403, "UnrecognizedClientException")
}
