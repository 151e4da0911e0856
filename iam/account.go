package iam

import (
	"context"
	"errors"

	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// CreateAccount creates an account with its root user. rootPassword may be
// empty (no console sign-in for root until one is set). It returns
// EntityAlreadyExists when the ID is taken.
func (s *Service) CreateAccount(ctx context.Context, id, name, rootEmail, rootPasswordHash string) (*warden.Account, error) {
	acct := &warden.Account{ID: id, Name: name, RootEmail: rootEmail, RootPassword: rootPasswordHash, RootID: id,
		Status: warden.AccountActive, CreateDate: s.now()}
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		err := warden.Insert(ctx, tx, acct)
		if errors.Is(err, warden.ErrAlreadyExists) {
			return alreadyExists("Account %s already exists.", id)
		}
		if err != nil {
			return err
		}
		return tx.AppendAudit(ctx, warden.AuditEvent{Time: s.Now().UTC(), Account: id, Actor: "warden-cli",
			Action: "warden:CreateAccount", Resource: acct.RootARN(), Outcome: "Success"})
	})
	if err != nil {
		return nil, err
	}
	return acct, nil
}

// Accounts lists every account of the deployment in ID order.
func (s *Service) Accounts(ctx context.Context) ([]*warden.Account, error) {
	var out []*warden.Account
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		out, err = warden.LoadAll[warden.Account](ctx, tx, "", "", "", 0)
		return err
	})
	return out, err
}

// SoleAccount returns the deployment's account when it has exactly one, and
// nil when it has more (or none): it reads two accounts at most, however
// many there are, for pages that every visitor may load.
func (s *Service) SoleAccount(ctx context.Context) (*warden.Account, error) {
	var out []*warden.Account
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		out, err = warden.LoadAll[warden.Account](ctx, tx, "", "", "", 2)
		return err
	})
	if err != nil || len(out) != 1 {
		return nil, err
	}
	return out[0], nil
}

type accountAliasInput struct {
	AccountAlias string
}

func (s *Service) createAccountAlias(ctx context.Context, p *warden.Principal, in *accountAliasInput) error {
	if err := s.authorize(ctx, p, "CreateAccountAlias", "*", nil); err != nil {
		return err
	}
	if strings.Trim(in.AccountAlias, "0123456789") == "" {
		return invalidInput("An account alias cannot consist only of digits.")
	}
	return s.update(ctx, p, "CreateAccountAlias", accountResource(p.Account), func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if acct.Alias == in.AccountAlias {
			return nil
		}
		err = warden.Insert(ctx, tx, &warden.Alias{Name: in.AccountAlias, Account: p.Account})
		if errors.Is(err, warden.ErrAlreadyExists) {
			return alreadyExists("The account alias %s already exists.", in.AccountAlias)
		}
		if err != nil {
			return err
		}
		// An account has one alias: a new one replaces the old.
		if acct.Alias != "" {
			if err := warden.Remove(ctx, tx, &warden.Alias{Name: acct.Alias}); err != nil && !errors.Is(err, warden.ErrNotFound) {
				return err
			}
		}
		acct.Alias = in.AccountAlias
		return warden.Save(ctx, tx, acct)
	})
}

func (s *Service) deleteAccountAlias(ctx context.Context, p *warden.Principal, in *accountAliasInput) error {
	if err := s.authorize(ctx, p, "DeleteAccountAlias", "*", nil); err != nil {
		return err
	}
	return s.update(ctx, p, "DeleteAccountAlias", accountResource(p.Account), func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		if acct.Alias != in.AccountAlias {
			return noSuchEntity("The account alias %s cannot be found.", in.AccountAlias)
		}
		if err := warden.Remove(ctx, tx, &warden.Alias{Name: acct.Alias}); err != nil {
			return err
		}
		acct.Alias = ""
		return warden.Save(ctx, tx, acct)
	})
}

type listAccountAliasesInput struct {
	Marker   string
	MaxItems int
}

type listAccountAliasesOutput struct {
	AccountAliases list[string] `xml:"AccountAliases"`
	page
}

