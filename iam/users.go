package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/warden-iam/warden"
)

// Quotas from the IAM and STS quotas page.
const (
	maxUsersPerAccount  = 5000
	maxGroupsPerAccount = 300
	maxGroupsPerUser    = 10
	maxTags             = 50
	maxAccessKeys       = 2
	maxManagedPerEntity = 10
	maxPolicies         = 1500
	maxVersions         = 5
)

type tagsInput struct {
	Key   string
	Value string
}

func tagsIn(in []tagsInput) []warden.Tag {
	out := make([]warden.Tag, len(in))
	for i, t := range in {
		out[i] = warden.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// checkNewTags rejects duplicate keys (compared regardless of case, as IAM
// does) and keys in the reserved aws: namespace.
func checkNewTags(tags []warden.Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		if strings.HasPrefix(k, "aws:") {
			return invalidInput("User-defined tag keys can't start with \"aws:\". This prefix is reserved for AWS tags.")
		}
	}
	return nil
}

// mergeTags adds or replaces tags, keeping the first spelling of each key.
func mergeTags(have, add []warden.Tag, entity string) ([]warden.Tag, error) {
	if err := checkNewTags(add); err != nil {
		return nil, err
	}
	out := append([]warden.Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i].Value = t.Value
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, limitExceeded("Cannot exceed quota for TagsPer%s: %d", entity, maxTags)
	}
	return out, nil
}

