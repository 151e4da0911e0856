package accessanalyzer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/sigv4"
	"github.com/warden-iam/warden/trail"
	"github.com/warden-iam/warden/validate"
)

const (
	keyID  = "AKIAACCESSANALYZER01"
	secret = "accessAnalyzerTestSecret0123456789abcdef"
)

// keys authenticates one access key by verifying its signature for real;
// other keys are unknown, and the key "AKIABROKENSTORE00000" fails as a
// broken store would.
type keys struct{}

func (keys) Authenticate(ctx context.Context, r *http.Request, body []byte, sig *sigv4.Signature) (*warden.Principal, error) {
	switch sig.AccessKeyID {
	case keyID, "AKIADENIED0000000000":
	case "AKIABROKENSTORE00000":
		return nil, errors.New("store: connection refused")
	default:
		return nil, &warden.Error{Code: warden.CodeInvalidClientTokenID, Message: "The security token included in the request is invalid."}
	}
	if err := sig.CheckTime(time.Now()); err != nil {
		return nil, err
	}
	if err := sig.Verify(r, body, secret, nil); err != nil {
		return nil, err
	}
	name := "alice"
	if sig.AccessKeyID != keyID {
		name = "mallory"
	}
	return &warden.Principal{Type: warden.PrincipalUser, Account: "123456789012", Name: name,
		ARN: "arn:aws:iam::123456789012:user/" + name}, nil
}

// RecordFailure records nothing: the event history of refused requests is
// tested end to end (TestE2EEventHistoryAuthentication).
func (keys) RecordFailure(*http.Request, *sigv4.Signature, *trail.Call, error) {}

// policies allows everything to alice and nothing to anyone else, and
// records what it was asked.
type policies struct{ asked []authz.Request }

func (p *policies) Authorize(ctx context.Context, who *warden.Principal, req authz.Request) error {
	p.asked = append(p.asked, req)
	if who.Name != "alice" {
		return &warden.Error{Code: warden.CodeAccessDenied, Message: "User: " + who.ARN +
			" is not authorized to perform: " + req.Action + " on resource: " + req.Resource}
	}
	return nil
}

type harness struct {
	t      *testing.T
	srv    *httptest.Server
	authz  *policies
	key    string
	secret string
	scope  string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	az := &policies{}
	h := New(keys{}, az, slog.New(slog.NewTextHandler(io.Discard, nil)))
	mux := http.NewServeMux()
	mux.Handle("POST /policy/validation", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, authz: az, key: keyID, secret: secret, scope: "access-analyzer"}
}

