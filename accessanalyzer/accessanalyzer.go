// Package accessanalyzer is the IAM Access Analyzer front end of Warden: the
// service's REST-JSON protocol, of which Warden serves ValidatePolicy
// (POST /policy/validation), so that `aws accessanalyzer validate-policy
// --endpoint-url ...` and the SDKs' Access Analyzer clients work against it.
// Requests are signed with Signature Version 4 for the service
// "access-analyzer", authenticated with the same credentials as IAM and
// authorized as access-analyzer:ValidatePolicy; errors are AWS REST-JSON
// errors (an x-amzn-ErrorType header and a {"message": ...} body).
package accessanalyzer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/sigv4"
	"github.com/warden-iam/warden/trail"
	"github.com/warden-iam/warden/validate"
)

// service is the signing name and action prefix of Access Analyzer.
const service = "access-analyzer"

// maxBody bounds a request body; IAM's largest policies are far smaller.
const maxBody = 1 << 20

// Authenticator verifies a request's signature and resolves the caller,
// and records the requests it refuses. *awsquery.Handler is one, so every
// front end accepts the same keys.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, sig *sigv4.Signature) (*warden.Principal, error)
	RecordFailure(r *http.Request, sig *sigv4.Signature, tc *trail.Call, err error)
}

// Authorizer decides whether a principal may make a request; *authz.Authorizer
// is one.
type Authorizer interface {
	Authorize(ctx context.Context, p *warden.Principal, req authz.Request) error
}

// Handler serves Access Analyzer's ValidatePolicy.
type Handler struct {
	Auth  Authenticator
	Authz Authorizer
	// Recorder, when set, receives every call in the event history.
	Recorder *trail.Recorder
	Log      *slog.Logger
	// NewRequestID is replaceable for stable tests.
	NewRequestID func() string
}

// New returns a Handler.
func New(auth Authenticator, az Authorizer, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{Auth: auth, Authz: az, Log: log, NewRequestID: newRequestID}
}

func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("accessanalyzer: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// apiError is an error as the service answers it.
type apiError struct {
	status  int
	code    string
	message string
	// reason and fields are ValidationException's.
	reason string
	fields []fieldError
}

type fieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validation(reason, msg string, fields ...fieldError) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationException", message: msg, reason: reason, fields: fields}
}

// fieldFailed is AWS's message for one member that breaks a constraint.
func fieldFailed(name, value, constraint string) *apiError {
	msg := "Value " + value + " at '" + name + "' failed to satisfy constraint: " + constraint
	return validation("fieldValidationFailed", "1 validation error detected: "+msg, fieldError{Name: name, Message: msg})
}

// The request and response of ValidatePolicy.
type validateInput struct {
	PolicyDocument             *string `json:"policyDocument"`
	PolicyType                 *string `json:"policyType"`
	Locale                     *string `json:"locale"`
	ValidatePolicyResourceType *string `json:"validatePolicyResourceType"`
}

type validateOutput struct {
	Findings  []validate.Finding `json:"findings"`
	NextToken string             `json:"nextToken,omitempty"`
}

var policyTypes = map[string]validate.Type{
	"IDENTITY_POLICY":         validate.IdentityPolicy,
	"RESOURCE_POLICY":         validate.ResourcePolicy,
	"SERVICE_CONTROL_POLICY":  validate.ServiceControlPolicy,
	"RESOURCE_CONTROL_POLICY": validate.ResourceControlPolicy,
}

var locales = []string{"DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW"}

var resourceTypes = []string{"AWS::S3::Bucket", "AWS::S3::AccessPoint", "AWS::S3::MultiRegionAccessPoint",
	"AWS::S3ObjectLambda::AccessPoint", "AWS::IAM::AssumeRolePolicyDocument", "AWS::DynamoDB::Table"}

