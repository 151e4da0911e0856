package trail

import (
	"sync"
	"time"
)

// Requests that fail authentication (a bad signature, an unknown access
// key, an expired or forged session token) are recorded as CloudTrail
// records them, but a flood of them must not grow the event history without
// bound: each source IP address gets at most FailedPerSource such events a
// minute, and the rest are counted in Suppressed (and logged with the count
// at the next flush). The sources tracked at once are bounded too: past
// maxFailedSources in a minute, the new ones share one allowance.
const (
	FailedPerSource  = 20
	maxFailedSources = 10000
)

// failureLimit counts failed-authentication events per source in the
// current minute.
type failureLimit struct {
	mu     sync.Mutex
	window time.Time
	counts map[string]int
}

// allow reports whether another event from source may be recorded at now.
func (l *failureLimit) allow(source string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Truncate(time.Minute); !w.Equal(l.window) || l.counts == nil {
		l.window, l.counts = w, map[string]int{}
	}
	if _, ok := l.counts[source]; !ok && len(l.counts) >= maxFailedSources {
		source = "" // the shared allowance of the sources past the bound
	}
	if l.counts[source] >= FailedPerSource {
		return false
	}
	l.counts[source]++
	return true
}

// Unauthenticated records a request that failed authentication. c.Principal
// is the identity the access key ID names when it names one (its Type,
// Account, ARN, ...), else only SourceIP and UserAgent are set and the
// record's userIdentity is of type Unknown with the accessKeyId; c.ErrorCode
// says why it failed. Events past FailedPerSource a minute from one source
// are counted in Suppressed instead.
func (r *Recorder) Unauthenticated(c *Call) {
	if r == nil {
		return
	}
	if !r.failures.allow(c.Principal.SourceIP, r.Now()) {
		r.suppressed.Add(1)
		return
	}
	r.API(c)
}

// Suppressed counts the failed-authentication events not recorded because
// their source passed FailedPerSource a minute.
func (r *Recorder) Suppressed() int64 { return r.suppressed.Load() }
