// Package notices is the front end of temporary delegation's notification
// channels. AWS publishes a delegation request's news and its exchange token
// to the partner's SNS topic; Warden has no SNS, so it keeps the messages
// and the partner collects them with a SigV4-signed
// GET /warden/delegation-notices?TopicArn=arn:aws:sns:REGION:ACCOUNT:NAME,
// answered as JSON ({"Notices":[{"MessageId","TopicArn","Subject",
// "Message","Timestamp"}]}, oldest first, each delivered once). Access is
// decided by iam (sns:Subscribe on the topic), never here.
package notices

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/sigv4"
)

// Path is where the handler is mounted.
const Path = "/warden/delegation-notices"

// Authenticator verifies a request's signature and resolves the caller;
// *awsquery.Handler is one.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, body []byte, sig *sigv4.Signature) (*warden.Principal, error)
}

// Receiver hands out a topic's messages; *iam.Service is one.
type Receiver interface {
	ReceiveDelegationNotices(ctx context.Context, p *warden.Principal, topic string) ([]iam.Notice, error)
}

// Handler serves Path.
type Handler struct {
	Auth Authenticator
	IAM  Receiver
	Log  *slog.Logger
}

type errorBody struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, "InternalFailure", "Internal server error"
	var we *warden.Error
	var se *sigv4.Error
	switch {
	case errors.As(err, &se):
		status, code, msg = http.StatusForbidden, string(se.Code), se.Message
	case errors.As(err, &we):
		msg, code = we.Message, string(we.Code)
		switch we.Code {
		case warden.CodeAccessDenied, warden.CodeInvalidClientTokenID, warden.CodeExpiredToken,
			warden.CodeSignatureDoesNotMatch, warden.CodeRequestExpired:
			status = http.StatusForbidden
		case warden.CodeInvalidInput, warden.CodeValidationError:
			status = http.StatusBadRequest
		default:
			status, code, msg = http.StatusInternalServerError, "InternalFailure", "Internal server error"
		}
	}
	if status == http.StatusInternalServerError && h.Log != nil {
		h.Log.ErrorContext(r.Context(), "delegation notices", "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(struct {
		Error errorBody `json:"Error"`
	}{errorBody{code, msg}})
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	sig, err := sigv4.Parse(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := h.Auth.Authenticate(r.Context(), r, nil, sig)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.IAM.ReceiveDelegationNotices(r.Context(), p, r.URL.Query().Get("TopicArn"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if out == nil {
		out = []iam.Notice{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(struct {
		Notices []iam.Notice `json:"Notices"`
	}{out})
}
