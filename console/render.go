package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

// view is what every page template gets.
type view struct {
	Title string
	Nav   string // the side navigation entry to highlight
	Who   *who   // nil on sign-in pages
	Flash string
	Error string
	Data  any
}

// who is the signed-in identity, shown in the header.
type who struct {
	Label   string // "root" or the user name
	Account string
	IsRoot  bool
	MFA     bool
	CSRF    string
	// Role marks a role session (a SAML sign-in): it has no security
	// credentials of its own.
	Role bool
}

func whoOf(v *visit) *who {
	if v == nil {
		return nil
	}
	label := v.sess.UserName
	if v.p.IsRoot() {
		label = "root"
	}
	role := v.sess.Type == warden.PrincipalAssumedRole
	if role {
		label = roleSessionLabel(v.sess.ARN)
	}
	return &who{Label: label, Account: v.sess.Account, IsRoot: v.p.IsRoot(), MFA: v.sess.MFAAuthenticated, CSRF: v.sess.CSRF, Role: role}
}

var funcs = template.FuncMap{
	"eventUser": eventUser,
	"date": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return "-"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if t == nil || t.IsZero() {
				return "Never"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		}
		return "-"
	},
	"join": strings.Join,
	// duration writes a number of seconds the way people say it.
	"duration": func(sec int) string {
		switch {
		case sec > 0 && sec%3600 == 0:
			if sec == 3600 {
				return "1 hour"
			}
			return fmt.Sprintf("%d hours", sec/3600)
		case sec > 0 && sec%60 == 0:
			return fmt.Sprintf("%d minutes", sec/60)
		}
		return fmt.Sprintf("%d seconds", sec)
	},
	// tabsOf is the tab strip of the entity an ARN names (partial "tabs").
	"tabsOf": tabsOf,
	// trimPolicies turns an entity's policies form address into its page.
	"trimPolicies": func(s string) string { return strings.TrimSuffix(s, "/policies") },
	// inlineSection is the data of the "inline-policies" partial, shared by
	// the user and group pages.
	"inlineSection": func(action, csrf string, inline []inlinePolicy, denied string, draft *inlineDraft) inlineSectionView {
		if draft == nil {
			draft = &inlineDraft{Editor: newEditor("inline-document", "document", "Policy document (JSON)", "", policy.Identity, false)}
		}
		return inlineSectionView{Action: action, CSRF: csrf, Inline: inline, Denied: denied, Draft: draft}
	},
	// boundarySection is the data of the "boundary" partial of user and
	// role pages.
	"boundarySection": func(kind, action, csrf, current string, draft *boundaryDraft) boundarySectionView {
		return boundarySectionView{Kind: kind, Action: action, CSRF: csrf, Current: current, Draft: draft}
	},
	// pagerOf is the data of the "pager" partial of list pages.
	"pagerOf": func(l listPage, base string) pagerView { return pagerView{List: l, Base: base} },
	// idpTags is the data of an identity provider page's tags section.
	"idpTags": func(arn, csrf string, tags []tagView) idpTagsView {
		return idpTagsView{Arn: arn, CSRF: csrf, Tags: tags}
	},
	"pct": func(n, of int) int {
		if of <= 0 {
			return 0
		}
		// Widths come in steps of 5%, the classes .w0 to .w100 of the style
		// sheet: the CSP forbids inline styles.
		pc := min(100, n*100/of)
		if n > 0 && pc < 5 {
			pc = 5
		}
		return pc / 5 * 5
	},
}

type idpTagsView struct {
	Arn, CSRF string
	Tags      []tagView
}

type pagerView struct {
	List listPage
	Base string
}

type boundarySectionView struct {
	Kind, Action, CSRF, Current string
	Draft                       *boundaryDraft
}

type inlineSectionView struct {
	Action, CSRF string
	Inline       []inlinePolicy
	Denied       string
	Draft        *inlineDraft
}

// sharedPages are the parsed pages, once per process: templates are safe for
// concurrent use, and parsing them is most of the time a new Console takes.
var sharedPages = sync.OnceValue(parsePages)

// parsePages parses every page template together with the layout and the
// shared partials.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" || name == "partials.html" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return pages
}

// render writes a page. Rendering into a buffer first means a template
// error becomes a clean 500, not half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, vw *view) {
	t, ok := c.pages[page]
	if !ok {
		panic("console: no page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", vw); err != nil {
		c.log.ErrorContext(r.Context(), "console: rendering", "page", page, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// renderError writes the error page.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, v *visit, status int, title, message string) {
	c.render(w, r, status, "error.html", &view{Title: title, Who: whoOf(v), Data: message})
}

// fail answers an operation's error: the AWS-style denial page for
// AccessDenied, the error's message for other operation errors, and a
// generic 500 (the cause in the log only) for anything else.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	code := warden.ErrorCode(err)
	msg, ok := errMessage(err)
	switch {
	case code == warden.CodeAccessDenied:
		c.render(w, r, http.StatusForbidden, "denied.html", &view{Title: "Access denied", Who: whoOf(v), Data: msg})
	case code == warden.CodeNoSuchEntity:
		c.renderError(w, r, v, http.StatusNotFound, "Not found", msg)
	case ok:
		c.renderError(w, r, v, http.StatusBadRequest, "Request failed", fmt.Sprintf("%s: %s", code, msg))
	default:
		c.log.ErrorContext(r.Context(), "console: operation failed", "path", r.URL.Path, "err", err)
		c.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong", "The request could not be completed. Try again later.")
	}
}

// flashes are the fixed messages a redirect after a successful POST may show
// (?done=...). Only these can appear, so a link cannot put words in the
// console's mouth.
var flashes = map[string]string{
	"alias":            "The account alias was saved.",
	"alias-deleted":    "The account alias was deleted.",
	"provider-created": "The identity provider was added.",
	"provider-deleted": "The identity provider was deleted.",
	"user-deleted":     "The user was deleted.",
	"group-created":    "The group was created.",
	"group-deleted":    "The group was deleted.",
	"saved":            "Your changes were saved.",
	"policy-created":   "The policy was created.",
	"policy-deleted":   "The policy was deleted.",
	"version-created":  "A new default version of the policy was saved.",
	"password":         "The password was changed.",
	"mfa":              "The MFA device was assigned.",
	"mfa-removed":      "The MFA device was removed.",
	"key-updated":      "The access key was updated.",
	"key-deleted":      "The access key was deleted.",
	"policy-set":       "The password policy was saved.",
	"policy-removed":   "The password policy was deleted; IAM's default rules apply.",
	"billing":          "The billing access setting was saved.",
	"unlocked":         "The user's console sign-in was unlocked.",
	"role-created":     "The role was created.",
	"role-deleted":     "The role was deleted, with its inline policies; its managed policies were detached.",
	"boundary-set":     "The permissions boundary was set.",
	"boundary-removed": "The permissions boundary was removed.",
	"trust-saved":      "The role's trust policy was saved.",
	"policy-attached":  "The policy was attached.",
	"policy-detached":  "The policy was detached.",
	"inline-deleted":   "The inline policy was deleted.",
	"sts-saved":        "The STS global endpoint's session token version was saved.",
	"sessions-revoked": "The role's sessions issued until now were revoked (inline policy AWSRevokeOlderSessions).",
}

func flashOf(r *http.Request) string { return flashes[r.URL.Query().Get("done")] }

// redirect answers a successful POST by sending the browser to a page,
// optionally with a flash message.
func redirect(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + done
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
