package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/warden-iam/warden"
)

// Pages that show a secret (a new access key, a new user's password, a
// service-specific credential, a new MFA device's seed) follow
// POST-redirect-GET: the POST that creates the secret seals the page's data
// under the console's key into the session record and redirects to
// /console/shown/{id}; the first GET of that address opens the page and
// removes it from the session. Reloading the page, or going back to it,
// asks again and gets "already shown" — never a second key, never the
// secret twice. The sealed data lives only in the session's record (every
// node can open it: they share the key), encrypted with AES-256-GCM bound
// to the session and the page's ID, and ends with the session at the latest.

// maxOnce is how many unopened pages one session holds; a new one pushes
// out the oldest.
const maxOnce = 4

// oncePage is what a sealed page holds.
type oncePage struct {
	Page  string          `json:"page"`
	Title string          `json:"title"`
	Nav   string          `json:"nav"`
	Data  json.RawMessage `json:"data"`
}

// onceData is the data type of each page that may be sealed.
var onceData = map[string]func() any{
	"keycreated.html":  func() any { return new(keyCreatedData) },
	"usercreated.html": func() any { return new(createdData) },
	"servicecred.html": func() any { return new(serviceCredCreatedData) },
	"mfaenrol.html":    func() any { return new(enrolData) },
}

func (c *Console) onceAEAD() cipher.AEAD {
	block, err := aes.NewCipher(subkey(c.cfg.Key, "once"))
	if err != nil {
		panic("console: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("console: " + err.Error())
	}
	return aead
}

// showOnce seals a page with a secret into the session and redirects the
// browser to the one address that shows it.
func (c *Console) showOnce(w http.ResponseWriter, r *http.Request, v *visit, page, title, nav string, data any) {
	if _, ok := onceData[page]; !ok {
		panic("console: page " + page + " cannot be sealed")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	plain, err := json.Marshal(oncePage{Page: page, Title: title, Nav: nav, Data: raw})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	id := newToken()[:22]
	aead := c.onceAEAD()
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	sealed := aead.Seal(nonce, nonce, plain, []byte(v.sess.Key+"/"+id))
	err = c.updateSession(r.Context(), v.sess.Key, func(s *warden.ConsoleSession) {
		s.Once = append(s.Once, warden.SealedPage{ID: id, Sealed: sealed})
		if len(s.Once) > maxOnce {
			s.Once = slices.Clone(s.Once[len(s.Once)-maxOnce:])
		}
	})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/console/shown/"+id, http.StatusSeeOther)
}

// shownPage opens a sealed page once: the page leaves the session in the
// same transaction that reads it, so two loads can never both see it.
func (c *Console) shownPage(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	var sealed []byte
	err := c.updateSession(r.Context(), v.sess.Key, func(s *warden.ConsoleSession) {
		i := slices.IndexFunc(s.Once, func(p warden.SealedPage) bool { return p.ID == id })
		if i < 0 {
			return
		}
		sealed = s.Once[i].Sealed
		s.Once = slices.Delete(slices.Clone(s.Once), i, i+1)
	})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	pg, data, ok := c.openOnce(v.sess.Key, id, sealed)
	if !ok {
		c.render(w, r, http.StatusGone, "shown.html", &view{Title: "Already shown", Who: whoOf(v)})
		return
	}
	if d, ok := data.(*enrolData); ok {
		d.CSRF = v.sess.CSRF // never sealed: it is the session's own
	}
	c.render(w, r, http.StatusOK, pg.Page, &view{Title: pg.Title, Nav: pg.Nav, Who: whoOf(v), Data: data})
}

// openOnce decrypts a sealed page; ok is false when there is none or it
// does not open (another key, another session).
func (c *Console) openOnce(sessKey, id string, sealed []byte) (oncePage, any, bool) {
	var pg oncePage
	aead := c.onceAEAD()
	if len(sealed) < aead.NonceSize() {
		return pg, nil, false
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(sessKey+"/"+id))
	if err != nil || json.Unmarshal(plain, &pg) != nil {
		return pg, nil, false
	}
	mk, ok := onceData[pg.Page]
	if !ok {
		return pg, nil, false
	}
	data := mk()
	if json.Unmarshal(pg.Data, data) != nil {
		return pg, nil, false
	}
	return pg, data, true
}

// updateSession changes the stored session key in one transaction, on the
// record as it is now (not as the request loaded it), so that concurrent
// requests of one session do not undo each other's changes.
func (c *Console) updateSession(ctx context.Context, key string, change func(*warden.ConsoleSession)) error {
	return c.store.Update(warden.Bookkeeping(ctx), func(tx warden.Tx) error {
		s, err := warden.Load[warden.ConsoleSession](ctx, tx, "", key)
		if errors.Is(err, warden.ErrNotFound) {
			return warden.Errorf(warden.CodeAccessDenied, "Your session has ended.")
		}
		if err != nil {
			return err
		}
		change(s)
		return warden.Save(ctx, tx, s)
	})
}
