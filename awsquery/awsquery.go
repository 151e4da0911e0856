// Package awsquery is the AWS Query protocol front end of Warden: it decodes
// form requests, authenticates them with Signature Version 4, picks IAM or STS
// by the signature's service, calls the operation, and writes AWS's XML
// responses and <ErrorResponse> documents with the right HTTP status.
package awsquery

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/sigv4"
	"github.com/warden-iam/warden/sts"
	"github.com/warden-iam/warden/trail"
)

// maxBody bounds a request body: the largest policy document (131,072
// characters) URL-encoded with room to spare.
const maxBody = 1 << 20

const (
	iamVersion   = "2010-05-08"
	stsVersion   = "2011-06-15"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// Handler serves the IAM and STS Query APIs on one endpoint.
type Handler struct {
	IAM *iam.Service
	STS *sts.Service
	// Dev accepts requests signed with credentials that are not a known key
	// as DevUser, the virtual IAM user of DevAccount (see warden.DevUser):
	// their signature cannot be verified without a secret, so it must be
	// well formed and the request time within 15 minutes. Dev also refuses
	// cross-site browser requests (see CrossSite).
	Dev        bool
	DevAccount string
	DevUser    string // default warden.DefaultDevUser
	Log        *slog.Logger
	Now        func() time.Time
	// NewRequestID is replaceable for stable golden files.
	NewRequestID func() string
	// Observe, when set, is told of every finished request.
	Observe func(service, action, code string, status int, d time.Duration)
	// Limit, when set, is asked before an authenticated request runs
	// whether its caller may run service:action now; its error (Throttling)
	// is the answer. See package throttle.
	Limit func(ctx context.Context, p *warden.Principal, service, action string) error
	// Trail, when set, records every authenticated call in the event
	// history (buffered; it never makes a request wait), and every request
	// that fails authentication (rate-limited per source, see
	// trail.Recorder.Unauthenticated).
	Trail *trail.Recorder
	// UnknownKeyAccount is the account whose event history receives the
	// failed requests signed with an access key ID that names no identity
	// (the deployment's first account); "" records them under no account.
	UnknownKeyAccount string

	keys *sigv4.KeyCache
}

// NewHandler returns a Handler with defaults filled in.
func NewHandler(iamSvc *iam.Service, stsSvc *sts.Service, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.Default()
	}
	return &Handler{IAM: iamSvc, STS: stsSvc, Log: log, Now: time.Now, NewRequestID: newRequestID, keys: sigv4.NewKeyCache(4096)}
}

