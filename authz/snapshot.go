package authz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	awsmanaged "github.com/warden-iam/warden/managed"
	"github.com/warden-iam/warden/policy"
)

// principalPolicies is the compiled part of the snapshot for one principal.
type principalPolicies struct {
	identity *policy.Set
	boundary *policy.Set // nil without a permissions boundary
	tags     []warden.Tag
	// The rest describes temporary credentials (see session.go): their
	// session policies (nil without any), when they were issued, the source
	// identity, and the role or user they were issued from.
	session        *policy.Set
	issued         time.Time
	sourceIdentity string
	issuerARN      string
	// billingAccess is the account setting, in the entries billingAccess keeps.
	billingAccess bool
}

// cacheKey is per principal for long-term credentials and per session for
// temporary ones, whose policies and context differ from session to session.
func cacheKey(p *warden.Principal) string {
	if warden.IsTemporaryKey(p.AccessKeyID) {
		return "session/" + p.AccessKeyID
	}
	return p.Account + "/" + string(p.Type) + "/" + warden.NameKey(p.Name)
}

// policiesOf returns the compiled policies of p, from the snapshot when it is
// there, else read from the store in one read transaction.
func (a *Authorizer) policiesOf(ctx context.Context, p *warden.Principal) (*principalPolicies, error) {
	key := cacheKey(p)
	a.mu.RLock()
	pp, ok := a.cache[key]
	gen := a.gen
	a.mu.RUnlock()
	if ok {
		return pp, nil
	}
	pp, err := a.load(ctx, p)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.gen == gen { // nothing changed while we read: safe to keep
		if len(a.cache) >= maxCached {
			clear(a.cache) // bounds memory when many sessions call between writes
		}
		a.cache[key] = pp
	}
	a.mu.Unlock()
	return pp, nil
}

