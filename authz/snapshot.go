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
	// orphan marks a principal that no longer exists with the unique ID
	// its credentials stand for: it may do nothing (see orphan).
	orphan bool
}

// cacheKey is per principal for long-term credentials and per session for
// temporary ones, whose policies and context differ from session to session.
// A principal is its unique ID, never its name: a user deleted and created
// again under the same name is another principal with another entry.
func cacheKey(p *warden.Principal) string {
	if warden.IsTemporaryKey(p.AccessKeyID) {
		return "session/" + p.AccessKeyID
	}
	return p.Account + "/" + string(p.Type) + "/" + p.ID
}

type preparedKey struct{}

// prepared is what Prepare loaded for the caller of a request.
type prepared struct {
	key     string
	pp      *principalPolicies
	account string
	billing bool
}

// Prepare loads everything deciding the requests of p needs — its compiled
// policies and its account's billing-access setting — and returns a context
// that carries it. Operations call it before they open a transaction, so
// that authorizing inside one reads nothing from the store: a request never
// waits for a connection while it holds one. Errors come from the store.
func (a *Authorizer) Prepare(ctx context.Context, p *warden.Principal) (context.Context, error) {
	if p == nil || p.IsRoot() || a.mode == Off {
		return ctx, nil
	}
	key := cacheKey(p)
	if pr, ok := ctx.Value(preparedKey{}).(*prepared); ok && pr.key == key {
		return ctx, nil
	}
	pp, err := a.policiesOf(ctx, p)
	if err != nil {
		return ctx, err
	}
	billing, err := a.billingAccess(ctx, p.Account)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, preparedKey{}, &prepared{key: key, pp: pp, account: p.Account, billing: billing}), nil
}

