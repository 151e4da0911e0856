package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// The users list: searched, sorted and paged on the server, with AWS's
// columns (groups, MFA, password age, console last sign-in, access key and
// its age, last activity) read for the users of the page shown only.
//
// What a page costs: listed by name (the default), a page is one ListUsers
// call of MaxItems = the page size, from the marker of the page before,
// read from the store in its name order, and the total comes from
// GetAccountSummary (counted by the database): the cost follows the page
// size, not the number of users. The addresses of the pages carry the
// markers: "Next" the marker of this page's end, "Previous" the markers of
// up to maxBack pages before (further back, "First page"). Searching, and
// sorting by another column, read at most usersScanLimit users in name
// order (one ListUsers call) and search or sort those; when the account has
// more, the page says so and asks for a narrower search.

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
	// Cursor pages (listed by name): the addresses of the pages around.
	Cursor            bool
	Next, Prev, First string
	// Scanned is how many users a search or another sort looked at, when
	// the account has more (Bounded).
	Scanned int
	Bounded bool
}

// usersScanLimit is the most users a search or a sort other than by name
// reads; maxBack how many pages back the "Previous" links reach.
const (
	usersScanLimit = 1000
	maxBack        = 10
)

func (c *Console) listUsers(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	lp := readListPage(r, "name", "created", "signin")
	d := usersData{}
	var page []userView
	if lp.Query == "" && lp.Sort == "name" && !lp.Desc {
		var err error
		if page, err = c.usersByName(r, v, &lp, &d); err != nil {
			c.fail(w, r, v, err)
			return
		}
	} else {
		var res usersResult
		if err := c.call(ctx, &v.p, "ListUsers", form("MaxItems", strconv.Itoa(usersScanLimit)), &res); err != nil {
			c.fail(w, r, v, err)
			return
		}
		d.Scanned, d.Bounded = len(res.Users), res.IsTruncated
		page = arrange(&lp, res.Users, func(u userView) []string { return []string{u.UserName} },
			map[string]func(a, b userView) int{
				"name":    func(a, b userView) int { return byName(a.UserName, b.UserName) },
				"created": func(a, b userView) int { return byTime(a.CreateDate, b.CreateDate) },
				"signin":  func(a, b userView) int { return byOptionalTime(a.PasswordLastUsed, b.PasswordLastUsed) },
			})
	}
	d.Users = make([]userRow, len(page))
	for i, u := range page {
		d.Users[i] = c.userRowOf(ctx, &v.p, u)
	}
	d.List = lp
	c.render(w, r, http.StatusOK, "users.html", &view{Title: "Users", Nav: "users", Who: whoOf(v), Flash: flashOf(r), Data: d})
}

// usersByName reads one page of users in name order: the page after the
// marker ?after= names, with ?back= the markers of the pages before it.
func (c *Console) usersByName(r *http.Request, v *visit, lp *listPage, d *usersData) ([]userView, error) {
	ctx, q := r.Context(), r.URL.Query()
	after := q.Get("after")
	var back []string
	if b := q.Get("back"); b != "" {
		back = strings.Split(b, " ")
	}
	if len(back) > maxBack {
		back = back[len(back)-maxBack:]
	}
	if after == "" {
		lp.Page, back = 1, nil
	}
	var res usersResult
	err := c.call(ctx, &v.p, "ListUsers", form("MaxItems", strconv.Itoa(lp.Size), "Marker", after), &res)
	if warden.ErrorCode(err) == warden.CodeValidationError && after != "" {
		// A marker of another deployment or an edited address: start over.
		after, back, lp.Page = "", nil, 1
		err = c.call(ctx, &v.p, "ListUsers", form("MaxItems", strconv.Itoa(lp.Size)), &res)
	}
	if err != nil {
		return nil, err
	}
	var sum summaryResult
	if c.call(ctx, &v.p, "GetAccountSummary", nil, &sum) == nil {
		lp.Total = sum.get("Users")
	} else {
		lp.Total = (lp.Page-1)*lp.Size + len(res.Users) // what is known
	}
	lp.Pages = max(1, (lp.Total+lp.Size-1)/lp.Size, lp.Page)
	d.Cursor = true
	link := func(after string, back []string, page int) string {
		v := url.Values{"size": {strconv.Itoa(lp.Size)}, "page": {strconv.Itoa(page)}}
		if after != "" {
			v.Set("after", after)
		}
		if len(back) > 0 {
			v.Set("back", strings.Join(back, " "))
		}
		return "/console/users?" + v.Encode()
	}
	if res.IsTruncated {
		d.Next = link(res.Marker, append(slices.Clone(back), markerOrFirst(after)), lp.Page+1)
		lp.NextPage = lp.Page + 1
	}
	if lp.Page > 1 {
		d.First = link("", nil, 1)
		if n := len(back); n > 0 {
			prev := back[n-1]
			if prev == firstPage {
				prev = ""
			}
			d.Prev = link(prev, back[:n-1], lp.Page-1)
			lp.PrevPage = lp.Page - 1
		}
	}
	return res.Users, nil
}

// firstPage stands for the first page's (empty) marker in ?back=.
const firstPage = "-"

func markerOrFirst(m string) string {
	if m == "" {
		return firstPage
	}
	return m
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
