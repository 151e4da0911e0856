package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// maxCached bounds the snapshot: every set of temporary credentials has its
// own entry, and many sessions may call between two writes.
const maxCached = 50000

// allowAll is the identity of a principal that IAM policies don't restrict
// (the root user behind a federated-user session), and the caller's side of
// the trust check in Decide.
var allowAll = sync.OnceValue(func() *policy.Set {
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`), policy.Identity)
	if err != nil {
		panic("authz: allow-all policy: " + err.Error())
	}
	return policy.Compile(policy.Named{Name: "root", Policy: p})
})

// session builds the policies of temporary credentials from their session
// record, in one read transaction:
//
//   - GetSessionToken: the user's own policies (the root user's are never
//     evaluated);
//   - AssumeRole: the role's identity policies and permissions boundary, the
//     session policies, and the role's tags overridden by the session tags;
//   - GetFederationToken: the issuing user's policies intersected with the
//     session policies; without session policies the federated user may do
//     nothing, as in AWS.
//
// Credentials whose record is gone have no permissions; those whose user or
// role was deleted (or deleted and created again: another unique ID) are
// orphans that may do nothing at all.
func (l *loader) session(ctx context.Context, keyID string) (*principalPolicies, error) {
	var pp *principalPolicies
	l.note(warden.KindSession, "", keyID)
	err := l.a.store.View(ctx, func(tx warden.Tx) error {
		sess, err := warden.Load[warden.Session](ctx, tx, "", keyID)
		if errors.Is(err, warden.ErrNotFound) {
			pp = orphan()
			return nil
		}
		if err != nil {
			return err
		}
		pp, err = l.sessionOf(ctx, tx, sess)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loading session %s: %w", keyID, err)
	}
	return pp, nil
}

func (l *loader) sessionOf(ctx context.Context, tx warden.Tx, sess *warden.Session) (*principalPolicies, error) {
	pp := &principalPolicies{}
	switch sess.Type {
	case warden.PrincipalUser, warden.PrincipalFederatedUser:
		if sess.Type == warden.PrincipalFederatedUser && sess.IssuerUser == "" {
			pp.identity = allowAll()
			pp.issuerARN = sess.IssuerARN
			break
		}
		name, id := sess.Name, sess.ID
		if sess.Type == warden.PrincipalFederatedUser {
			name, id = sess.IssuerUser, sess.IssuerUserID
		}
		base, err := l.user(ctx, tx, sess.Account, name, id)
		if err != nil {
			return nil, err
		}
		if base.orphan {
			return base, nil
		}
		*pp = *base
		if sess.Type == warden.PrincipalFederatedUser {
			pp.issuerARN = sess.IssuerARN
		}
	case warden.PrincipalAssumedRole:
		if err := l.role(ctx, tx, sess, pp); err != nil {
			return nil, err
		}
		if pp.orphan {
			return pp, nil
		}
	default: // the root user: never evaluated
		pp.identity = policy.Compile()
	}
	if sess.HasPolicies() || sess.Type == warden.PrincipalFederatedUser {
		if err := l.sessionPolicies(ctx, tx, sess, pp); err != nil {
			return nil, fmt.Errorf("loading session policies of %s: %w", sess.ARN, err)
		}
	}
	pp.tags = overrideTags(pp.tags, sess.Tags)
	pp.issued = sess.IssueTime
	pp.sourceIdentity = sess.SourceIdentity
	return pp, nil
}

// role fills pp with the policies of the role behind an assumed-role
// session; a role that is gone, or another role of the same name, makes the
// session an orphan.
func (l *loader) role(ctx context.Context, tx warden.Tx, sess *warden.Session, pp *principalPolicies) error {
	a := l.a
	var named []policy.Named
	l.note(warden.KindRole, sess.Account, warden.NameKey(sess.RoleName))
	r, err := warden.Load[warden.Role](ctx, tx, sess.Account, warden.NameKey(sess.RoleName))
	if errors.Is(err, warden.ErrNotFound) || (err == nil && r.ID != sess.RoleID) {
		*pp = *orphan()
		return nil
	}
	if err != nil {
		return fmt.Errorf("loading policies of %s: %w", sess.IssuerARN, err)
	}
	pp.issuerARN = r.ARN()
	pp.tags = r.Tags
	for _, ip := range r.InlinePolicies {
		if pol := a.parse("role/"+r.Name+"/"+ip.Name, ip.Document, policy.Identity); pol != nil {
			named = append(named, policy.Named{Name: "role/" + r.Name + "/" + ip.Name, Policy: pol})
		}
	}
	for _, arn := range r.AttachedPolicies {
		doc, err := l.managedDocument(ctx, tx, arn)
		if err != nil {
			return err
		}
		if pol := a.parse(arn, doc, policy.Identity); pol != nil {
			named = append(named, policy.Named{Name: arn, Policy: pol})
		}
	}
	if r.PermissionsBoundary != "" {
		doc, err := l.managedDocument(ctx, tx, r.PermissionsBoundary)
		if err != nil {
			return err
		}
		// A boundary that is gone or broken allows nothing.
		pp.boundary = policy.Compile(policy.Named{Name: r.PermissionsBoundary,
			Policy: a.parse(r.PermissionsBoundary, doc, policy.Boundary)})
	}
	pp.identity = policy.Compile(named...)
	return nil
}

// sessionPolicies compiles the inline and managed session policies. A
// managed session policy that is gone grants nothing.
func (l *loader) sessionPolicies(ctx context.Context, tx warden.Tx, sess *warden.Session, pp *principalPolicies) error {
	a := l.a
	var named []policy.Named
	for i, doc := range sess.SessionPolicies {
		name := fmt.Sprintf("session/%s/%d", sess.AccessKeyID, i)
		if pol := a.parse(name, doc, policy.Session); pol != nil {
			named = append(named, policy.Named{Name: name, Policy: pol})
		}
	}
	for _, arn := range sess.PolicyARNs {
		doc, err := l.managedDocument(ctx, tx, arn)
		if err != nil {
			return err
		}
		if pol := a.parse(arn, doc, policy.Session); pol != nil {
			named = append(named, policy.Named{Name: arn, Policy: pol})
		}
	}
	pp.session = policy.Compile(named...)
	return nil
}

// parse parses a stored document; one that is gone ("") or no longer parses
// grants nothing rather than failing requests.
func (a *Authorizer) parse(name, doc string, kind policy.Kind) *policy.Policy {
	if doc == "" {
		return nil
	}
	pol, err := policy.Parse([]byte(doc), kind)
	if err != nil {
		a.log.Warn("stored policy does not parse", "policy", name, "err", err)
		return nil
	}
	return pol
}

// overrideTags returns the principal's tags with the session tags replacing
// those of the same key (compared regardless of case) and added to them.
func overrideTags(base, session []warden.Tag) []warden.Tag {
	if len(session) == 0 {
		return base
	}
	out := make([]warden.Tag, 0, len(base)+len(session))
	for _, t := range base {
		overridden := false
		for _, s := range session {
			if strings.EqualFold(s.Key, t.Key) {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, t)
		}
	}
	return append(out, session...)
}

// Untracked returns a store for bookkeeping writes that decide no access
// (the last use of an access key): they leave this node's snapshot in place
// and stay out of the change feed (warden.Bookkeeping), so no node drops
// anything for them.
func Untracked(s warden.Store) warden.Store {
	if t, ok := s.(*tracked); ok {
		s = t.Store
	}
	return bookkeeping{s}
}

type bookkeeping struct{ warden.Store }

func (b bookkeeping) Update(ctx context.Context, fn func(warden.Tx) error) error {
	return b.Store.Update(warden.Bookkeeping(ctx), fn)
}
