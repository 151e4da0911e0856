// Package cloudtrail is the CloudTrail front end of Warden: the JSON 1.1
// protocol (POST with X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Operation>) on the
// same endpoint as IAM, of which Warden serves LookupEvents, so that
// `aws cloudtrail lookup-events --endpoint-url ...` and the SDKs' CloudTrail
// clients read Warden's event history. Requests are signed with Signature
// Version 4 for the service "cloudtrail" and authenticated with the same
// credentials as IAM; the trail package decides nothing itself but asks authz
// (cloudtrail:LookupEvents). Errors are JSON 1.1 errors: {"__type", "message"}.
package cloudtrail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/sigv4"
	"github.com/warden-iam/warden/trail"
)

// TargetPrefix starts the X-Amz-Target of every CloudTrail operation.
const TargetPrefix = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."

const service = "cloudtrail"

// maxBody bounds a request body; LookupEvents' input is small.
const maxBody = 64 << 10

// Authenticator verifies a request's signature and resolves the caller,
// and records the requests it refuses; *awsquery.Handler is one.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, sig *sigv4.Signature) (*warden.Principal, error)
	RecordFailure(r *http.Request, sig *sigv4.Signature, tc *trail.Call, err error)
}

// Handler serves CloudTrail's JSON 1.1 protocol.
type Handler struct {
	Auth     Authenticator
	Trail    *trail.Service
	Recorder *trail.Recorder
	Log      *slog.Logger
	Now      func() time.Time
	// NewRequestID is replaceable for stable tests.
	NewRequestID func() string
}

// New returns a Handler.
func New(auth Authenticator, svc *trail.Service, rec *trail.Recorder, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{Auth: auth, Trail: svc, Recorder: rec, Log: log, Now: time.Now, NewRequestID: newRequestID}
}

func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("cloudtrail: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// IsCloudTrail reports whether r is a CloudTrail JSON request.
func IsCloudTrail(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
}

// apiError is an error as CloudTrail answers it.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badRequest(code, msg string) *apiError { return &apiError{http.StatusBadRequest, code, msg} }

// epoch is a JSON 1.1 timestamp: seconds since the epoch, maybe fractional.
type epoch struct{ time.Time }

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < -1e11 || f > 1e11 {
		return errors.New("timestamp out of range")
	}
	sec, frac := math.Modf(f)
	e.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

type lookupInput struct {
	LookupAttributes []struct {
		AttributeKey   string
		AttributeValue string
	}
	StartTime     *epoch
	EndTime       *epoch
	EventCategory string
	MaxResults    *int
	NextToken     string
}

type resource struct {
	ResourceType string `json:"ResourceType"`
	ResourceName string `json:"ResourceName"`
}

type event struct {
	EventID         string     `json:"EventId"`
	EventName       string     `json:"EventName"`
	ReadOnly        string     `json:"ReadOnly"`
	AccessKeyID     string     `json:"AccessKeyId,omitempty"`
	EventTime       float64    `json:"EventTime"`
	EventSource     string     `json:"EventSource"`
	Username        string     `json:"Username,omitempty"`
	Resources       []resource `json:"Resources"`
	CloudTrailEvent string     `json:"CloudTrailEvent"`
}

type lookupOutput struct {
	Events    []event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.Now()
	id := h.NewRequestID()
	ctx := warden.WithRequestID(r.Context(), id)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), TargetPrefix)
	call := &trail.Call{Time: start.UTC(), RequestID: id, Service: service, Action: op}
	out, err := h.serve(ctx, r, op, call)
	status, code := http.StatusOK, ""
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", id)
	var body []byte
	if err != nil {
		ae := h.apiError(ctx, err)
		status, code = ae.status, ae.code
		body, _ = json.Marshal(map[string]string{"__type": ae.code, "message": ae.message})
		call.ErrorCode, call.ErrorMessage = ae.code, ae.message
	} else {
		body, err = json.Marshal(out)
		if err != nil {
			status, code = http.StatusInternalServerError, "InternalFailure"
			body = []byte(`{"__type":"InternalFailure","message":"An internal error occurred."}`)
		}
	}
	if call.Principal.Account != "" && op == "LookupEvents" {
		h.Recorder.API(call)
	}
	w.WriteHeader(status)
	w.Write(body)
	h.Log.InfoContext(ctx, "request", "request_id", id, "service", service, "action", op,
		"status", status, "code", code, "duration_ms", float64(h.Now().Sub(start).Microseconds())/1000)
}

