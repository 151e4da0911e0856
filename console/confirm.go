package console

import (
	"net/http"
	"slices"
	"strings"
)

// Destructive actions go through a confirmation page that names what will be
// lost; deleting a user, role, policy, the alias, the password policy or the
// root user's MFA device also asks for the name to be typed. The page posts
// the same form again, with confirmed=yes (and the typed text).

// danger describes the confirmation an action needs. what returns ""
// when the request needs none (a harmless op of the same form), else what will
// be done and lost; typed, when set, returns the text to type.
type danger struct {
	title string
	what  func(r *http.Request) string
	typed func(r *http.Request) string
}

type confirmData struct {
	Title  string
	What   string
	Typed  string
	Action string
	Fields [][2]string
	Back   string
	CSRF   string
	Error  string
}

// confirmed wraps h so that it runs only once the action was confirmed.
func (c *Console) confirmed(d danger, h func(http.ResponseWriter, *http.Request, *visit)) func(http.ResponseWriter, *http.Request, *visit) {
	return func(w http.ResponseWriter, r *http.Request, v *visit) {
		what := d.what(r)
		if what == "" {
			h(w, r, v)
			return
		}
		typed := ""
		if d.typed != nil {
			typed = d.typed(r)
		}
		errMsg := ""
		if r.PostFormValue("confirmed") == "yes" {
			if typed == "" || r.PostFormValue("typed") == typed {
				h(w, r, v)
				return
			}
			errMsg = "Type " + typed + " exactly to confirm."
		}
		cd := confirmData{Title: d.title, What: what, Typed: typed, Action: r.URL.Path, Back: backTo(r), CSRF: v.sess.CSRF, Error: errMsg}
		keys := make([]string, 0, len(r.PostForm))
		for k := range r.PostForm {
			if k != "csrf" && k != "confirmed" && k != "typed" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, val := range r.PostForm[k] {
				cd.Fields = append(cd.Fields, [2]string{k, val})
			}
		}
		status := http.StatusOK
		if errMsg != "" {
			status = http.StatusBadRequest
		}
		c.render(w, r, status, "confirm.html", &view{Title: d.title, Who: whoOf(v), Data: cd})
	}
}

// backTo is the page a cancelled confirmation returns to: the page the
// action belongs to.
func backTo(r *http.Request) string {
	p := r.URL.Path
	for _, suffix := range []string{"/members", "/policies", "/groups", "/delete", "/password", "/mfa/remove", "/remove", "/boundary"} {
		if strings.HasSuffix(p, suffix) {
			return strings.TrimSuffix(p, suffix)
		}
	}
	if i := strings.Index(p, "/keys/"); i >= 0 {
		return p[:i]
	}
	switch {
	case strings.HasPrefix(p, "/console/policy/"):
		return "/console/policy?arn=" + r.PostFormValue("arn")
	case strings.HasPrefix(p, "/console/root"):
		return "/console/root"
	case strings.HasPrefix(p, "/console/settings"), strings.HasPrefix(p, "/console/alias"):
		return "/console/settings"
	}
	return "/console/"
}

// opIs returns a what that asks for confirmation only for the form op
// named, with the description desc builds.
func opIs(op string, desc func(r *http.Request) string) func(r *http.Request) string {
	return func(r *http.Request) string {
		if r.PostFormValue("op") != op {
			return ""
		}
		return desc(r)
	}
}

func pathName(r *http.Request) string { return r.PathValue("name") }

// The dangers of the console's forms.
var (
	dangerRemoveMember = danger{title: "Remove user from group", what: opIs("remove", func(r *http.Request) string {
		return "Remove user " + r.PostFormValue("user") + " from group " + pathName(r) + ". The user loses every permission the group grants."
	})}
	dangerUserGroup = danger{title: "Remove user from group", what: opIs("remove", func(r *http.Request) string {
		return "Remove user " + pathName(r) + " from group " + r.PostFormValue("group") + ". The user loses every permission the group grants."
	})}
	dangerPolicies = func(kind string) danger {
		return danger{title: "Change permissions", what: func(r *http.Request) string {
			switch r.PostFormValue("op") {
			case "detach":
				return "Detach policy " + r.PostFormValue("arn") + " from " + kind + " " + pathName(r) + ". The " + kind + " loses the permissions it grants."
			case "delete-inline":
				return "Delete inline policy " + r.PostFormValue("policy") + " of " + kind + " " + pathName(r) + ". Its text is lost and the permissions it grants end."
			}
			return ""
		}}
	}
	dangerRemoveBoundary = func(kind string) danger {
		return danger{title: "Remove permissions boundary", what: opIs("remove", func(r *http.Request) string {
			return "Remove the permissions boundary of " + kind + " " + pathName(r) + ". Its permissions are then limited by its own policies alone and may grow."
		})}
	}
	dangerDeleteKey = danger{title: "Delete access key", what: opIs("delete", func(r *http.Request) string {
		owner := pathName(r)
		if owner == "" {
			owner = "the root user"
		}
		return "Delete access key " + r.PathValue("id") + " of " + owner + ". Applications signing with it stop working at once; a deleted key cannot be restored."
	})}
	dangerDisableConsole = danger{title: "Disable console access", what: opIs("remove", func(r *http.Request) string {
		return "Disable console access for user " + pathName(r) + ": the console password is deleted and the user can no longer sign in."
	})}
	dangerRemoveUserMFA = danger{title: "Remove MFA device", what: func(r *http.Request) string {
		return "Remove MFA device " + r.PostFormValue("serial") + " of user " + pathName(r) + ". Signing in and MFA-protected actions no longer need it."
	}}
	dangerRemoveRootMFA = danger{title: "Remove the root user's MFA device", what: func(r *http.Request) string {
		return "Remove MFA device " + r.PostFormValue("serial") + " of the root user. The account's most powerful identity is then protected by its password alone."
	}, typed: func(*http.Request) string { return "remove" }}
	dangerDeletePolicy = danger{title: "Delete policy", what: func(r *http.Request) string {
		return "Delete policy " + r.PostFormValue("arn") + " with all its versions. A policy still attached to a user, group or role cannot be deleted: detach it first."
	}, typed: func(r *http.Request) string {
		arn := r.PostFormValue("arn")
		return arn[strings.LastIndex(arn, "/")+1:]
	}}
	dangerDeleteAlias = danger{title: "Delete account alias", what: func(r *http.Request) string {
		return "Delete the account alias. Its sign-in address stops working; sign in with the account ID instead."
	}, typed: func(r *http.Request) string { return r.PostFormValue("alias") }}
	dangerDeletePasswordPolicy = danger{title: "Delete password policy", what: opIs("delete", func(r *http.Request) string {
		return "Delete the account's password policy. IAM's default rules apply to new passwords from now on."
	}), typed: func(*http.Request) string { return "delete" }}
)