func (s *Service) listAccountAliases(ctx context.Context, p *warden.Principal, in *listAccountAliasesInput) (*listAccountAliasesOutput, error) {
	if err := s.authorize(ctx, p, "ListAccountAliases", "*", nil); err != nil {
		return nil, err
	}
	var acct *warden.Account
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		acct, err = s.loadAccount(ctx, tx, p.Account)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listAccountAliasesOutput{AccountAliases: list[string]{}}
	if acct.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, acct.Alias)
	}
	return out, nil
}

// AccountByAlias returns the account an alias names, or NoSuchEntity.
func (s *Service) AccountByAlias(ctx context.Context, alias string) (*warden.Account, error) {
	var acct *warden.Account
	err := s.view(ctx, func(tx warden.Tx) error {
		a, err := warden.Load[warden.Alias](ctx, tx, "", alias)
		if err != nil {
			return notFoundAs(err, noSuchEntity("The account alias %s cannot be found.", alias))
		}
		acct, err = s.loadAccount(ctx, tx, a.Account)
		return err
	})
	return acct, err
}

type summaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

type getAccountSummaryOutput struct {
	SummaryMap []summaryEntry `xml:"SummaryMap>entry"`
}

func (s *Service) getAccountSummary(ctx context.Context, p *warden.Principal, _ *emptyInput) (*getAccountSummaryOutput, error) {
	if err := s.authorize(ctx, p, "GetAccountSummary", "*", nil); err != nil {
		return nil, err
	}
	counts := map[string]int{}
	err := s.view(ctx, func(tx warden.Tx) error {
		acct, err := s.loadAccount(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		// Counted by the database: the cost does not grow with what the
		// records hold, and nothing is decoded.
		for _, kind := range []struct {
			name string
			kind warden.Kind
		}{{"Users", warden.KindUser}, {"Groups", warden.KindGroup}, {"Policies", warden.KindPolicy}, {"Roles", warden.KindRole},
			{"InstanceProfiles", warden.KindInstanceProfile}, {"MFADevices", warden.KindMFADevice}} {
			if counts[kind.name], err = tx.Count(ctx, kind.kind, p.Account); err != nil {
				return err
			}
		}
		if counts["PolicyVersionsInUse"], err = tx.SumLen(ctx, warden.KindPolicy, p.Account, "versions"); err != nil {
			return err
		}
		// An assigned device names its user (RootMFAUser for the root user).
		if counts["MFADevicesInUse"], err = tx.CountSet(ctx, warden.KindMFADevice, p.Account, "user"); err != nil {
			return err
		}
		if counts["Providers"], err = tx.Count(ctx, warden.KindOIDCProvider, p.Account); err != nil {
			return err
		}
		saml, err := tx.Count(ctx, warden.KindSAMLProvider, p.Account)
		if err != nil {
			return err
		}
		counts["Providers"] += saml
		if len(acct.RootAccessKeys) > 0 {
			counts["AccountAccessKeysPresent"] = 1
		}
		if len(acct.RootMFADevices) > 0 {
			counts["AccountMFAEnabled"] = 1
		}
		if err := credentialSummary(ctx, tx, p.Account, counts); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	quotas := map[string]int{
		"UsersQuota": maxUsersPerAccount, "GroupsQuota": maxGroupsPerAccount, "PoliciesQuota": maxPolicies,
		"PolicySizeQuota": maxManagedPolicySize, "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": maxVersions,
		"GroupsPerUserQuota": maxGroupsPerUser, "AttachedPoliciesPerUserQuota": maxManagedPerEntity,
		"AttachedPoliciesPerGroupQuota": maxManagedPerEntity, "AttachedPoliciesPerRoleQuota": maxManagedPerEntity,
		"AccessKeysPerUserQuota": maxAccessKeys, "SigningCertificatesPerUserQuota": 2, "UserPolicySizeQuota": maxUserInlineSize,
		"GroupPolicySizeQuota": maxGroupInlineSize, "RolePolicySizeQuota": 10240, "RolesQuota": 1000,
		"InstanceProfilesQuota": 1000, "AssumeRolePolicySizeQuota": 2048, "ServerCertificatesQuota": 20,
		"ServerCertificates": 0, "Providers": 0, "AccountMFAEnabled": 0, "AccountSigningCertificatesPresent": 0,
		"GlobalEndpointTokenVersion": 1,
	}
	for k, v := range quotas {
		if _, ok := counts[k]; !ok {
			counts[k] = v
		}
	}
	out := &getAccountSummaryOutput{}
	for _, k := range summaryOrder {
		out.SummaryMap = append(out.SummaryMap, summaryEntry{k, counts[k]})
	}
	return out, nil
}

var summaryOrder = []string{"GroupPolicySizeQuota", "InstanceProfilesQuota", "Policies", "GroupsPerUserQuota",
	"InstanceProfiles", "AttachedPoliciesPerUserQuota", "Users", "PoliciesQuota", "Providers", "AccountMFAEnabled",
	"AccessKeysPerUserQuota", "AssumeRolePolicySizeQuota", "PolicyVersionsInUseQuota", "GlobalEndpointTokenVersion",
	"VersionsPerPolicyQuota", "AttachedPoliciesPerGroupQuota", "PolicySizeQuota", "Groups",
	"AccountSigningCertificatesPresent", "UsersQuota", "ServerCertificatesQuota", "MFADevices", "UserPolicySizeQuota",
	"PolicyVersionsInUse", "ServerCertificates", "Roles", "RolesQuota", "SigningCertificatesPerUserQuota",
	"MFADevicesInUse", "RolePolicySizeQuota", "AttachedPoliciesPerRoleQuota", "AccountAccessKeysPresent", "GroupsQuota"}

type getAuthDetailsInput struct {
	Filter   []string
	MaxItems int
	Marker   string
}

type wPolicyDetail struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type wUserDetail struct {
	Path                    string                `xml:"Path"`
	UserName                string                `xml:"UserName"`
	UserID                  string                `xml:"UserId"`
	Arn                     string                `xml:"Arn"`
	CreateDate              time.Time             `xml:"CreateDate"`
	UserPolicyList          list[wPolicyDetail]   `xml:"UserPolicyList"`
	GroupList               list[string]          `xml:"GroupList"`
	AttachedManagedPolicies list[wAttachedPolicy] `xml:"AttachedManagedPolicies"`
	PermissionsBoundary     *wBoundary            `xml:"PermissionsBoundary,omitempty"`
	Tags                    list[wTag]            `xml:"Tags"`
}

type wGroupDetail struct {
	Path                    string                `xml:"Path"`
	GroupName               string                `xml:"GroupName"`
	GroupID                 string                `xml:"GroupId"`
	Arn                     string                `xml:"Arn"`
	CreateDate              time.Time             `xml:"CreateDate"`
	GroupPolicyList         list[wPolicyDetail]   `xml:"GroupPolicyList"`
	AttachedManagedPolicies list[wAttachedPolicy] `xml:"AttachedManagedPolicies"`
}

type wRoleDetail struct {
	Path                     string                 `xml:"Path"`
	RoleName                 string                 `xml:"RoleName"`
	RoleID                   string                 `xml:"RoleId"`
	Arn                      string                 `xml:"Arn"`
	CreateDate               time.Time              `xml:"CreateDate"`
	AssumeRolePolicyDocument string                 `xml:"AssumeRolePolicyDocument"`
	InstanceProfileList      list[wInstanceProfile] `xml:"InstanceProfileList"`
	RolePolicyList           list[wPolicyDetail]    `xml:"RolePolicyList"`
	AttachedManagedPolicies  list[wAttachedPolicy]  `xml:"AttachedManagedPolicies"`
	PermissionsBoundary      *wBoundary             `xml:"PermissionsBoundary,omitempty"`
	Tags                     list[wTag]             `xml:"Tags"`
	RoleLastUsed             *wRoleLastUsed         `xml:"RoleLastUsed"`
}

type wManagedPolicyDetail struct {
	wPolicy
	PolicyVersionList list[wPolicyVersion] `xml:"PolicyVersionList"`
}

type getAuthDetailsOutput struct {
	UserDetailList  list[wUserDetail]          `xml:"UserDetailList"`
	GroupDetailList list[wGroupDetail]         `xml:"GroupDetailList"`
	RoleDetailList  list[wRoleDetail]          `xml:"RoleDetailList"`
	Policies        list[wManagedPolicyDetail] `xml:"Policies"`
	page
}

func inlineDetails(ps []warden.InlinePolicy) list[wPolicyDetail] {
	out := list[wPolicyDetail]{}
	for _, p := range ps {
		out = append(out, wPolicyDetail{p.Name, encodeDocument(p.Document)})
	}
	return out
}

func attachedDetails(arns []string) list[wAttachedPolicy] {
	out := list[wAttachedPolicy]{}
	for _, a := range arns {
		_, _, name, _ := parsePolicyARN(a)
		out = append(out, wAttachedPolicy{name, a})
	}
	return out
}

func (s *Service) getAccountAuthorizationDetails(ctx context.Context, p *warden.Principal, in *getAuthDetailsInput) (*getAuthDetailsOutput, error) {
	if err := s.authorize(ctx, p, "GetAccountAuthorizationDetails", "*", nil); err != nil {
		return nil, err
	}
	want := func(t string) bool {
		if len(in.Filter) == 0 {
			return true
		}
		for _, f := range in.Filter {
			// "ManagedPolicy" items are the account's own (local) policies,
			// "AWSManagedPolicy" the AWS managed ones in use in the account.
			if f == t || (t == "ManagedPolicy" && f == "LocalManagedPolicy") {
				return true
			}
		}
		return false
	}
	type item struct {
		key    string
		user   *warden.User
		group  *warden.Group
		policy *warden.ManagedPolicy
		role   *wRoleDetail
	}
	// One page is read from the store, section by section (users, groups,
	// roles, the account's policies, the AWS managed policies in use), each
	// by its primary key after the marker's: the cost of a page does not
	// grow with the account. The marker names the last item returned.
	const action = "GetAccountAuthorizationDetails"
	filters := strings.Join(in.Filter, ",")
	after := ""
	if in.Marker != "" {
		k, ok := openMarker(in.Marker, action, p.Account, filters)
		if !ok {
			return nil, invalidMarker()
		}
		after = k
	}
	maxItems := pageSize(in.MaxItems)
	need := maxItems + 1 // one more tells whether the list goes on
	var items []item
	// from returns the key to start a section at: the marker's key in its
	// own section, "" in a later one, and false for a section the marker
	// has passed.
	from := func(section string) (string, bool) {
		sec, key, _ := strings.Cut(after, "/")
		switch {
		case after == "" || sec < section:
			return "", true
		case sec == section:
			return key, true
		}
		return "", false
	}
	err := s.view(ctx, func(tx warden.Tx) error {
		if k, ok := from("1"); ok && want("User") && len(items) < need {
			users, _, _, err := scan[warden.User](ctx, tx, p.Account, k, need-len(items), func(*warden.User) bool { return true })
			if err != nil {
				return err
			}
			for _, u := range users {
				items = append(items, item{key: "1/" + warden.NameKey(u.Name), user: u})
			}
		}
		if k, ok := from("2"); ok && want("Group") && len(items) < need {
			groups, _, _, err := scan[warden.Group](ctx, tx, p.Account, k, need-len(items), func(*warden.Group) bool { return true })
			if err != nil {
				return err
			}
			for _, g := range groups {
				items = append(items, item{key: "2/" + warden.NameKey(g.Name), group: g})
			}
		}
		if k, ok := from("3"); ok && want("Role") && len(items) < need {
			roles, _, _, err := scan[warden.Role](ctx, tx, p.Account, k, need-len(items), func(*warden.Role) bool { return true })
			if err != nil {
				return err
			}
			held := map[string]*warden.Role{}
			roleNamed := func(name string) (*warden.Role, error) {
				if r, ok := held[warden.NameKey(name)]; ok {
					return r, nil
				}
				r, err := warden.Load[warden.Role](ctx, tx, p.Account, warden.NameKey(name))
				if warden.IsNotFound(err) {
					return nil, nil
				}
				held[warden.NameKey(name)] = r
				return r, err
			}
			for _, r := range roles {
				held[warden.NameKey(r.Name)] = r
			}
			for _, r := range roles {
				d := &wRoleDetail{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN(), CreateDate: r.CreateDate,
					AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument), InstanceProfileList: list[wInstanceProfile]{},
					RolePolicyList: inlineDetails(r.InlinePolicies), AttachedManagedPolicies: attachedDetails(r.AttachedPolicies),
					PermissionsBoundary: boundaryOut(r.PermissionsBoundary), Tags: tagsOut(r.Tags), RoleLastUsed: lastUsedOut(r.RoleLastUsed)}
				// The instance profiles holding the role, from the roleprofile
				// index: a page of roles reads those, not every profile.
				profiles, err := profilesOf(ctx, tx, p.Account, r.Name)
				if err != nil {
					return err
				}
				for _, ip := range profiles {
					if holdsRole(ip, r.Name) < 0 {
						continue
					}
					var in []*warden.Role
					for _, n := range ip.Roles {
						hr, err := roleNamed(n)
						if err != nil {
							return err
						}
						if hr != nil {
							in = append(in, hr)
						}
					}
					d.InstanceProfileList = append(d.InstanceProfileList, profileOut(ip, in))
				}
				items = append(items, item{key: "3/" + warden.NameKey(r.Name), role: d})
			}
		}
		if k, ok := from("4"); ok && want("ManagedPolicy") && len(items) < need {
			policies, _, _, err := scan[warden.ManagedPolicy](ctx, tx, p.Account, k, need-len(items), func(*warden.ManagedPolicy) bool { return true })
			if err != nil {
				return err
			}
			for _, mp := range policies {
				items = append(items, item{key: "4/" + warden.NameKey(mp.Name), policy: mp})
			}
		}
		if k, ok := from("5"); ok && want("AWSManagedPolicy") && len(items) < need {
			// Like AWS, list the AWS managed policies attached to something
			// (or used as a boundary) in the account, not all of them; the
			// account's usage records bound them.
			policies, err := s.awsPoliciesIn(ctx, tx, p.Account)
			if err != nil {
				return err
			}
			var inUse []item
			for _, mp := range policies {
				if key := mp.Path + mp.Name; (mp.AttachmentCount > 0 || mp.BoundaryCount > 0) && key > k {
					inUse = append(inUse, item{key: "5/" + key, policy: mp})
				}
			}
			slices.SortFunc(inUse, func(a, b item) int { return strings.Compare(a.key, b.key) })
			items = append(items, inUse[:min(len(inUse), need-len(items))]...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var pg page
	window := items
	if len(items) > maxItems {
		window = items[:maxItems]
		pg = page{IsTruncated: true, Marker: sealMarker(window[len(window)-1].key, action, p.Account, filters)}
	}
	out := &getAuthDetailsOutput{UserDetailList: list[wUserDetail]{}, GroupDetailList: list[wGroupDetail]{},
		RoleDetailList: list[wRoleDetail]{}, Policies: list[wManagedPolicyDetail]{}, page: pg}
	for _, it := range window {
		switch {
		case it.user != nil:
			u := it.user
			out.UserDetailList = append(out.UserDetailList, wUserDetail{Path: u.Path, UserName: u.Name, UserID: u.ID,
				Arn: u.ARN(), CreateDate: u.CreateDate, UserPolicyList: inlineDetails(u.InlinePolicies),
				GroupList: append(list[string]{}, u.Groups...), AttachedManagedPolicies: attachedDetails(u.AttachedPolicies),
				PermissionsBoundary: boundaryOut(u.PermissionsBoundary), Tags: tagsOut(u.Tags)})
		case it.group != nil:
			g := it.group
			out.GroupDetailList = append(out.GroupDetailList, wGroupDetail{Path: g.Path, GroupName: g.Name, GroupID: g.ID,
				Arn: g.ARN(), CreateDate: g.CreateDate, GroupPolicyList: inlineDetails(g.InlinePolicies),
				AttachedManagedPolicies: attachedDetails(g.AttachedPolicies)})
		case it.role != nil:
			out.RoleDetailList = append(out.RoleDetailList, *it.role)
		default:
			mp := it.policy
			d := wManagedPolicyDetail{wPolicy: policyOut(mp, false, true), PolicyVersionList: list[wPolicyVersion]{}}
			for _, v := range mp.Versions {
				d.PolicyVersionList = append(d.PolicyVersionList, wPolicyVersion{Document: encodeDocument(v.Document),
					VersionID: v.ID, IsDefaultVersion: v.ID == mp.DefaultVersion, CreateDate: v.CreateDate})
			}
			out.Policies = append(out.Policies, d)
		}
	}
	return out, nil
}