// newRequestID returns a random UUID (version 4), the shape of AWS request IDs.
func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("awsquery: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// call is one request on its way through.
type call struct {
	requestID string
	service   string // "iam" or "sts"
	action    string
	// What the event history records of an authenticated call.
	principal   *warden.Principal
	accessKeyID string
	region      string
	form        url.Values
	// authFailed marks a signed request that failed authentication;
	// claimed is the identity its access key ID names, nil when none.
	authFailed bool
	claimed    *warden.Principal
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.Now()
	c := &call{requestID: h.NewRequestID(), service: "iam"}
	ctx := warden.WithRequestID(r.Context(), c.requestID)
	result, err := h.serve(ctx, c, r)
	if h.Trail != nil {
		switch {
		case c.principal != nil:
			h.record(start, c, result, err)
		case c.authFailed:
			h.recordFailure(start, c, r, err)
		}
	}
	status := http.StatusOK
	code := ""
	aborted := false
	if err != nil {
		status, code = h.writeError(ctx, w, c, err)
	} else {
		status, code, aborted = h.writeResult(ctx, w, c, result)
	}
	if h.Observe != nil {
		action := c.action
		if !h.IAM.Has(action) && !h.STS.Has(action) {
			action = "unknown" // keeps metric labels bounded whatever clients send
		}
		h.Observe(c.service, action, code, status, h.Now().Sub(start))
	}
	h.Log.InfoContext(ctx, "request", "request_id", c.requestID, "service", c.service, "action", c.action,
		"status", status, "code", code, "duration_ms", float64(h.Now().Sub(start).Microseconds())/1000)
	if aborted {
		// Part of the response is out: cut the connection so that the
		// client sees a broken response, never a short one that parses.
		panic(http.ErrAbortHandler)
	}
}

func (h *Handler) serve(ctx context.Context, c *call, r *http.Request) (any, error) {
	if h.Dev && CrossSite(r) {
		return nil, ErrCrossSite
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, warden.Errorf(warden.CodeInvalidAction, "Unsupported HTTP method %s", r.Method)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, warden.Errorf(warden.CodeValidationError, "Could not read the request body.")
	}
	if len(body) > maxBody {
		return nil, warden.Errorf(warden.CodeRequestTooLarge, "Request body must be at most %d bytes.", maxBody)
	}
	form, err := decodeForm(r, body)
	if err != nil {
		return nil, err
	}
	c.action = form.Get("Action")
	if sts.Unsigned(c.action) && !signed(r) {
		return h.unsigned(ctx, c, r, form)
	}

	sig, err := sigv4.Parse(r)
	if err != nil {
		return nil, err
	}
	switch sig.Service {
	case "iam", "sts":
		c.service = sig.Service
	default:
		return nil, &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch,
			Message: "Credential should be scoped to correct service: 'iam' or 'sts'. "}
	}
	p, err := h.authenticate(ctx, r, body, sig, c)
	if err != nil {
		c.authFailed, c.accessKeyID, c.region, c.form = true, sig.AccessKeyID, sig.Region, form
		return nil, err
	}
	if c.action == "" {
		return nil, warden.Errorf(warden.CodeMissingAction, "Missing Action")
	}
	want := iamVersion
	if c.service == "sts" {
		want = stsVersion
	}
	if v := form.Get("Version"); v != want {
		if v == "" {
			return nil, warden.Errorf(warden.CodeMissingParameter, "The request must contain the parameter Version")
		}
		return nil, warden.Errorf(warden.CodeInvalidAction, "Could not find operation %s for version %s", c.action, v)
	}
	p.SourceIP = remoteIP(r)
	p.UserAgent = r.UserAgent()
	p.SecureTransport = r.TLS != nil
	if h.Limit != nil {
		if err := h.Limit(ctx, p, c.service, c.action); err != nil {
			return nil, err
		}
	}
	c.principal, c.accessKeyID, c.region, c.form = p, sig.AccessKeyID, sig.Region, form
	if c.service == "sts" {
		return h.STS.Invoke(ctx, p, c.action, form)
	}
	return h.IAM.Invoke(ctx, p, c.action, form)
}

// record hands the call to the event history. Unknown errors are recorded
// as the InternalFailure the client sees.
func (h *Handler) record(start time.Time, c *call, result any, err error) {
	tc := &trail.Call{Time: start.UTC(), RequestID: c.requestID, Service: c.service, Action: c.action,
		Principal: *c.principal, AccessKeyID: c.accessKeyID, Region: c.region, Params: c.form, Result: result}
	if err != nil {
		tc.Result = nil
		var we *warden.Error
		if errors.As(err, &we) {
			if _, ok := statusOf(string(we.Code)); ok {
				tc.ErrorCode, tc.ErrorMessage = string(we.Code), we.Message
			}
		}
		if tc.ErrorCode == "" {
			tc.ErrorCode, tc.ErrorMessage = string(warden.CodeInternalFailure), "We encountered an internal error. Please try again."
		}
	}
	h.Trail.API(tc)
}