func (a *Authorizer) load(ctx context.Context, p *warden.Principal) (*principalPolicies, error) {
	if warden.IsTemporaryKey(p.AccessKeyID) {
		return a.loadSession(ctx, p.AccessKeyID)
	}
	pp := &principalPolicies{}
	if p.Type != warden.PrincipalUser {
		pp.identity = policy.Compile()
		return pp, nil
	}
	var named []policy.Named
	err := a.store.View(ctx, func(tx warden.Tx) error {
		u, err := warden.Load[warden.User](ctx, tx, p.Account, warden.NameKey(p.Name))
		if errors.Is(err, warden.ErrNotFound) {
			return nil // a user deleted mid-request has no permissions
		}
		if err != nil {
			return err
		}
		pp.tags = u.Tags
		add := func(name, doc string) {
			pol, err := a.parseIdentity(name, doc)
			if err != nil {
				// Stored documents were validated when written; one that no
				// longer parses grants nothing rather than failing requests.
				a.log.Warn("stored policy does not parse", "policy", name, "err", err)
				return
			}
			named = append(named, policy.Named{Name: name, Policy: pol})
		}
		addManaged := func(arn string) error {
			doc, err := a.managedDocument(ctx, tx, arn)
			if err != nil || doc == "" {
				return err
			}
			add(arn, doc)
			return nil
		}
		for _, ip := range u.InlinePolicies {
			add("user/"+u.Name+"/"+ip.Name, ip.Document)
		}
		for _, arn := range u.AttachedPolicies {
			if err := addManaged(arn); err != nil {
				return err
			}
		}
		for _, gname := range u.Groups {
			g, err := warden.Load[warden.Group](ctx, tx, p.Account, warden.NameKey(gname))
			if errors.Is(err, warden.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			for _, ip := range g.InlinePolicies {
				add("group/"+g.Name+"/"+ip.Name, ip.Document)
			}
			for _, arn := range g.AttachedPolicies {
				if err := addManaged(arn); err != nil {
					return err
				}
			}
		}
		if u.PermissionsBoundary != "" {
			doc, err := a.managedDocument(ctx, tx, u.PermissionsBoundary)
			if err != nil {
				return err
			}
			var b *policy.Policy
			if doc != "" {
				b, _ = policy.Parse([]byte(doc), policy.Boundary)
			}
			// A boundary that is gone or broken allows nothing.
			pp.boundary = policy.Compile(policy.Named{Name: u.PermissionsBoundary, Policy: b})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading policies of %s: %w", p.ARN, err)
	}
	pp.identity = policy.Compile(named...)
	return pp, nil
}

// UseAWSPolicies gives the Authorizer the catalogue of AWS managed policies
// (normally managed.Load, which loads it on first use). Without it, attached
// AWS managed policies grant nothing. Call it before the Authorizer is used.
func (a *Authorizer) UseAWSPolicies(load func() (*awsmanaged.Catalogue, error)) { a.awsPolicies = load }

// managedDocument returns the default version of a managed policy, or "" when
// the policy is gone. AWS managed policies come from the catalogue, never from
// the store.
func (a *Authorizer) managedDocument(ctx context.Context, tx warden.Tx, arn string) (string, error) {
	owner, name, ok := splitPolicyARN(arn)
	if !ok {
		return "", nil
	}
	if owner == warden.AWSManagedAccount {
		res, ok := strings.CutPrefix(arn, "arn:aws:iam::aws:policy/")
		if !ok || a.awsPolicies == nil {
			return "", nil
		}
		cat, err := a.awsPolicies()
		if err != nil {
			return "", err
		}
		if mp, ok := cat.Get("/"+strings.TrimSuffix(res, name), name); ok {
			return mp.Default().Document, nil
		}
		return "", nil
	}
	mp, err := warden.Load[warden.ManagedPolicy](ctx, tx, owner, warden.NameKey(name))
	if errors.Is(err, warden.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if mp.ARN() != arn {
		return "", nil
	}
	if v := mp.Default(); v != nil {
		return v.Document, nil
	}
	return "", nil
}

func splitPolicyARN(arn string) (owner, name string, ok bool) {
	const prefix = "arn:aws:iam::"
	if len(arn) <= len(prefix) || arn[:len(prefix)] != prefix {
		return "", "", false
	}
	rest := arn[len(prefix):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == ':' {
			owner = rest[:i]
			res := rest[i+1:]
			for j := len(res) - 1; j >= 0; j-- {
				if res[j] == '/' {
					return owner, res[j+1:], j+1 < len(res)
				}
			}
			return "", "", false
		}
	}
	return "", "", false
}

// Generation counts the times the snapshot was dropped. Other caches of the
// store's contents (iam's credential cache) compare it to know they are stale.
func (a *Authorizer) Generation() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.gen
}

// Invalidate drops the snapshot. Track calls it after every committed write;
// Watch calls it when another node changed the store.
func (a *Authorizer) Invalidate() {
	a.mu.Lock()
	a.gen++
	clear(a.cache)
	a.mu.Unlock()
}

// Track returns a Store that invalidates the snapshot after every committed
// Update. Operations must write through it.
func (a *Authorizer) Track(s warden.Store) warden.Store { return &tracked{Store: s, a: a} }

type tracked struct {
	warden.Store
	a *Authorizer
}

func (t *tracked) Update(ctx context.Context, fn func(warden.Tx) error) error {
	err := t.Store.Update(ctx, fn)
	t.a.Invalidate() // also on error: a failed commit may still have landed
	return err
}

// Poll reads the store's generation once and drops the snapshot when it
// moved since the last Poll, which is how writes by other nodes (or by local
// administration commands) reach this one.
func (a *Authorizer) Poll(ctx context.Context) error {
	g, err := a.store.Generation(ctx)
	if err != nil {
		return err
	}
	a.pollMu.Lock()
	changed := !a.polled || g != a.seen
	a.seen, a.polled = g, true
	a.pollMu.Unlock()
	if changed {
		a.Invalidate()
	}
	return nil
}

// Watch calls Poll every interval until ctx ends.
func (a *Authorizer) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Poll(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("reading store generation", "err", err)
			}
		}
	}
}

// parseIdentity parses an identity-based policy. AWS managed policies never
// change while the process runs, so their parses are kept across snapshots:
// ReadOnlyAccess alone takes milliseconds to parse.
func (a *Authorizer) parseIdentity(name, doc string) (*policy.Policy, error) {
	if !strings.HasPrefix(name, "arn:aws:iam::aws:") {
		return policy.Parse([]byte(doc), policy.Identity)
	}
	if p, ok := a.awsParsed.Load(name); ok {
		return p.(*policy.Policy), nil
	}
	p, err := policy.Parse([]byte(doc), policy.Identity)
	if err == nil {
		a.awsParsed.Store(name, p)
	}
	return p, err
}
