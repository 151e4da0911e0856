package iam

import (
	"context"
	"errors"
	"slices"

	"github.com/warden-iam/warden"
)

// groupFor loads the group an operation acts on and authorizes action on it.
func (s *Service) groupFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string) (*warden.Group, error) {
	g, err := s.loadGroup(ctx, tx, p.Account, name)
	if err != nil {
		if aerr := s.authorize(ctx, p, action, arn(p.Account, "group", "/", name), nil); aerr != nil && warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			return nil, aerr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, action, g.ARN(), nil); err != nil {
		return nil, err
	}
	return g, nil
}

// members returns the users of account that belong to group, in name
// order, from the group member index.
func members(ctx context.Context, tx warden.Tx, account, group string) ([]*warden.User, error) {
	return loadAllIndexed[warden.User](ctx, tx, warden.KindGroupMember, account, memberPrefix(group))
}

// memberPrefix is the prefix of the member index keys of group.
func memberPrefix(group string) string { return warden.IndexKey(warden.NameKey(group), "") }

type createGroupInput struct {
	GroupName string
	Path      string
}

type groupOutput struct {
	Group wGroup `xml:"Group"`
}

func (s *Service) createGroup(ctx context.Context, p *warden.Principal, in *createGroupInput) (*groupOutput, error) {
	path := orDefault(in.Path)
	target := arn(p.Account, "group", path, in.GroupName)
	if err := s.authorize(ctx, p, "CreateGroup", target, nil); err != nil {
		return nil, err
	}
	g := &warden.Group{Account: p.Account, ID: s.NewID("AGPA", 21), Name: in.GroupName, Path: path, CreateDate: s.now()}
	err := s.update(ctx, p, "CreateGroup", target, func(tx warden.Tx) error {
		return insertWithin(ctx, tx, g, warden.KindGroup, p.Account, maxGroupsPerAccount, "GroupsPerAccount",
			alreadyExists("Group with name %s already exists.", in.GroupName))
	})
	if err != nil {
		return nil, err
	}
	return &groupOutput{Group: groupOut(g)}, nil
}

type getGroupInput struct {
	GroupName string
	Marker    string
	MaxItems  int
}

type getGroupOutput struct {
	Group wGroup      `xml:"Group"`
	Users list[wUser] `xml:"Users"`
	page
}

func (s *Service) getGroup(ctx context.Context, p *warden.Principal, in *getGroupInput) (*getGroupOutput, error) {
	var (
		g     *warden.Group
		users []*warden.User
		pg    page
	)
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		if g, err = s.groupFor(ctx, tx, p, "GetGroup", in.GroupName); err != nil {
			return err
		}
		// Members are read a page at a time from the member index, in name
		// order; the marker is the last user's key, bound to the group.
		key := warden.NameKey(g.Name)
		prefix := memberPrefix(g.Name)
		after := ""
		if in.Marker != "" {
			k, ok := openMarker(in.Marker, "GetGroup", p.Account, key)
			if !ok {
				return invalidMarker()
			}
			after = prefix + k
		}
		var (
			last string
			more bool
		)
		users, last, more, err = scanIndex[warden.User](ctx, tx, warden.KindGroupMember, p.Account, prefix, after, pageSize(in.MaxItems), nil)
		if more {
			pg = page{IsTruncated: true, Marker: sealMarker(warden.IndexTarget(last), "GetGroup", p.Account, key)}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &getGroupOutput{Group: groupOut(g), Users: make(list[wUser], 0, len(users)), page: pg}
	for _, u := range users {
		out.Users = append(out.Users, userOut(u, false))
	}
	return out, nil
}

type updateGroupInput struct {
	GroupName    string
	NewGroupName string
	NewPath      string
}

func (s *Service) updateGroup(ctx context.Context, p *warden.Principal, in *updateGroupInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "UpdateGroup", in.GroupName)
		if err != nil {
			return err
		}
		renamed := *g
		if in.NewPath != "" {
			renamed.Path = in.NewPath
		}
		if in.NewGroupName != "" {
			renamed.Name = in.NewGroupName
		}
		if renamed.ARN() != g.ARN() {
			if err := s.authorize(ctx, p, "UpdateGroup", renamed.ARN(), nil); err != nil {
				return err
			}
		}
		if warden.NameKey(renamed.Name) == warden.NameKey(g.Name) {
			if err := warden.Save(ctx, tx, &renamed); err != nil {
				return err
			}
		} else {
			if err := warden.Insert(ctx, tx, &renamed); errors.Is(err, warden.ErrAlreadyExists) {
				return alreadyExists("Group with name %s already exists.", renamed.Name)
			} else if err != nil {
				return err
			}
			if err := warden.Remove(ctx, tx, g); err != nil {
				return err
			}
		}
		if renamed.Name != g.Name {
			users, err := members(ctx, tx, p.Account, g.Name)
			if err != nil {
				return err
			}
			for _, u := range users {
				for i := range u.Groups {
					if warden.NameKey(u.Groups[i]) == warden.NameKey(g.Name) {
						u.Groups[i] = renamed.Name
					}
				}
				if err := warden.Save(ctx, tx, u); err != nil {
					return err
				}
			}
		}
		return s.auditIn(ctx, tx, p, "UpdateGroup", g.ARN())
	})
}