func enumOf(list []string) string {
	return "Member must satisfy enum value set: [" + strings.Join(list, ", ") + "]"
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := h.NewRequestID()
	ctx := warden.WithRequestID(r.Context(), id)
	action, known := routes[r.Method+" "+r.URL.Path]
	if !known {
		action = "Unsupported"
	}
	call := &trail.Call{Time: start.UTC(), RequestID: id, Service: service, Action: action}
	out, err := h.serve(ctx, r, action, call)
	status, code := http.StatusOK, ""
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-RequestId", id)
	if err != nil {
		ae := h.apiError(ctx, err)
		status, code = ae.status, ae.code
		body := map[string]any{"message": ae.message}
		if ae.code == "ValidationException" {
			body["reason"] = ae.reason
			if len(ae.fields) > 0 {
				body["fieldList"] = ae.fields
			}
		}
		w.Header().Set("x-amzn-ErrorType", ae.code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
		call.ErrorCode, call.ErrorMessage = ae.code, ae.message
	} else {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(out)
	}
	if call.Principal.Account != "" {
		h.Recorder.API(call)
	}
	h.Log.InfoContext(ctx, "request", "request_id", id, "service", service, "action", action,
		"status", status, "code", code, "duration_ms", float64(time.Since(start).Microseconds())/1000)
}

// apiError maps an error to the service's answer. Unknown errors are logged
// and answered as a generic InternalServerException.
func (h *Handler) apiError(ctx context.Context, err error) *apiError {
	var ae *apiError
	var we *warden.Error
	var se *sigv4.Error
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &se):
		switch se.Code {
		case sigv4.CodeMissingAuthenticationToken:
			return &apiError{http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token", "", nil}
		case sigv4.CodeIncompleteSignature:
			return &apiError{http.StatusForbidden, "IncompleteSignatureException", se.Message, "", nil}
		case sigv4.CodeSignatureDoesNotMatch, sigv4.CodeRequestExpired:
			return &apiError{http.StatusForbidden, "InvalidSignatureException", se.Message, "", nil}
		}
	case errors.As(err, &we):
		switch we.Code {
		case warden.CodeAccessDenied:
			return &apiError{http.StatusForbidden, "AccessDeniedException", we.Message, "", nil}
		case warden.CodeInvalidClientTokenID:
			return &apiError{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid.", "", nil}
		case warden.CodeExpiredToken:
			return &apiError{http.StatusForbidden, "ExpiredTokenException", "The security token included in the request is expired", "", nil}
		case warden.CodeSignatureDoesNotMatch, warden.CodeRequestExpired:
			return &apiError{http.StatusForbidden, "InvalidSignatureException", we.Message, "", nil}
		}
	}
	h.Log.ErrorContext(ctx, "internal error", "request_id", warden.RequestID(ctx), "service", service, "err", err)
	return &apiError{http.StatusInternalServerError, "InternalServerException", "Internal server error", "", nil}
}

// serve authenticates a request, authorizes it as action and runs it; call
// gets the caller and the parameters, for the event history.
func (h *Handler) serve(ctx context.Context, r *http.Request, action string, call *trail.Call) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, validation("cannotParse", "Could not read the request body.")
	}
	if len(body) > maxBody {
		return nil, validation("other", "The request body must be at most "+strconv.Itoa(maxBody)+" bytes.")
	}
	sig, err := sigv4.Parse(r)
	if err != nil {
		return nil, err
	}
	if sig.Service != service {
		return nil, &apiError{http.StatusForbidden, "InvalidSignatureException",
			"Credential should be scoped to correct service: '" + service + "'. ", "", nil}
	}
	var params map[string]any
	if json.Unmarshal(body, &params) == nil && len(params) > 0 {
		call.JSON = params
	}
	p, err := h.Auth.Authenticate(ctx, r, body, sig)
	if err != nil {
		failed := *call
		ae := h.apiError(ctx, err)
		failed.ErrorCode, failed.ErrorMessage = ae.code, ae.message
		h.Auth.RecordFailure(r, sig, &failed, err)
		return nil, err
	}
	call.Principal, call.AccessKeyID, call.Region = *p, sig.AccessKeyID, sig.Region
	if action == "Unsupported" {
		return nil, unsupported(r)
	}
	if err := h.Authz.Authorize(ctx, p, authz.Request{Action: service + ":" + action, Resource: "*"}); err != nil {
		return nil, err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	switch action {
	case "CheckAccessNotGranted":
		return h.checkAccessNotGranted(body)
	case "CheckNoNewAccess":
		return h.checkNoNewAccess(body)
	case "CheckNoPublicAccess":
		return h.checkNoPublicAccess(body)
	}
	return h.validatePolicy(r, body)
}

func (h *Handler) validatePolicy(r *http.Request, body []byte) (*validateOutput, error) {
	var in validateInput
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, validation("cannotParse", "Could not parse the request body as JSON.")
		}
	}
	switch {
	case in.PolicyDocument == nil:
		return nil, fieldFailed("policyDocument", "null", "Member must not be null")
	case in.PolicyType == nil:
		return nil, fieldFailed("policyType", "null", "Member must not be null")
	}
	typ, ok := policyTypes[*in.PolicyType]
	if !ok {
		return nil, fieldFailed("policyType", "'"+*in.PolicyType+"'", enumOf([]string{"IDENTITY_POLICY", "RESOURCE_POLICY", "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}))
	}
	if in.Locale != nil && !contains(locales, *in.Locale) {
		return nil, fieldFailed("locale", "'"+*in.Locale+"'", enumOf(locales))
	}
	if rt := in.ValidatePolicyResourceType; rt != nil {
		if !contains(resourceTypes, *rt) {
			return nil, fieldFailed("validatePolicyResourceType", "'"+*rt+"'", enumOf(resourceTypes))
		}
		if typ != validate.ResourcePolicy {
			return nil, validation("other", "validatePolicyResourceType can be specified only when policyType is RESOURCE_POLICY.")
		}
		if *rt == "AWS::IAM::AssumeRolePolicyDocument" {
			typ = validate.TrustPolicy
		}
	}
	q := r.URL.Query()
	maxResults := 0
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fieldFailed("maxResults", "'"+v+"'", "Member must be a positive integer")
		}
		maxResults = n
	}

	findings := validate.Document([]byte(*in.PolicyDocument), typ)
	if findings == nil {
		findings = []validate.Finding{}
	}
	// Findings are computed again for every page; the token remembers the
	// document it belongs to, so a token cannot page through another one.
	digest := pageDigest(*in.PolicyDocument, typ)
	first := 0
	if tok := q.Get("nextToken"); tok != "" {
		first, ok = decodeToken(tok, digest)
		if !ok || first > len(findings) {
			return nil, fieldFailed("nextToken", "'"+tok+"'", "Member must be a token returned by a previous call for the same policy")
		}
	}
	out := &validateOutput{Findings: findings[first:]}
	if maxResults > 0 && len(out.Findings) > maxResults {
		out.Findings = out.Findings[:maxResults]
		out.NextToken = encodeToken(first+maxResults, digest)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func pageDigest(doc string, t validate.Type) string {
	sum := sha256.Sum256([]byte(t.String() + "\x00" + doc))
	return hex.EncodeToString(sum[:8])
}

func encodeToken(next int, digest string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(next) + ":" + digest))
}

func decodeToken(tok, digest string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, d, ok := strings.Cut(string(raw), ":")
	if !ok || d != digest {
		return 0, false
	}
	next, err := strconv.Atoi(n)
	return next, err == nil && next >= 0
}
