package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Device cookies keep the owner in while strangers guess. A browser that
// has signed in with the right password gets a cookie for that principal:
// a random device ID and the time it was issued, signed (HMAC-SHA256 under a
// key derived from the master key) together with the principal's unique ID.
// A sign-in attempt for that principal presenting a valid cookie is counted
// on the device's own counter, not on the user name's, the source IP's or
// the account's; so however many failures strangers cause for the user name
// (or the root email), they lock out only strangers. A copied cookie buys a
// thief no more than its own MaxFailures guesses per lockout, and never for
// another principal: the signature binds the unique ID, so a re-created user
// of the same name does not inherit it either.

// deviceMaxAge is how long a device cookie is trusted after the last
// successful sign-in with it.
const deviceMaxAge = 180 * 24 * time.Hour

// deviceCookie is the name of the device cookie for principal pid. Each
// principal signed in from the browser has its own.
func (c *Console) deviceCookie(r *http.Request, pid string) string {
	m := hmac.New(sha256.New, c.deviceKey)
	m.Write([]byte("name\x00" + pid))
	name := "warden-device-" + hex.EncodeToString(m.Sum(nil)[:8])
	if c.secure(r) {
		return "__Host-" + name
	}
	return name
}

// deviceMAC signs a device ID and issue time for pid.
func (c *Console) deviceMAC(pid, device string, issued int64) []byte {
	m := hmac.New(sha256.New, c.deviceKey)
	m.Write([]byte("device/v1\x00" + pid + "\x00" + device + "\x00" + strconv.FormatInt(issued, 10)))
	return m.Sum(nil)
}

// trustedDevice returns the device ID of the request's valid device cookie
// for pid, or "" when it has none (missing, forged, for another principal,
// or too old).
func (c *Console) trustedDevice(r *http.Request, pid string) string {
	if pid == "" {
		return ""
	}
	ck, err := r.Cookie(c.deviceCookie(r, pid))
	if err != nil || len(ck.Value) > 200 {
		return ""
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 3 || len(parts[0]) != 22 {
		return ""
	}
	issued, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return ""
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(mac, c.deviceMAC(pid, parts[0], issued)) {
		return ""
	}
	if age := c.now().Sub(time.Unix(issued, 0)); age < -time.Hour || age > deviceMaxAge {
		return ""
	}
	return parts[0]
}

// trustDevice sets (or renews) the device cookie for pid after a successful
// password, keeping the device ID the browser already has.
func (c *Console) trustDevice(w http.ResponseWriter, r *http.Request, pid, device string) {
	if device == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			panic("console: no randomness: " + err.Error())
		}
		device = base64.RawURLEncoding.EncodeToString(b)
	}
	issued := c.now().Unix()
	v := device + "." + strconv.FormatInt(issued, 10) + "." +
		base64.RawURLEncoding.EncodeToString(c.deviceMAC(pid, device, issued))
	http.SetCookie(w, &http.Cookie{Name: c.deviceCookie(r, pid), Value: v, Path: "/", MaxAge: int(deviceMaxAge / time.Second),
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// csrfFor is the CSRF token of the session with ID id: an HMAC of the ID, so
// that the session record never holds it and a copy of the records yields
// neither sessions nor tokens.
func (c *Console) csrfFor(id string) string {
	m := hmac.New(sha256.New, c.csrfKey)
	m.Write([]byte("csrf/v1\x00" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
