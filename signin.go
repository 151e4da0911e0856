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
