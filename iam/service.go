// Package iam implements each AWS IAM operation once: authorize with authz,
// validate the input, then write through Store.Update together with an audit
// event. The API front end and the console both call Service.Invoke.
package iam

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/apimodel"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/managed"
	"github.com/warden-iam/warden/secrets"
)

// Service runs IAM operations against a store.
type Service struct {
	store warden.Store
	authz *authz.Authorizer
	box   *secrets.Box
	model *apimodel.Service
	ops   map[string]operation
	uses  keyUse
	usage usageCounter
	// creds keeps the credentials of recent requests so that authenticating
	// one reads no database; it follows the authorization snapshot.
	creds *authz.Cache[*Credential]
	// awsPolicies gives the catalogue of AWS managed policies, loaded on
	// first use so that starting a server does not pay for it.
	awsPolicies func() (*managed.Catalogue, error)
	// roleTemplates are the role templates by ARN (SetRoleTemplates).
	roleTemplates map[string]*RoleTemplate

	// IssuerBase is the https URL under which the accounts' OpenID Connect
	// issuers are published (outbound web identity federation).
	IssuerBase string
	// FlushAccessAdvisor, when set, writes the access advisor's buffered usage
	// before a report is made, so that a report includes this node's
	// latest use.
	FlushAccessAdvisor func(context.Context) error

	// BeforeCredentialReport, when set, is called by a background credential
	// report generation before it reads the account (tests hold one there
	// to see it in progress).
	BeforeCredentialReport func(account string)
	reports                sync.WaitGroup
	reportSlots            chan struct{}

	// DevUserARN is the ARN of --dev's virtual IAM user, which trust
	// policies may name although it is not stored.
	DevUserARN string

	// Now, NewID and NewSecret are replaceable so that tests and golden files
	// are stable.
	Now       func() time.Time
	NewID     func(prefix string, n int) string
	NewSecret func() string
}

// New returns a Service.
func New(store warden.Store, az *authz.Authorizer, box *secrets.Box) *Service {
	s := &Service{
		store:     store,
		authz:     az,
		box:       box,
		model:     apimodel.Load("iam"),
		Now:       func() time.Time { return time.Now() },
		NewID:     secrets.NewID,
		NewSecret: secrets.NewSecretAccessKey,

		awsPolicies: managed.Load,
		creds:       authz.NewCache[*Credential](maxCachedCredentials),
		reportSlots: make(chan struct{}, maxReportGenerations),
	}
	az.Follow(s.creds)
	s.ops = s.operations()
	ts, err := builtins()
	if err != nil {
		panic("iam: " + err.Error())
	}
	if err := s.AddRoleTemplates(ts); err != nil {
		panic("iam: " + err.Error())
	}
	return s
}

// operation is one registered IAM action.
type operation struct {
	newInput func() any
	run      func(ctx context.Context, p *warden.Principal, in any) (any, error)
}

func op[I, O any](f func(context.Context, *warden.Principal, *I) (*O, error)) operation {
	return operation{
		newInput: func() any { return new(I) },
		run: func(ctx context.Context, p *warden.Principal, in any) (any, error) {
			out, err := f(ctx, p, in.(*I))
			if out == nil || err != nil {
				return nil, err
			}
			return out, nil
		},
	}
}

// noOutput adapts an operation whose response carries no result.
func noOutput[I any](f func(context.Context, *warden.Principal, *I) error) operation {
	return operation{
		newInput: func() any { return new(I) },
		run: func(ctx context.Context, p *warden.Principal, in any) (any, error) {
			return nil, f(ctx, p, in.(*I))
		},
	}
}

// Has reports whether action is an IAM operation Warden implements.
func (s *Service) Has(action string) bool {
	_, ok := s.ops[action]
	return ok
}

// Invoke decodes form as the input of action, runs it for p, and returns the
// operation's result (a struct with the AWS XML shape) or nil when the
// operation has none. Errors are *warden.Error with AWS codes; an unknown
// action gives InvalidAction.
func (s *Service) Invoke(ctx context.Context, p *warden.Principal, action string, form url.Values) (any, error) {
	o, ok := s.ops[action]
	if !ok {
		return nil, warden.Errorf(warden.CodeInvalidAction, "Could not find operation %s for version 2010-05-08", action)
	}
	in := o.newInput()
	if err := s.model.Decode(action, form, in); err != nil {
		return nil, err
	}
	// What deciding this request needs is read now, before the operation
	// opens a transaction: authorizing inside one then reads nothing.
	ctx, err := s.authz.Prepare(ctx, p)
	if err != nil {
		return nil, err
	}
	return o.run(ctx, p, in)
}