// policiesOf returns the compiled policies of p: the ones Prepare put in ctx,
// else from the snapshot, else read from the store in one read transaction
// (concurrent misses for one principal share one read).
func (a *Authorizer) policiesOf(ctx context.Context, p *warden.Principal) (*principalPolicies, error) {
	key := cacheKey(p)
	if pr, ok := ctx.Value(preparedKey{}).(*prepared); ok && pr.key == key {
		return pr.pp, nil
	}
	if pp, ok := a.policies.Get(key); ok {
		return pp, nil
	}
	v, err, _ := a.flight.Do(key, func() (any, error) {
		if pp, ok := a.policies.Get(key); ok {
			return pp, nil
		}
		epoch := a.policies.Epoch()
		// The shared read must not fail because the first caller went away.
		l := &loader{a: a}
		pp, err := l.principal(context.WithoutCancel(ctx), p)
		if err != nil {
			return nil, err
		}
		a.policies.Put(key, pp, l.refs, epoch)
		return pp, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*principalPolicies), nil
}

// loader reads a principal's policies and notes every record it read, so
// that the snapshot entry is dropped when one of them changes.
type loader struct {
	a    *Authorizer
	refs []warden.Ref
}

func (l *loader) note(kind warden.Kind, account, key string) {
	l.refs = append(l.refs, warden.Ref{Kind: kind, Account: account, Key: key})
}

func (l *loader) principal(ctx context.Context, p *warden.Principal) (*principalPolicies, error) {
	if warden.IsTemporaryKey(p.AccessKeyID) {
		return l.session(ctx, p.AccessKeyID)
	}
	if p.Type != warden.PrincipalUser {
		return &principalPolicies{identity: policy.Compile()}, nil
	}
	var pp *principalPolicies
	err := l.a.store.View(ctx, func(tx warden.Tx) (err error) {
		pp, err = l.user(ctx, tx, p.Account, p.Name, p.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loading policies of %s: %w", p.ARN, err)
	}
	return pp, nil
}

// user compiles the policies of the user named name whose unique ID is id.
// When there is no such user, or the user of that name has another ID (it
// was deleted and created again), the principal is an orphan: it may do
// nothing, whatever any policy says.
func (l *loader) user(ctx context.Context, tx warden.Tx, account, name, id string) (*principalPolicies, error) {
	a := l.a
	pp := &principalPolicies{}
	l.note(warden.KindUser, account, warden.NameKey(name))
	u, err := warden.Load[warden.User](ctx, tx, account, warden.NameKey(name))
	if errors.Is(err, warden.ErrNotFound) || (err == nil && u.ID != id) {
		return orphan(), nil
	}
	if err != nil {
		return nil, err
	}
	var named []policy.Named
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
		doc, err := l.managedDocument(ctx, tx, arn)
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
			return nil, err
		}
	}
	for _, gname := range u.Groups {
		l.note(warden.KindGroup, account, warden.NameKey(gname))
		g, err := warden.Load[warden.Group](ctx, tx, account, warden.NameKey(gname))
		if errors.Is(err, warden.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, ip := range g.InlinePolicies {
			add("group/"+g.Name+"/"+ip.Name, ip.Document)
		}
		for _, arn := range g.AttachedPolicies {
			if err := addManaged(arn); err != nil {
				return nil, err
			}
		}
	}
	if u.PermissionsBoundary != "" {
		doc, err := l.managedDocument(ctx, tx, u.PermissionsBoundary)
		if err != nil {
			return nil, err
		}
		var b *policy.Policy
		if doc != "" {
			b, _ = policy.Parse([]byte(doc), policy.Boundary)
		}
		// A boundary that is gone or broken allows nothing.
		pp.boundary = policy.Compile(policy.Named{Name: u.PermissionsBoundary, Policy: b})
	}
	pp.identity = policy.Compile(named...)
	return pp, nil
}

// orphan is the entry of a principal that no longer exists with the unique
// ID its credentials were issued to.
func orphan() *principalPolicies {
	return &principalPolicies{identity: policy.Compile(), orphan: true}
}

// managedDocument is Authorizer.managedDocument noting the policy read.
func (l *loader) managedDocument(ctx context.Context, tx warden.Tx, arn string) (string, error) {
	if owner, name, ok := splitPolicyARN(arn); ok && owner != warden.AWSManagedAccount {
		l.note(warden.KindPolicy, owner, warden.NameKey(name))
	}
	return l.a.managedDocument(ctx, tx, arn)
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

// Follow makes c follow the store as the snapshot does: every write this
// node commits through Track, and every change of other nodes Poll reads,
// drops exactly the entries of c computed from the records it changed. Other
// caches of the store's contents (iam's credential cache) use it. Call it
// before the Authorizer is used.
func (a *Authorizer) Follow(c interface {
	Invalidate([]warden.Ref)
	Clear()
}) {
	a.followMu.Lock()
	defer a.followMu.Unlock()
	a.followers = append(a.followers, c)
}

func (a *Authorizer) following() []interface {
	Invalidate([]warden.Ref)
	Clear()
} {
	a.followMu.Lock()
	defer a.followMu.Unlock()
	return a.followers
}

// invalidate drops what was computed from refs, in the snapshot and in every
// cache that follows it.
func (a *Authorizer) invalidate(refs []warden.Ref) {
	a.policies.Invalidate(refs)
	a.billing.Invalidate(refs)
	for _, c := range a.following() {
		c.Invalidate(refs)
	}
}

// Invalidate drops the whole snapshot and every cache that follows it: for
// when what changed is not known (the store was reset, the change feed no
// longer reaches back far enough).
func (a *Authorizer) Invalidate() {
	a.policies.Clear()
	a.billing.Clear()
	for _, c := range a.following() {
		c.Clear()
	}
}

// Track returns a Store that, after every Update, drops what the records the
// Update wrote could have changed. Operations must write through it.
func (a *Authorizer) Track(s warden.Store) warden.Store { return &tracked{Store: s, a: a} }

type tracked struct {
	warden.Store
	a *Authorizer
}

func (t *tracked) Update(ctx context.Context, fn func(warden.Tx) error) error {
	var w *writeRecorder
	err := t.Store.Update(ctx, func(tx warden.Tx) error {
		w = &writeRecorder{Tx: tx} // afresh when the store runs fn again
		return fn(w)
	})
	// Also on error: a failed commit may still have landed.
	if w != nil {
		t.a.invalidate(w.changed.Refs())
	}
	return err
}

// writeRecorder is a Tx that notes the records written through it.
type writeRecorder struct {
	warden.Tx
	changed warden.ChangeSet
}

func (w *writeRecorder) Insert(ctx context.Context, r warden.Record) error {
	err := w.Tx.Insert(ctx, r)
	if err == nil {
		w.changed.Add(r.Kind, r.Account, r.Key)
	}
	return err
}

func (w *writeRecorder) Replace(ctx context.Context, r warden.Record) error {
	err := w.Tx.Replace(ctx, r)
	if err == nil {
		w.changed.Add(r.Kind, r.Account, r.Key)
	}
	return err
}

func (w *writeRecorder) Delete(ctx context.Context, kind warden.Kind, account, key string) error {
	err := w.Tx.Delete(ctx, kind, account, key)
	if err == nil {
		w.changed.Add(kind, account, key)
	}
	return err
}

// maxChangesPerPoll bounds one read of the change feed; a node further
// behind drops its whole snapshot instead.
const maxChangesPerPoll = 5000

// Poll reads the store's change feed since the last Poll and drops what the
// changes made stale, which is how writes by other nodes (or by local
// administration commands) reach this one. The first Poll only notes where
// the feed stands.
func (a *Authorizer) Poll(ctx context.Context) error {
	a.pollMu.Lock()
	defer a.pollMu.Unlock()
	if !a.polled {
		g, err := a.store.Generation(ctx)
		if err != nil {
			return err
		}
		a.seen, a.polled = g, true
		a.Invalidate() // whatever was cached before the first look may be stale
		return nil
	}
	ch, err := a.store.ChangesSince(ctx, a.seen, maxChangesPerPoll)
	if err != nil {
		return err
	}
	if ch.Generation == a.seen {
		return nil
	}
	if ch.Complete {
		a.invalidate(ch.Refs)
	} else {
		a.Invalidate()
	}
	a.seen = ch.Generation
	return nil
}

// Watch calls Poll every interval until ctx ends and, on stores that can
// notify (PostgreSQL), also as soon as another node commits a change; the
// interval is then only a safety net.
func (a *Authorizer) Watch(ctx context.Context, interval time.Duration) {
	poll := func() {
		if err := a.Poll(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("reading the store's change feed", "err", err)
		}
	}
	poll()
	if n, ok := a.store.(warden.Notifier); ok {
		go func() {
			for ctx.Err() == nil {
				err := n.Listen(ctx, poll)
				if ctx.Err() != nil {
					return
				}
				a.log.Warn("listening for changes", "err", err)
				poll() // changes may have been missed while not listening
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			poll()
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
