// Package throttle is Warden's per-principal rate limit for expensive
// operations (the policy simulator, GetAccountAuthorizationDetails, the
// credential report): a token bucket for each caller, keyed by the unique ID
// of its principal, answering AWS's Throttling error ("Rate exceeded",
// HTTP 400) when the bucket is empty. It knows nothing of HTTP; front ends
// ask it before they run an operation.
package throttle

import (
	"context"
	"sync"
	"time"

	"github.com/warden-iam/warden"
)

// Config is the rate limit of expensive operations.
type Config struct {
	// Rate is how many expensive requests a second one principal may make
	// on average; 0 turns the limit off.
	Rate float64
	// Burst is how many it may make at once, after a quiet spell (at least 1).
	Burst int
	// Actions are the limited operations, as "service:Action"
	// (iam:SimulateCustomPolicy). Nil means DefaultActions.
	Actions []string
	// MaxKeys bounds how many principals are tracked at once (default
	// 100,000): past it, full buckets are dropped, and if none is full the
	// least recently seen one goes.
	MaxKeys int
}

// DefaultActions are the operations limited unless a Config names others:
// each can take far more work than an ordinary call (see docs/limits.md).
var DefaultActions = []string{
	"iam:SimulatePrincipalPolicy",
	"iam:SimulateCustomPolicy",
	"iam:GetAccountAuthorizationDetails",
	"iam:GenerateCredentialReport",
	"iam:GetCredentialReport",
}

// ErrThrottled is the answer to a request over the rate, as AWS words it.
var ErrThrottled = &warden.Error{Code: warden.CodeThrottling, Message: "Rate exceeded"}

// Limiter is a set of token buckets, one per principal and shared by every
// limited operation. It is safe for concurrent use.
type Limiter struct {
	rate    float64
	burst   float64
	maxKeys int
	now     func() time.Time

	mu      sync.Mutex
	actions map[string]bool
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter for c, or nil when c.Rate is 0 (no limit); the
// methods of a nil Limiter allow everything.
func New(c Config) *Limiter {
	if c.Rate <= 0 {
		return nil
	}
	l := &Limiter{rate: c.Rate, burst: float64(max(c.Burst, 1)), maxKeys: c.MaxKeys, now: time.Now,
		actions: map[string]bool{}, buckets: map[string]*bucket{}}
	if l.maxKeys <= 0 {
		l.maxKeys = 100_000
	}
	actions := c.Actions
	if actions == nil {
		actions = DefaultActions
	}
	for _, a := range actions {
		l.actions[a] = true
	}
	return l
}

// Limit adds service:action ("iam:GenerateCredentialReport") to the limited
// operations.
func (l *Limiter) Limit(action string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.actions[action] = true
}

// Limited reports whether service:action is limited.
func (l *Limiter) Limited(action string) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.actions[action]
}

// Allow takes a token from p's bucket when service:action is limited, and
// returns ErrThrottled when there is none. Other actions always pass. Its
// signature is the awsquery.Handler Limit hook's.
func (l *Limiter) Allow(_ context.Context, p *warden.Principal, service, action string) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.actions[service+":"+action] {
		return nil
	}
	key := Key(p)
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.evict(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return ErrThrottled
	}
	b.tokens--
	return nil
}

// Key is the bucket of p: the unique ID of its principal. An assumed-role
// session (AROA...:session) is keyed by its role, so that new sessions do
// not bring new buckets; root by its account.
func Key(p *warden.Principal) string {
	id := p.ID
	if p.Type == warden.PrincipalAssumedRole {
		for i := 0; i < len(id); i++ {
			if id[i] == ':' {
				id = id[:i]
				break
			}
		}
	}
	if id == "" {
		id = p.ARN
	}
	return p.Account + "/" + id
}

// evict makes room for a new bucket: it drops every bucket that has filled
// up again (a full bucket is the same as none), or else the stalest one.
func (l *Limiter) evict(now time.Time) {
	var stalest string
	var oldest time.Time
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
			continue
		}
		if stalest == "" || b.last.Before(oldest) {
			stalest, oldest = k, b.last
		}
	}
	if len(l.buckets) >= l.maxKeys && stalest != "" {
		delete(l.buckets, stalest)
	}
}

// Len is how many principals are tracked.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
