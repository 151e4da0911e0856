package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/warden-iam/warden/awsquery"
)

// Wiper is a store that can delete everything it holds (sqlite.Store and
// postgres.Store are).
type Wiper interface {
	Wipe(ctx context.Context) error
}

// ErrNoReset is Reset's answer for a store that cannot be wiped.
var ErrNoReset = errors.New("server: the store cannot be reset")

// Reset wipes the store back to the state of a first start: every record
// and audit event is deleted, the first account and its root user are
// bootstrapped again, and the authorization snapshot and the credential
// cache are dropped. Sessions and keys issued before are gone with it.
// Errors are ErrNoReset and the store's.
func (s *Server) Reset(ctx context.Context) error {
	w, ok := s.raw.(Wiper)
	if !ok {
		return ErrNoReset
	}
	s.resetMu.Lock()
	defer s.resetMu.Unlock()
	err := w.Wipe(ctx)
	s.Authz.Invalidate() // the snapshot and, through its generation, iam's credential cache
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if _, err := s.IAM.Bootstrap(ctx, s.cfg.Bootstrap); err != nil {
		return fmt.Errorf("reset: bootstrap: %w", err)
	}
	return nil
}

// serveReset is POST /warden/reset (and /moto-api/reset): in dev mode it
// resets and answers 200; otherwise the path does not exist.
func (s *Server) serveReset(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.Dev {
		http.NotFound(w, r)
		return
	}
	if awsquery.CrossSite(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "AccessDenied: "+awsquery.ErrCrossSite.Message+"\n")
		return
	}
	if err := s.Reset(r.Context()); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "reset", "err", err)
		http.Error(w, "reset failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ok"}`+"\n")
}