type deleteGroupInput struct {
	GroupName string
}

func (s *Service) deleteGroup(ctx context.Context, p *warden.Principal, in *deleteGroupInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "DeleteGroup", in.GroupName)
		if err != nil {
			return err
		}
		users, err := tx.List(ctx, warden.KindGroupMember, p.Account, memberPrefix(g.Name), "", 1)
		if err != nil {
			return err
		}
		switch {
		case len(users) > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.AttachedPolicies) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(g.InlinePolicies) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if err := warden.Remove(ctx, tx, g); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteGroup", g.ARN())
	})
}

type listGroupsInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type listGroupsOutput struct {
	Groups list[wGroup] `xml:"Groups"`
	page
}

func (s *Service) listGroups(ctx context.Context, p *warden.Principal, in *listGroupsInput) (*listGroupsOutput, error) {
	groups, pg, err := listByPath(ctx, s, p, pathListing{"ListGroups", "group", in.PathPrefix, in.Marker, in.MaxItems},
		groupOut)
	if err != nil {
		return nil, err
	}
	return &listGroupsOutput{Groups: groups, page: pg}, nil
}

func groupPage(groups []*warden.Group, marker string, maxItems int) (*listGroupsOutput, error) {
	out, pg, err := shapePage(groups, marker, maxItems, groupPathName, groupOut)
	if err != nil {
		return nil, err
	}
	return &listGroupsOutput{Groups: out, page: pg}, nil
}

type userGroupInput struct {
	GroupName string
	UserName  string
}

// addUserToGroup looks for the user before the group, as IAM does: with
// neither, the answer is the user's NoSuchEntity (to a caller allowed to ask).
func (s *Service) addUserToGroup(ctx context.Context, p *warden.Principal, in *userGroupInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.loadUser(ctx, tx, p.Account, in.UserName)
		if err != nil {
			if aerr := s.authorize(ctx, p, "AddUserToGroup", arn(p.Account, "group", "/", in.GroupName), nil); aerr != nil && warden.ErrorCode(err) == warden.CodeNoSuchEntity {
				return aerr
			}
			return err
		}
		g, err := s.groupFor(ctx, tx, p, "AddUserToGroup", in.GroupName)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(u.Groups, func(n string) bool { return warden.NameKey(n) == warden.NameKey(g.Name) }) {
			return nil // adding a member twice succeeds, as in IAM
		}
		if len(u.Groups) >= maxGroupsPerUser {
			return limitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
		}
		u.Groups = append(u.Groups, g.Name)
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "AddUserToGroup", g.ARN())
	})
}

func (s *Service) removeUserFromGroup(ctx context.Context, p *warden.Principal, in *userGroupInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		g, err := s.groupFor(ctx, tx, p, "RemoveUserFromGroup", in.GroupName)
		if err != nil {
			return err
		}
		u, err := s.loadUser(ctx, tx, p.Account, in.UserName)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(u.Groups, func(n string) bool { return warden.NameKey(n) == warden.NameKey(g.Name) })
		if i < 0 {
			return nil // removing a user who is not a member succeeds and changes nothing, as in IAM
		}
		u.Groups = slices.Delete(u.Groups, i, i+1)
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "RemoveUserFromGroup", g.ARN())
	})
}

type listGroupsForUserInput struct {
	UserName string
	Marker   string
	MaxItems int
}

func (s *Service) listGroupsForUser(ctx context.Context, p *warden.Principal, in *listGroupsForUserInput) (*listGroupsOutput, error) {
	var groups []*warden.Group
	err := s.view(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "ListGroupsForUser", in.UserName, nil)
		if err != nil {
			return err
		}
		for _, name := range u.Groups {
			g, err := s.loadGroup(ctx, tx, p.Account, name)
			if err != nil {
				return err
			}
			groups = append(groups, g)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return groupPage(groups, in.Marker, in.MaxItems)
}
