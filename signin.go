package warden

import "time"

// KindSignInCounter holds SignInCounter records, in the global account.
const KindSignInCounter Kind = "signincounter"

// SignInCounter counts the console sign-in attempts made against one subject
// (a source IP, an account, a user name) for throttling and lockout. It is
// read and written inside one Store.Update per attempt, so attempts made at
// the same moment, on one node or on several sharing a database, are counted
// one after the other and none slips past a limit.
//
// Key names the subject and the factor counted ("pw/..." for passwords,
// "mfa/..." for MFA codes); user names are hashed into it, so what someone
// typed in the user name field (sometimes a password) is never stored.
type SignInCounter struct {
	Key string `json:"key"`

	// Account is the account ID the subject signs in to, and ARN the
	// principal when the name typed names one (never what was typed), so
	// that the dashboard can show lockouts.
	Account string `json:"account,omitempty"`
	ARN     string `json:"arn,omitempty"`

	// WindowStart and Attempts are the throttling window: every attempt,
	// successful or not, counts.
	WindowStart time.Time `json:"windowStart,omitzero"`
	Attempts    int       `json:"attempts,omitempty"`

	// FailureStart and Failures count failed attempts within the lockout
	// window. An attempt is counted as a failure before its password or code
	// is checked, and forgiven when it succeeds.
	FailureStart time.Time `json:"failureStart,omitzero"`
	Failures     int       `json:"failures,omitempty"`

	// LockedUntil is when a temporary lockout ends; Lockouts counts the
	// lockouts so far, and Permanent is set when they reach the configured
	// maximum: then only an administrator lifts the lockout.
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
	Lockouts    int       `json:"lockouts,omitempty"`
	Permanent   bool      `json:"permanent,omitempty"`

	// Updated is the time of the last attempt, so that idle counters can be
	// swept.
	Updated time.Time `json:"updated"`
}

func (c *SignInCounter) recordID() (Kind, string, string) { return KindSignInCounter, "", c.Key }

// Locked reports whether the counter's subject is locked out at now.
func (c *SignInCounter) Locked(now time.Time) bool {
	return c.Permanent || now.Before(c.LockedUntil)
}

// KindSignInLockout holds SignInLockout records, in the global account.
const KindSignInLockout Kind = "signinlockout"

// SignInLockout records that a sign-in subject was locked out, for the
// dashboard's list of recent lockouts. Key is the account ID, "/", then a
// time that sorts newest first, "/", then the counter's key.
type SignInLockout struct {
	Key       string    `json:"key"`
	Account   string    `json:"account"`
	ARN       string    `json:"arn,omitempty"` // "" when the name typed names no principal
	Counter   string    `json:"counter"`       // the SignInCounter's key
	Device    bool      `json:"device,omitempty"`
	Factor    string    `json:"factor"` // "pw" or "mfa"
	Time      time.Time `json:"time"`
	Until     time.Time `json:"until"`
	Permanent bool      `json:"permanent,omitempty"`
}

func (l *SignInLockout) recordID() (Kind, string, string) { return KindSignInLockout, "", l.Key }

// KindSignInFailures holds SignInFailures records, in the global account.
const KindSignInFailures Kind = "signinfailures"

// SignInFailures is the audit record of the failed console sign-in attempts
// from one source IP in one minute: one record with counts, however many
// attempts, instead of one audit event each. Key is the minute
// ("20060102T1504", UTC), "/", then the source IP.
type SignInFailures struct {
	Key      string         `json:"key"`
	Minute   time.Time      `json:"minute"`
	SourceIP string         `json:"ip"`
	Count    int            `json:"count"`
	Reasons  map[string]int `json:"reasons,omitempty"`  // e.g. wrong-password, throttled-ip, locked
	Accounts []string       `json:"accounts,omitempty"` // the account IDs tried, at most 8
	// UserAgent is the first attempt's.
	UserAgent string    `json:"ua,omitempty"`
	Updated   time.Time `json:"updated"`
}

func (f *SignInFailures) recordID() (Kind, string, string) { return KindSignInFailures, "", f.Key }
