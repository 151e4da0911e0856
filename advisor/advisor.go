// Package advisor records, for the access advisor, which services (and, for
// the services AWS tracks at action level, which actions) each IAM user and
// role used and through which policies. Authorization tells it of every
// allowed request through authz's observer; the Tracker keeps the latest use
// per entity and service in memory and merges them into the store in one
// write per flush, never a write per request.
package advisor

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

// Region is the region usage is recorded in: Warden is one global endpoint.
const Region = "us-east-1"

// actionLevel are the services whose actions the access advisor tracks
// one by one, as AWS does.
var actionLevel = map[string]bool{"iam": true, "s3": true, "ec2": true, "lambda": true}

// TracksActions reports whether service is tracked at action level.
func TracksActions(service string) bool { return actionLevel[service] }

type entityKey struct{ account, id, service string }

type usage struct {
	typ, arn, name string
	last           time.Time
	actions        map[string]time.Time
	policies       map[string]time.Time
	// The action and policy last recorded at last: a repeat within the
	// same second changes nothing, and is answered without map writes.
	lastAction, lastPolicy string
}

// Tracker batches usage in memory. It is safe for concurrent use: the
// pending usage is sharded by entity, each shard under its own lock, so
// requests of different principals seldom wait for each other, and a
// repeat of what an entity did in the same second allocates nothing.
type Tracker struct {
	store  warden.Store
	log    *slog.Logger
	shards [trackerShards]trackerShard
	// Now is replaceable for tests.
	Now func() time.Time
}

const trackerShards = 16

type trackerShard struct {
	mu   sync.Mutex
	pend map[entityKey]*usage
	_    [64]byte
}

// maxPending bounds the entities-and-services waiting for a flush; beyond
// it new ones are dropped until the next flush (existing ones still update).
const maxPending = 100000

// shardOf picks an entity's shard (FNV-1a over its ID).
func shardOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % trackerShards)
}

// New returns a Tracker writing to store; pass authz.Untracked(store) so
// that usage writes leave the authorization snapshot alone.
func New(store warden.Store, log *slog.Logger) *Tracker {
	if log == nil {
		log = slog.Default()
	}
	t := &Tracker{store: store, log: log, Now: time.Now}
	for i := range t.shards {
		t.shards[i].pend = map[entityKey]*usage{}
	}
	return t
}

// Observe records one allowed request; it is authz's observer.
func (t *Tracker) Observe(a authz.Allowed) {
	p := a.Principal
	var typ, id, name string
	switch p.Type {
	case warden.PrincipalUser:
		typ, id, name = "user", p.ID, p.Name
	case warden.PrincipalAssumedRole:
		// A session's use is its role's: the role's ID is the part of the
		// principal ID before the session name.
		typ = "role"
		id, _, _ = strings.Cut(p.ID, ":")
		rest := p.ARN[strings.Index(p.ARN, "assumed-role/")+len("assumed-role/"):]
		name, _, _ = strings.Cut(rest, "/")
	default:
		return
	}
	service, action, ok := strings.Cut(a.Action, ":")
	if !ok {
		return
	}
	service = strings.ToLower(service)
	// Usage is kept to the second, as the access advisor reports it.
	now := t.Now().UTC().Truncate(time.Second)
	first := ""
	if len(a.Deciding) > 0 {
		first = a.Deciding[0].PolicyName
	}
	k := entityKey{p.Account, id, service}
	sh := &t.shards[shardOf(id)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	u := sh.pend[k]
	if u != nil && u.last.Equal(now) && u.lastAction == action && u.lastPolicy == first && len(a.Deciding) <= 1 {
		return
	}
	if u == nil {
		if len(sh.pend) >= maxPending/trackerShards {
			return
		}
		arn := p.ARN
		if typ == "role" {
			arn = "arn:aws:iam::" + p.Account + ":role/" + name
		}
		u = &usage{typ: typ, arn: arn, name: name, policies: map[string]time.Time{}}
		sh.pend[k] = u
	}
	u.last, u.lastAction, u.lastPolicy = now, action, first
	if actionLevel[service] {
		if u.actions == nil {
			u.actions = map[string]time.Time{}
		}
		u.actions[action] = now
	}
	for _, m := range a.Deciding {
		if m.Kind == policy.Identity {
			u.policies[m.PolicyName] = now
		}
	}
}

// Flush merges the pending usage into the store in one transaction,
// keeping the latest time of each entry (other nodes merge theirs too).
func (t *Tracker) Flush(ctx context.Context) error {
	pend := map[entityKey]*usage{}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		if len(sh.pend) > 0 {
			for k, u := range sh.pend {
				pend[k] = u
			}
			sh.pend = map[entityKey]*usage{}
		}
		sh.mu.Unlock()
	}
	if len(pend) == 0 {
		return nil
	}
	return t.store.Update(ctx, func(tx warden.Tx) error {
		for k, u := range pend {
			sa, err := warden.Load[warden.ServiceAccess](ctx, tx, k.account, warden.ServiceAccessKey(k.id, k.service))
			fresh := errors.Is(err, warden.ErrNotFound)
			if err != nil && !fresh {
				return err
			}
			if fresh {
				sa = &warden.ServiceAccess{Account: k.account, EntityType: u.typ, EntityID: k.id, Service: k.service}
			}
			sa.EntityARN, sa.EntityName, sa.Region = u.arn, u.name, Region
			if u.last.After(sa.Last) {
				sa.Last = u.last
			}
			sa.Actions = merge(sa.Actions, u.actions)
			sa.Policies = merge(sa.Policies, u.policies)
			if fresh {
				err = warden.Insert(ctx, tx, sa)
			} else {
				err = warden.Save(ctx, tx, sa)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func merge(into, from map[string]time.Time) map[string]time.Time {
	if len(from) == 0 {
		return into
	}
	if into == nil {
		into = map[string]time.Time{}
	}
	for k, v := range from {
		if v.After(into[k]) {
			into[k] = v
		}
	}
	return into
}

// Run flushes every interval until ctx ends, then once more.
func (t *Tracker) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := t.Flush(final); err != nil {
				t.log.Error("advisor: flushing usage", "err", err)
			}
			cancel()
			return
		case <-tick.C:
			if err := t.Flush(ctx); err != nil {
				t.log.Error("advisor: flushing usage", "err", err)
			}
		}
	}
}