// call sends a signed ValidatePolicy request with the given body and query.
func (h *harness) call(body any, query url.Values) (int, http.Header, map[string]any) {
	h.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	if s, ok := body.(string); ok {
		raw = []byte(s)
	}
	u := h.srv.URL + "/policy/validation"
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if h.key != "" {
		if err := sigv4.Sign(req, raw, h.key, h.secret, "", "us-east-1", h.scope, time.Now()); err != nil {
			h.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatalf("response is not JSON: %v", err)
	}
	return resp.StatusCode, resp.Header, out
}

const badPolicy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObjekt","iam:PassRole"],"Resource":"*"}}`

func validateRequest(doc, typ string) map[string]any {
	return map[string]any{"policyDocument": doc, "policyType": typ}
}

func TestValidatePolicy(t *testing.T) {
	h := newHarness(t)
	status, header, out := h.call(validateRequest(badPolicy, "IDENTITY_POLICY"), nil)
	if status != http.StatusOK || header.Get("x-amzn-RequestId") == "" || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, headers %v, body %v", status, header, out)
	}
	var got struct {
		Findings  []validate.Finding `json:"findings"`
		NextToken *string            `json:"nextToken"`
	}
	b, _ := json.Marshal(out)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := validate.Document([]byte(badPolicy), validate.IdentityPolicy)
	if len(got.Findings) != len(want) || len(want) != 2 || got.NextToken != nil {
		t.Fatalf("findings %v, want %v", got.Findings, want)
	}
	for i := range want {
		if got.Findings[i].String() != want[i].String() || got.Findings[i].LearnMoreLink != want[i].LearnMoreLink {
			t.Errorf("finding %d: %s, want %s", i, got.Findings[i], want[i])
		}
	}
	if len(h.authz.asked) != 1 || h.authz.asked[0].Action != "access-analyzer:ValidatePolicy" || h.authz.asked[0].Resource != "*" {
		t.Errorf("authorized %+v", h.authz.asked)
	}
	// A valid policy has no findings: an empty list, not null.
	_, _, out = h.call(validateRequest(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`, "IDENTITY_POLICY"), nil)
	if f, ok := out["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("valid policy: %v", out)
	}
}

func TestValidatePolicyTypes(t *testing.T) {
	h := newHarness(t)
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	codes := func(body map[string]any) []string {
		t.Helper()
		status, _, out := h.call(body, nil)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, out)
		}
		var cs []string
		for _, f := range out["findings"].([]any) {
			cs = append(cs, f.(map[string]any)["issueCode"].(string))
		}
		return cs
	}
	body := validateRequest(trust, "RESOURCE_POLICY")
	body["validatePolicyResourceType"] = "AWS::IAM::AssumeRolePolicyDocument"
	if cs := codes(body); len(cs) != 0 {
		t.Errorf("trust policy: %v", cs)
	}
	if cs := codes(validateRequest(trust, "RESOURCE_POLICY")); len(cs) != 1 || cs[0] != "MISSING_RESOURCE" {
		t.Errorf("as a resource policy: %v", cs)
	}
	if cs := codes(validateRequest(trust, "SERVICE_CONTROL_POLICY")); !slices.Contains(cs, "SCP_SYNTAX_ERROR_PRINCIPAL") {
		t.Errorf("as an SCP: %v", cs)
	}
	body = validateRequest(trust, "IDENTITY_POLICY")
	body["locale"] = "JA"
	if cs := codes(body); !slices.Contains(cs, "UNSUPPORTED_PRINCIPAL") {
		t.Errorf("as an identity policy: %v", cs)
	}
}

func TestValidatePolicyPagination(t *testing.T) {
	h := newHarness(t)
	all := validate.Document([]byte(badPolicy), validate.IdentityPolicy)
	var seen []string
	token := ""
	for range 5 {
		q := url.Values{"maxResults": {"1"}}
		if token != "" {
			q.Set("nextToken", token)
		}
		status, _, out := h.call(validateRequest(badPolicy, "IDENTITY_POLICY"), q)
		if status != http.StatusOK {
			t.Fatalf("status %d: %v", status, out)
		}
		for _, f := range out["findings"].([]any) {
			seen = append(seen, f.(map[string]any)["issueCode"].(string))
		}
		next, _ := out["nextToken"].(string)
		if next == "" {
			break
		}
		token = next
	}
	if len(seen) != len(all) || seen[0] != all[0].IssueCode || seen[1] != all[1].IssueCode {
		t.Errorf("pages gave %v, want %d findings", seen, len(all))
	}
	// A token belongs to its document.
	other := strings.Replace(badPolicy, "GetObjekt", "GetObjeckt", 1)
	status, header, out := h.call(validateRequest(other, "IDENTITY_POLICY"), url.Values{"nextToken": {token}})
	if status != http.StatusBadRequest || header.Get("x-amzn-ErrorType") != "ValidationException" {
		t.Errorf("foreign token: %d %v", status, out)
	}
	status, _, _ = h.call(validateRequest(badPolicy, "IDENTITY_POLICY"), url.Values{"nextToken": {"garbage!"}})
	if status != http.StatusBadRequest {
		t.Errorf("garbage token: %d", status)
	}
	status, _, _ = h.call(validateRequest(badPolicy, "IDENTITY_POLICY"), url.Values{"maxResults": {"0"}})
	if status != http.StatusBadRequest {
		t.Errorf("maxResults 0: %d", status)
	}
}

func TestValidatePolicyErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *harness)
		body    any
		status  int
		code    string
		message string
	}{
		{"missing document", nil, map[string]any{"policyType": "IDENTITY_POLICY"}, 400, "ValidationException",
			"1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null"},
		{"missing type", nil, map[string]any{"policyDocument": "{}"}, 400, "ValidationException", "Value null at 'policyType'"},
		{"unknown type", nil, validateRequest("{}", "FRIENDLY_POLICY"), 400, "ValidationException", "Member must satisfy enum value set"},
		{"unknown locale", nil, map[string]any{"policyDocument": "{}", "policyType": "IDENTITY_POLICY", "locale": "TLH"}, 400, "ValidationException", "'locale'"},
		{"resource type of an identity policy", nil, map[string]any{"policyDocument": "{}", "policyType": "IDENTITY_POLICY",
			"validatePolicyResourceType": "AWS::S3::Bucket"}, 400, "ValidationException", "only when policyType is RESOURCE_POLICY"},
		{"unknown resource type", nil, map[string]any{"policyDocument": "{}", "policyType": "RESOURCE_POLICY",
			"validatePolicyResourceType": "AWS::Nope"}, 400, "ValidationException", "'validatePolicyResourceType'"},
		{"not JSON", nil, "{policyDocument", 400, "ValidationException", "Could not parse"},
		{"unsigned", func(h *harness) { h.key = "" }, validateRequest("{}", "IDENTITY_POLICY"), 403,
			"MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"signed for IAM", func(h *harness) { h.scope = "iam" }, validateRequest("{}", "IDENTITY_POLICY"), 403,
			"InvalidSignatureException", "Credential should be scoped to correct service: 'access-analyzer'."},
		{"unknown key", func(h *harness) { h.key = "AKIANOSUCHKEY0000000" }, validateRequest("{}", "IDENTITY_POLICY"), 403,
			"UnrecognizedClientException", "The security token included in the request is invalid."},
		{"wrong secret", func(h *harness) { h.secret = "wrong" }, validateRequest("{}", "IDENTITY_POLICY"), 403,
			"InvalidSignatureException", "signature"},
		{"not allowed", func(h *harness) { h.key = "AKIADENIED0000000000" }, validateRequest("{}", "IDENTITY_POLICY"), 403,
			"AccessDeniedException", "User: arn:aws:iam::123456789012:user/mallory is not authorized to perform: access-analyzer:ValidatePolicy on resource: *"},
		{"broken store", func(h *harness) { h.key = "AKIABROKENSTORE00000" }, validateRequest("{}", "IDENTITY_POLICY"), 500,
			"InternalServerException", "Internal server error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			status, header, out := h.call(tt.body, nil)
			msg, _ := out["message"].(string)
			if status != tt.status || header.Get("x-amzn-ErrorType") != tt.code || !strings.Contains(msg, tt.message) {
				t.Errorf("got %d %s %v", status, header.Get("x-amzn-ErrorType"), out)
			}
			if strings.Contains(msg, "connection refused") {
				t.Error("the internal error leaked")
			}
			if tt.code == "ValidationException" {
				if reason, _ := out["reason"].(string); reason == "" {
					t.Errorf("no reason: %v", out)
				}
			}
		})
	}
}