// recordFailure hands a request that failed authentication to the event
// history, with the identity its key ID names (or Unknown) and the error the
// client got.
func (h *Handler) recordFailure(start time.Time, c *call, r *http.Request, err error) {
	var p warden.Principal
	if c.claimed != nil {
		p = *c.claimed
	} else {
		p = warden.Principal{Account: h.UnknownKeyAccount}
	}
	p.SourceIP, p.UserAgent, p.Region = remoteIP(r), r.UserAgent(), c.region
	tc := &trail.Call{Time: start.UTC(), RequestID: c.requestID, Service: c.service, Action: c.action,
		Principal: p, AccessKeyID: c.accessKeyID, Region: c.region, Params: c.form}
	var we *warden.Error
	var se *sigv4.Error
	switch {
	case errors.As(err, &we):
		tc.ErrorCode, tc.ErrorMessage = string(we.Code), we.Message
	case errors.As(err, &se):
		tc.ErrorCode, tc.ErrorMessage = se.Code, se.Message
	}
	if _, ok := statusOf(tc.ErrorCode); !ok {
		tc.ErrorCode, tc.ErrorMessage = string(warden.CodeInternalFailure), "We encountered an internal error. Please try again."
	}
	h.Trail.Unauthenticated(tc)
}

// decodeForm merges the query string and a form-encoded body, as AWS accepts
// Query requests both ways.
func decodeForm(r *http.Request, body []byte) (url.Values, error) {
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, warden.Errorf(warden.CodeMalformedQueryString, "The query string is malformed.")
	}
	if len(body) > 0 {
		ct := r.Header.Get("Content-Type")
		if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
			return nil, warden.Errorf(warden.CodeValidationError, "Unsupported Content-Type %q: use application/x-www-form-urlencoded.", ct)
		}
		bf, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, warden.Errorf(warden.CodeMalformedQueryString, "The request body is not a well-formed form.")
		}
		for k, v := range bf {
			form[k] = append(form[k], v...)
		}
	}
	return form, nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var errInvalidToken = &warden.Error{Code: warden.CodeInvalidClientTokenID, Message: "The security token included in the request is invalid."}

// credential is what authentication needs of an access key, long-term or
// temporary.
type credential struct {
	secret    string
	principal warden.Principal
	// refusal, when set, is the error to answer once the signature is known
	// to be good: an inactive key, or temporary credentials that may not
	// call this service.
	refusal error
}

// lookup finds the credential a request is signed with. Temporary
// credentials (ASIA key IDs) must carry their session token: an unknown
// key or a missing or wrong token is InvalidClientTokenId, an expired
// session ExpiredToken. A session token with a long-term key is a forgery.
func (h *Handler) lookup(ctx context.Context, sig *sigv4.Signature) (*credential, error) {
	if warden.IsTemporaryKey(sig.AccessKeyID) {
		c, err := h.STS.Credential(ctx, sig.AccessKeyID, sig.SecurityToken)
		if errors.Is(err, sts.ErrExpiredToken) && c != nil {
			return &credential{principal: c.Principal}, err // whose session it was
		}
		if err != nil {
			return nil, err
		}
		cred := &credential{secret: c.Secret, principal: c.Principal}
		if c.DefaultRegionsOnly && sts.OptInRegion(sig.Region) {
			// A version 1 token of the global endpoint, as on AWS.
			cred.refusal = errInvalidToken
		}
		if sig.Service == "iam" && !c.IAM {
			// Federated users and sessions without MFA from
			// GetSessionToken may not call IAM, as on AWS.
			cred.refusal = errInvalidToken
		}
		return cred, nil
	}
	c, err := h.IAM.Credential(ctx, sig.AccessKeyID)
	if err != nil {
		return nil, err
	}
	cred := &credential{secret: c.Secret, principal: c.Principal}
	if !c.Active || sig.SecurityToken != "" {
		cred.refusal = errInvalidToken
	}
	return cred, nil
}