// apiError maps an error to CloudTrail's answer; unknown errors are logged
// and answered as a generic internal failure.
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
			return &apiError{http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token"}
		case sigv4.CodeIncompleteSignature:
			return &apiError{http.StatusBadRequest, "IncompleteSignatureException", se.Message}
		default:
			return &apiError{http.StatusBadRequest, "InvalidSignatureException", se.Message}
		}
	case errors.As(err, &we):
		switch we.Code {
		case trail.CodeInvalidLookupAttributes, trail.CodeInvalidTimeRange, trail.CodeInvalidNextToken,
			trail.CodeInvalidMaxResults, trail.CodeInvalidEventCategory:
			return badRequest(string(we.Code), we.Message)
		case warden.CodeAccessDenied:
			return badRequest("AccessDeniedException", we.Message)
		case warden.CodeInvalidClientTokenID:
			return badRequest("UnrecognizedClientException", "The security token included in the request is invalid.")
		case warden.CodeExpiredToken:
			return badRequest("ExpiredTokenException", "The security token included in the request is expired")
		case warden.CodeSignatureDoesNotMatch, warden.CodeRequestExpired:
			return badRequest("InvalidSignatureException", we.Message)
		}
	}
	h.Log.ErrorContext(ctx, "internal error", "request_id", warden.RequestID(ctx), "service", service, "err", err)
	return &apiError{http.StatusInternalServerError, "InternalFailure", "An internal error occurred."}
}

// decodeLookup decodes LookupEvents' JSON input. Errors:
// SerializationException for a body that is not the input's JSON,
// InvalidMaxResultsException for MaxResults below 1.
func decodeLookup(body []byte) (*trail.Lookup, error) {
	var in lookupInput
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, badRequest("SerializationException", "Could not parse the request body as JSON.")
		}
	}
	lk := &trail.Lookup{EventCategory: in.EventCategory, NextToken: in.NextToken}
	for _, a := range in.LookupAttributes {
		lk.Attributes = append(lk.Attributes, trail.Attribute{Key: a.AttributeKey, Value: a.AttributeValue})
	}
	if in.StartTime != nil {
		lk.StartTime = &in.StartTime.Time
	}
	if in.EndTime != nil {
		lk.EndTime = &in.EndTime.Time
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 {
			return nil, badRequest(string(trail.CodeInvalidMaxResults), "MaxResults must be between 1 and 50.")
		}
		lk.MaxResults = *in.MaxResults
	}
	return lk, nil
}

func (h *Handler) serve(ctx context.Context, r *http.Request, op string, call *trail.Call) (any, error) {
	if r.Method != http.MethodPost {
		return nil, badRequest("UnknownOperationException", "CloudTrail operations are POST requests.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badRequest("SerializationException", "Could not read the request body.")
	}
	if len(body) > maxBody {
		return nil, badRequest("SerializationException", fmt.Sprintf("The request body must be at most %d bytes.", maxBody))
	}
	var params map[string]any
	if json.Unmarshal(body, &params) == nil && len(params) > 0 {
		call.JSON = params
	}
	sig, err := sigv4.Parse(r)
	if err != nil {
		return nil, err
	}
	if sig.Service != service {
		return nil, badRequest("InvalidSignatureException", "Credential should be scoped to correct service: '"+service+"'. ")
	}
	p, err := h.Auth.Authenticate(ctx, r, body, sig)
	if err != nil {
		// Recorded as the Query API records its failures, with the error
		// this client gets.
		failed := *call
		ae := h.apiError(ctx, err)
		failed.ErrorCode, failed.ErrorMessage = ae.code, ae.message
		h.Auth.RecordFailure(r, sig, &failed, err)
		return nil, err
	}
	call.Principal, call.AccessKeyID, call.Region = *p, sig.AccessKeyID, sig.Region
	if op != "LookupEvents" {
		return nil, badRequest("UnknownOperationException", "Warden's CloudTrail serves LookupEvents only.")
	}
	lk, err := decodeLookup(body)
	if err != nil {
		return nil, err
	}
	page, err := h.Trail.LookupEvents(ctx, p, lk)
	if err != nil {
		return nil, err
	}
	out := &lookupOutput{Events: make([]event, 0, len(page.Events)), NextToken: page.NextToken}
	for _, e := range page.Events {
		ev := event{EventID: e.ID, EventName: e.Name, ReadOnly: fmt.Sprint(e.ReadOnly), AccessKeyID: e.AccessKeyID,
			EventTime: float64(e.Time.Unix()), EventSource: e.Source, Username: e.Username, Resources: []resource{},
			CloudTrailEvent: string(e.Record)}
		if e.ResourceType != "" {
			ev.Resources = append(ev.Resources, resource{e.ResourceType, e.ResourceName})
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}
