package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// The users list: searched, sorted and paged on the server, with AWS's
// columns (groups, MFA, password age, console last sign-in, access key and
// its age, last activity) read for the users of the page shown only.

// userRow is one line of the users list.
type userRow struct {
	userView
	Groups       []string
	MFA          bool
	PasswordAge  string // "" without console access
	KeyID        string // the newest active access key
	KeyAge       string
	LastActivity *time.Time
	Denied       string // what could not be read
}

type usersData struct {
	Users []userRow
	List  listPage
}

func (c *Console) listUsers(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	users, err := callAll(ctx, c, &v.p, "ListUsers", nil, func() *usersResult { return &usersResult{} },
		func(r *usersResult) []userView { return r.Users })
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	lp := readListPage(r, "name", "created", "signin")
	page := arrange(&lp, users, func(u userView) []string { return []string{u.UserName} },
		map[string]func(a, b userView) int{
			"name":    func(a, b userView) int { return byName(a.UserName, b.UserName) },
			"created": func(a, b userView) int { return byTime(a.CreateDate, b.CreateDate) },
			"signin":  func(a, b userView) int { return byOptionalTime(a.PasswordLastUsed, b.PasswordLastUsed) },
		})
	rows := make([]userRow, len(page))
	for i, u := range page {
		rows[i] = c.userRowOf(ctx, &v.p, u)
	}
	c.render(w, r, http.StatusOK, "users.html", &view{Title: "Users", Nav: "users", Who: whoOf(v), Flash: flashOf(r),
		Data: usersData{Users: rows, List: lp}})
}

func (c *Console) userRowOf(ctx context.Context, p *warden.Principal, u userView) userRow {
	row := userRow{userView: u, LastActivity: u.PasswordLastUsed}
	user := form("UserName", u.UserName)
	var denied []string
	if groups, err := callAll(ctx, c, p, "ListGroupsForUser", user, func() *groupsResult { return &groupsResult{} },
		func(r *groupsResult) []groupView { return r.Groups }); err == nil {
		for _, g := range groups {
			row.Groups = append(row.Groups, g.GroupName)
		}
	} else {
		denied = append(denied, "groups")
	}
	var mfa mfaResult
	if err := c.call(ctx, p, "ListMFADevices", user, &mfa); err == nil {
		row.MFA = len(mfa.MFADevices) > 0
	} else {
		denied = append(denied, "MFA")
	}
	var lp loginProfileResult
	if err := c.call(ctx, p, "GetLoginProfile", user, &lp); err == nil {
		row.PasswordAge = age(c.now(), lp.LoginProfile.CreateDate)
	} else if warden.ErrorCode(err) != warden.CodeNoSuchEntity {
		denied = append(denied, "password")
	}
	var keys keysResult
	if err := c.call(ctx, p, "ListAccessKeys", user, &keys); err == nil {
		var newest time.Time
		for _, k := range keys.AccessKeyMetadata {
			if k.Status == "Active" && (row.KeyID == "" || k.CreateDate.After(newest)) {
				row.KeyID, row.KeyAge, newest = k.AccessKeyID, age(c.now(), k.CreateDate), k.CreateDate
			}
			var used keyLastUsedResult
			if err := c.call(ctx, p, "GetAccessKeyLastUsed", form("AccessKeyId", k.AccessKeyID), &used); err == nil &&
				used.LastUsedDate != nil && (row.LastActivity == nil || used.LastUsedDate.After(*row.LastActivity)) {
				row.LastActivity = used.LastUsedDate
			}
		}
	} else {
		denied = append(denied, "access keys")
	}
	if len(denied) > 0 {
		row.Denied = "You may not see this user's " + strings.Join(denied, ", ") + "."
	}
	return row
}

// age says how long ago t was, in the words of the AWS console's list
// columns ("Today", "1 day", "42 days").
func age(now, t time.Time) string {
	days := int(now.Sub(t).Hours() / 24)
	switch {
	case days <= 0:
		return "Today"
	case days == 1:
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}