// authenticate verifies the signature and resolves the principal.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, body []byte, sig *sigv4.Signature, c *call) (*warden.Principal, error) {
	cred, err := h.lookup(ctx, sig)
	if errors.Is(err, warden.ErrNotFound) {
		if h.Dev {
			return h.devUser(sig)
		}
		return nil, errInvalidToken
	}
	if cred != nil {
		c.claimed = &cred.principal // whose key it is, for the event history
	}
	if err != nil {
		return nil, err
	}
	if err := sig.CheckTime(h.Now()); err != nil {
		return nil, skewError(sig, err)
	}
	if err := sig.Verify(r, body, cred.secret, h.keys); err != nil {
		return nil, err
	}
	if cred.refusal != nil {
		return nil, cred.refusal
	}
	if !warden.IsTemporaryKey(sig.AccessKeyID) {
		if err := h.IAM.RecordKeyUse(ctx, sig.AccessKeyID, sig.Service, sig.Region); err != nil {
			h.Log.WarnContext(ctx, "recording access key use", "request_id", warden.RequestID(ctx), "err", err)
		}
	}
	p := cred.principal
	p.Region = sig.Region
	h.IAM.CountRequest(p.Account, sig.Service) // the usage the billing pages show
	return &p, nil
}

// skewError answers a request signed in its Authorization header more than
// 15 minutes off as IAM and STS do: SignatureDoesNotMatch (403) with sigv4's
// "Signature expired: ..." explanation (aws-cli issue 6676, aws-sdk-go issue
// 884, devsecops/bootcamp issue 101 record it). SDKs read it as clock skew
// and correct their clock. A presigned URL past its expiry stays
// RequestExpired.
func skewError(sig *sigv4.Signature, err error) error {
	var se *sigv4.Error
	if sig.Presigned || !errors.As(err, &se) || se.Code != sigv4.CodeRequestExpired {
		return err
	}
	return &sigv4.Error{Code: sigv4.CodeSignatureDoesNotMatch, Message: se.Message}
}

func namespace(service string) string {
	if service == "sts" {
		return stsNamespace
	}
	return iamNamespace
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// writeResult streams the response document of result to w through a
// buffer: the response is never held whole in memory. An error before the
// first byte has left (the status line goes with it) is still answered as
// an <ErrorResponse>; after that the response can only be cut, which
// aborted reports. It returns the status and error code sent.
func (h *Handler) writeResult(ctx context.Context, w http.ResponseWriter, c *call, result any) (status int, code string, aborted bool) {
	out := &lazyResponse{w: w, requestID: c.requestID}
	b := bufio.NewWriterSize(out, responseBuffer)
	b.WriteString(`<` + c.action + `Response xmlns="` + namespace(c.service) + `">` + "\n")
	var err error
	if result != nil {
		// Hidden behind a plain io.Writer, b is not taken over by the
		// encoder as its own buffer: the encoder flushes at the end of
		// every element, which must reach b, not the connection.
		enc := xml.NewEncoder(struct{ io.Writer }{b})
		enc.Indent("  ", "  ")
		if err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: c.action + "Result"}}); err == nil {
			b.WriteString("\n")
		}
	}
	if err == nil {
		b.WriteString("  <ResponseMetadata>\n    <RequestId>" + c.requestID + "</RequestId>\n  </ResponseMetadata>\n")
		b.WriteString(`</` + c.action + `Response>` + "\n")
		err = b.Flush()
	}
	switch {
	case err == nil:
		return http.StatusOK, "", false
	case !out.started:
		status, code := h.writeError(ctx, w, c, fmt.Errorf("encoding %s result: %w", c.action, err))
		return status, code, false
	}
	h.Log.WarnContext(ctx, "response cut short", "request_id", c.requestID, "action", c.action, "err", err)
	return http.StatusOK, "", true
}

// responseBuffer is how much of a response is gathered before it is sent:
// small responses leave in one write, large ones in pieces of this size.
const responseBuffer = 32 << 10

// lazyResponse sends the status and headers of a successful response with
// its first byte, so that until then an error can still be answered.
type lazyResponse struct {
	w         http.ResponseWriter
	requestID string
	started   bool
}

