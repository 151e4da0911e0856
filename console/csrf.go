package console

import (
	"crypto/subtle"
	"net/http"
)

// CSRF defence, in depth:
//   - every cookie is SameSite=Strict, so other sites' pages do not send it;
//   - every form of a signed-in page carries the session's token, an HMAC
//     of the session ID under the console's key (so it is never stored, and
//     the stored SHA-256 of the ID does not give it), checked on every POST;
//   - the sign-in forms, which come before any session, carry a random
//     token that must equal the one in a short-lived cookie (the double
//     submit pattern), so another site cannot sign a browser in to an
//     account of its choosing.

const csrfField = "csrf"

// checkCSRF reports whether the POST's token equals want.
func (c *Console) checkCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue(csrfField)
	return want != "" && len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (c *Console) preAuthCookie(r *http.Request) string {
	if c.secure(r) {
		return "__Host-warden-signin"
	}
	return "warden-signin"
}

// preAuthToken returns the sign-in forms' token, setting its cookie when the
// browser has none yet. The token is kept while the cookie lives, so the
// sign-in page is the same whatever happened to the last attempt.
func (c *Console) preAuthToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(c.preAuthCookie(r)); err == nil && len(ck.Value) == 43 {
		return ck.Value
	}
	tok := newToken()
	http.SetCookie(w, &http.Cookie{Name: c.preAuthCookie(r), Value: tok, Path: "/", MaxAge: 3600, HttpOnly: true,
		Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	return tok
}

// checkPreAuth reports whether a sign-in POST carries the token of its cookie.
func (c *Console) checkPreAuth(r *http.Request) bool {
	ck, err := r.Cookie(c.preAuthCookie(r))
	if err != nil {
		return false
	}
	return c.checkCSRF(r, ck.Value)
}