func removeTags(have []warden.Tag, keys []string) []warden.Tag {
	out := have[:0:0]
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// tagKeys returns the request context keys for tags in a request.
func tagKeys(tags []warden.Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	keys := map[string][]string{}
	for _, t := range tags {
		keys["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys["aws:TagKeys"] = append(keys["aws:TagKeys"], t.Key)
	}
	return keys
}

// creationKeys are the request context keys of creating a user or role: its
// tags and, when given, its permissions boundary.
func creationKeys(tags []warden.Tag, boundary string) map[string][]string {
	keys := tagKeys(tags)
	if boundary != "" {
		if keys == nil {
			keys = map[string][]string{}
		}
		keys["iam:PermissionsBoundary"] = []string{boundary}
	}
	return keys
}

type createUserInput struct {
	UserName            string
	Path                string
	PermissionsBoundary string
	Tags                []tagsInput
}

type createUserOutput struct {
	User wUser `xml:"User"`
}

func (s *Service) createUser(ctx context.Context, p *warden.Principal, in *createUserInput) (*createUserOutput, error) {
	path := orDefault(in.Path)
	target := arn(p.Account, "user", path, in.UserName)
	tags := tagsIn(in.Tags)
	keys := creationKeys(tags, in.PermissionsBoundary)
	if err := s.authorize(ctx, p, "CreateUser", target, keys); err != nil {
		return nil, err
	}
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	u := &warden.User{Account: p.Account, ID: s.NewID("AIDA", 21), Name: in.UserName, Path: path,
		CreateDate: s.now(), Tags: tags, PermissionsBoundary: in.PermissionsBoundary}
	err := s.update(ctx, p, "CreateUser", target, func(tx warden.Tx) error {
		if u.PermissionsBoundary != "" {
			if err := s.useAsBoundary(ctx, tx, p.Account, u.PermissionsBoundary, 1); err != nil {
				return err
			}
		}
		return insertWithin(ctx, tx, u, warden.KindUser, p.Account, maxUsersPerAccount, "UsersPerAccount",
			alreadyExists("User with name %s already exists.", in.UserName))
	})
	if err != nil {
		return nil, err
	}
	return &createUserOutput{User: userOut(u, true)}, nil
}

type getUserInput struct {
	UserName string
}

type getUserOutput struct {
	User wUser `xml:"User"`
}

func (s *Service) getUser(ctx context.Context, p *warden.Principal, in *getUserInput) (*getUserOutput, error) {
	name := in.UserName
	if name == "" {
		if p.IsRoot() {
			var acct *warden.Account
			err := s.view(ctx, func(tx warden.Tx) (err error) {
				acct, err = s.loadAccount(ctx, tx, p.Account)
				return err
			})
			if err != nil {
				return nil, err
			}
			return &getUserOutput{User: wUser{UserID: p.Account, Arn: acct.RootARN(), CreateDate: acct.CreateDate}}, nil
		}
		if p.Type != warden.PrincipalUser {
			return nil, warden.Errorf(warden.CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
		if p.Virtual { // the --dev user, which is not stored
			return &getUserOutput{User: wUser{Path: "/", UserName: p.Name, UserID: p.ID, Arn: p.ARN}}, nil
		}
		name = p.Name
	}
	var u *warden.User
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		u, err = s.userFor(ctx, tx, p, "GetUser", name, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &getUserOutput{User: userOut(u, true)}, nil
}

type updateUserInput struct {
	UserName    string
	NewPath     string
	NewUserName string
}

func (s *Service) updateUser(ctx context.Context, p *warden.Principal, in *updateUserInput) error {
	var target string
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "UpdateUser", in.UserName, nil)
		if err != nil {
			return err
		}
		target = u.ARN()
		renamed := *u
		if in.NewPath != "" {
			renamed.Path = in.NewPath
		}
		if in.NewUserName != "" {
			renamed.Name = in.NewUserName
		}
		if renamed.Name != u.Name || renamed.Path != u.Path {
			if err := s.authorize(ctx, p, "UpdateUser", renamed.ARN(), nil); err != nil {
				return err
			}
		}
		if warden.NameKey(renamed.Name) == warden.NameKey(u.Name) {
			if err := warden.Save(ctx, tx, &renamed); err != nil {
				return err
			}
		} else {
			if err := warden.Insert(ctx, tx, &renamed); errors.Is(err, warden.ErrAlreadyExists) {
				return alreadyExists("User with name %s already exists.", renamed.Name)
			} else if err != nil {
				return err
			}
			if err := warden.Remove(ctx, tx, u); err != nil {
				return err
			}
		}
		for _, id := range u.AccessKeys {
			k, err := warden.Load[warden.AccessKey](ctx, tx, "", id)
			if err != nil {
				return err
			}
			k.UserName = renamed.Name
			if err := warden.Save(ctx, tx, k); err != nil {
				return err
			}
		}
		for _, serial := range u.MFADevices {
			key, ok := warden.ParseMFASerialNumber(p.Account, serial)
			if !ok {
				continue
			}
			d, err := warden.Load[warden.MFADevice](ctx, tx, p.Account, key)
			if err != nil {
				return err
			}
			d.UserName = renamed.Name
			if err := warden.Save(ctx, tx, d); err != nil {
				return err
			}
		}
		return s.auditIn(ctx, tx, p, "UpdateUser", target)
	})
	return err
}

// auditIn appends the audit event of an operation that manages its own
// transaction.
func (s *Service) auditIn(ctx context.Context, tx warden.Tx, p *warden.Principal, action, resource string) error {
	return tx.AppendAudit(ctx, warden.AuditEvent{
		Time: s.Now().UTC(), Account: p.Account, RequestID: warden.RequestID(ctx), Actor: p.ARN,
		Action: "iam:" + action, Resource: resource, SourceIP: p.SourceIP, UserAgent: p.UserAgent, Outcome: "Success",
	})
}

type deleteUserInput struct {
	UserName string
}

func (s *Service) deleteUser(ctx context.Context, p *warden.Principal, in *deleteUserInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "DeleteUser", in.UserName, nil)
		if err != nil {
			return err
		}
		switch {
		case u.LoginProfile != nil:
			return deleteConflict("Cannot delete entity, must delete login profile first.")
		case len(u.AccessKeys) > 0:
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		case len(u.Groups) > 0:
			return deleteConflict("Cannot delete entity, must remove user from all groups first.")
		case len(u.AttachedPolicies) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(u.InlinePolicies) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(u.MFADevices) > 0:
			return deleteConflict("Cannot delete entity, must delete MFA device first.")
		}
		if err := credentialConflict(ctx, tx, u); err != nil {
			return err
		}
		if u.PermissionsBoundary != "" {
			if err := s.useAsBoundary(ctx, tx, p.Account, u.PermissionsBoundary, -1); err != nil && warden.ErrorCode(err) != warden.CodeInvalidInput {
				return err
			}
		}
		if err := warden.Remove(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteUser", u.ARN())
	})
}

type listUsersInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type listUsersOutput struct {
	Users list[wUser] `xml:"Users"`
	page
}

func (s *Service) listUsers(ctx context.Context, p *warden.Principal, in *listUsersInput) (*listUsersOutput, error) {
	users, pg, err := listByPath(ctx, s, p, pathListing{"ListUsers", "user", in.PathPrefix, in.Marker, in.MaxItems},
		func(u *warden.User) wUser { return userOut(u, false) })
	if err != nil {
		return nil, err
	}
	return &listUsersOutput{Users: users, page: pg}, nil
}

func filter[T any](items []T, keep func(T) bool) []T {
	out := items[:0:0]
	for _, it := range items {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

type tagUserInput struct {
	UserName string
	Tags     []tagsInput
}

func (s *Service) tagUser(ctx context.Context, p *warden.Principal, in *tagUserInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "TagUser", in.UserName, tagKeys(tags))
		if err != nil {
			return err
		}
		if u.Tags, err = mergeTags(u.Tags, tags, "User"); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "TagUser", u.ARN())
	})
}

type untagUserInput struct {
	UserName string
	TagKeys  []string
}

func (s *Service) untagUser(ctx context.Context, p *warden.Principal, in *untagUserInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "UntagUser", in.UserName, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		u.Tags = removeTags(u.Tags, in.TagKeys)
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UntagUser", u.ARN())
	})
}

type listUserTagsInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type listTagsOutput struct {
	Tags list[wTag] `xml:"Tags"`
	page
}

func (s *Service) listUserTags(ctx context.Context, p *warden.Principal, in *listUserTagsInput) (*listTagsOutput, error) {
	var u *warden.User
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		u, err = s.userFor(ctx, tx, p, "ListUserTags", in.UserName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(u.Tags, in.Marker, in.MaxItems)
}

// tagPage lists tags sorted by key, as the List*Tags operations do (and as
// paginate's markers need).
func tagPage(tags []warden.Tag, marker string, maxItems int) (*listTagsOutput, error) {
	tags = slices.SortedFunc(slices.Values(tags), func(a, b warden.Tag) int { return strings.Compare(a.Key, b.Key) })
	window, pg, err := paginate(tags, func(t warden.Tag) string { return t.Key }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return &listTagsOutput{Tags: tagsOut(window), page: pg}, nil
}

// userFor loads the user an operation acts on and authorizes action on it.
// A caller who may not act on a user of that name learns AccessDenied, not
// whether the user exists.
func (s *Service) userFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string, keys map[string][]string) (*warden.User, error) {
	u, err := s.loadUser(ctx, tx, p.Account, name)
	if err != nil {
		if aerr := s.authorize(ctx, p, action, arn(p.Account, "user", "/", name), keys); aerr != nil && warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			return nil, aerr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, action, u.ARN(), withResourceTags(keys, u.Tags)); err != nil {
		return nil, err
	}
	return u, nil
}

// withResourceTags adds aws:ResourceTag/* and iam:ResourceTag/* for the tags
// of the resource acted on, which IAM supports for users and roles.
func withResourceTags(keys map[string][]string, tags []warden.Tag) map[string][]string {
	if len(tags) == 0 {
		return keys
	}
	out := make(map[string][]string, len(keys)+2*len(tags))
	for k, v := range keys {
		out[k] = v
	}
	for _, t := range tags {
		out["aws:ResourceTag/"+t.Key] = []string{t.Value}
		out["iam:ResourceTag/"+t.Key] = []string{t.Value}
	}
	return out
}