func (l *lazyResponse) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "text/xml")
		l.w.Header().Set("x-amzn-RequestId", l.requestID)
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeError answers err as AWS would and returns the status and code sent.
func (h *Handler) writeError(ctx context.Context, w http.ResponseWriter, c *call, err error) (int, string) {
	code, msg := "", ""
	var we *warden.Error
	var se *sigv4.Error
	switch {
	case errors.As(err, &we):
		code, msg = string(we.Code), we.Message
	case errors.As(err, &se):
		code, msg = se.Code, se.Message
	}
	status, ok := statusOf(code)
	if !ok {
		h.Log.ErrorContext(ctx, "internal error", "request_id", c.requestID, "action", c.action, "err", err)
		code, msg, status = string(warden.CodeInternalFailure), "We encountered an internal error. Please try again.", http.StatusInternalServerError
	}
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	out, _ := xml.MarshalIndent(errorResponse{Xmlns: namespace(c.service), Error: errorBody{kind, code, msg}, RequestID: c.requestID}, "", "  ")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("x-amzn-RequestId", c.requestID)
	w.WriteHeader(status)
	w.Write(out)
	w.Write([]byte("\n"))
	return status, code
}

// statusOf is the one table from AWS error code to HTTP status.
func statusOf(code string) (int, bool) {
	switch warden.Code(code) {
	case warden.CodeValidationError, warden.CodeInvalidInput, warden.CodeInvalidParameterValue,
		warden.CodeMissingParameter, warden.CodeMissingAction, warden.CodeInvalidAction,
		warden.CodeMalformedPolicyDocument, warden.CodePasswordPolicyViolation, warden.CodeUnmodifiableEntity,
		warden.CodeMalformedQueryString, warden.CodeInvalidQueryParameter, warden.CodeIncompleteSignature,
		warden.CodeRequestExpired,
		warden.CodeThrottling, "InvalidUserType", sts.CodeInvalidAuthorizationMessage, sts.CodePackedPolicyTooLarge,
		"MalformedInput", "InvalidIdentityToken", "ExpiredTokenException", "IDPCommunicationError",
		warden.CodeUnrecognizedPublicKeyEncoding, warden.CodeInvalidPublicKey, warden.CodeDuplicateSSHPublicKey,
		warden.CodeMalformedCertificate, warden.CodeInvalidCertificate, warden.CodeKeyPairMismatch,
		warden.CodeOrganizationNotFound, warden.CodeRoleTemplateDisabled, sts.CodeExpiredTradeInToken:
		return http.StatusBadRequest, true
	case "IDPRejectedClaim", "OutboundWebIdentityFederationDisabledException":
		return http.StatusForbidden, true
	// IAM answers an expired session token with 403 (cfn-sphere issue 55
	// records the response).
	case warden.CodeAccessDenied, warden.CodeMissingAuthenticationToken, warden.CodeInvalidClientTokenID, warden.CodeExpiredToken,
		warden.CodeSignatureDoesNotMatch, warden.CodeInvalidAuthenticationCode:
		return http.StatusForbidden, true
	case warden.CodeNoSuchEntity, warden.CodeNotSupportedService, warden.CodeFeatureDisabled:
		return http.StatusNotFound, true
	// Enabling outbound web identity federation twice conflicts; disabling
	// it twice is FeatureDisabled, 404, in the list above (the API reference).
	case "FeatureEnabled", warden.CodeEntityAlreadyExists, warden.CodeDeleteConflict, warden.CodeLimitExceeded,
		warden.CodeConcurrentModification, warden.CodeEntityTemporarilyUnmodifiable, warden.CodeDuplicateCertificate,
		warden.CodeNameConflict:
		return http.StatusConflict, true
	case iam.CodeReportNotPresent, iam.CodeReportExpired:
		return http.StatusGone, true
	case iam.CodeReportInProgress:
		return http.StatusNotFound, true
	case warden.CodeRequestTooLarge:
		return http.StatusRequestEntityTooLarge, true
	case warden.CodeServiceFailure:
		return http.StatusInternalServerError, true
	}
	return 0, false
}