// now returns the current time in UTC at the second, as IAM reports times.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

func (s *Service) authorize(ctx context.Context, p *warden.Principal, action, resource string, keys map[string][]string) error {
	return s.authz.Authorize(ctx, p, authz.Request{Action: "iam:" + action, Resource: resource, Context: keys})
}

// update runs fn in a write transaction and appends the audit event of the
// operation in the same transaction.
func (s *Service) update(ctx context.Context, p *warden.Principal, action, resource string, fn func(tx warden.Tx) error) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, warden.AuditEvent{
			Time:      s.Now().UTC(),
			Account:   p.Account,
			RequestID: warden.RequestID(ctx),
			Actor:     p.ARN,
			Action:    "iam:" + action,
			Resource:  resource,
			SourceIP:  p.SourceIP,
			UserAgent: p.UserAgent,
			Outcome:   "Success",
		})
	})
}

func (s *Service) view(ctx context.Context, fn func(tx warden.Tx) error) error {
	return s.store.View(ctx, fn)
}

// arn builds an IAM ARN in the caller's account.
func arn(account, kind, path, name string) string {
	return "arn:aws:iam::" + account + ":" + kind + path + name
}

func orDefault(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// Errors in IAM's words.

func noSuchEntity(format string, args ...any) error {
	return warden.Errorf(warden.CodeNoSuchEntity, format, args...)
}

func invalidInput(format string, args ...any) error {
	return warden.Errorf(warden.CodeInvalidInput, format, args...)
}

func limitExceeded(format string, args ...any) error {
	return warden.Errorf(warden.CodeLimitExceeded, format, args...)
}

func deleteConflict(format string, args ...any) error {
	return warden.Errorf(warden.CodeDeleteConflict, format, args...)
}

func alreadyExists(format string, args ...any) error {
	return warden.Errorf(warden.CodeEntityAlreadyExists, format, args...)
}

// notFoundAs turns the store's ErrNotFound into err, leaving other errors alone.
func notFoundAs(err error, nf error) error {
	if errors.Is(err, warden.ErrNotFound) {
		return nf
	}
	return err
}

func (s *Service) loadUser(ctx context.Context, tx warden.Tx, account, name string) (*warden.User, error) {
	u, err := warden.Load[warden.User](ctx, tx, account, warden.NameKey(name))
	return u, notFoundAs(err, noSuchEntity("The user with name %s cannot be found.", name))
}

func (s *Service) loadGroup(ctx context.Context, tx warden.Tx, account, name string) (*warden.Group, error) {
	g, err := warden.Load[warden.Group](ctx, tx, account, warden.NameKey(name))
	return g, notFoundAs(err, noSuchEntity("The group with name %s cannot be found.", name))
}

func (s *Service) loadAccount(ctx context.Context, tx warden.Tx, id string) (*warden.Account, error) {
	a, err := warden.Load[warden.Account](ctx, tx, "", id)
	return a, notFoundAs(err, noSuchEntity("The account %s cannot be found.", id))
}

// hasPathPrefix filters by a PathPrefix parameter ("" matches all).
func hasPathPrefix(path, prefix string) bool {
	return prefix == "" || strings.HasPrefix(path, prefix)
}

// insertWithin stores a new entity of kind unless account already holds
// quota of them (LimitExceeded, naming quotaName) or one of its name (exists).
func insertWithin(ctx context.Context, tx warden.Tx, e warden.Entity, kind warden.Kind, account string, quota int, quotaName string, exists error) error {
	n, err := tx.Count(ctx, kind, account)
	if err != nil {
		return err
	}
	if n >= quota {
		return limitExceeded("Cannot exceed quota for %s: %d", quotaName, quota)
	}
	err = warden.Insert(ctx, tx, e)
	if errors.Is(err, warden.ErrAlreadyExists) {
		return exists
	}
	return err
}
