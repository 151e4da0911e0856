package iam

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/warden-iam/warden"
)

// Instance profile quotas from the IAM and STS quotas page.
const (
	maxInstanceProfiles        = 1000
	maxRolesPerInstanceProfile = 1
)

type wInstanceProfile struct {
	Path                string      `xml:"Path"`
	InstanceProfileName string      `xml:"InstanceProfileName"`
	InstanceProfileID   string      `xml:"InstanceProfileId"`
	Arn                 string      `xml:"Arn"`
	CreateDate          time.Time   `xml:"CreateDate"`
	Roles               list[wRole] `xml:"Roles"`
	Tags                *list[wTag] `xml:"Tags,omitempty"`
}

// profileOut shapes an instance profile with its roles, as loaded.
func profileOut(ip *warden.InstanceProfile, roles []*warden.Role) wInstanceProfile {
	w := wInstanceProfile{Path: ip.Path, InstanceProfileName: ip.Name, InstanceProfileID: ip.ID, Arn: ip.ARN(),
		CreateDate: ip.CreateDate, Roles: list[wRole]{}, Tags: tagList(ip.Tags, false)}
	for _, r := range roles {
		w.Roles = append(w.Roles, roleOut(r, roleInProfile))
	}
	return w
}

// rolesIn loads the roles of an instance profile. A role that is gone is
// left out: DeleteRole refuses roles in a profile, so that is only a race.
func (s *Service) rolesIn(ctx context.Context, tx warden.Tx, ip *warden.InstanceProfile) ([]*warden.Role, error) {
	var roles []*warden.Role
	for _, name := range ip.Roles {
		r, err := warden.Load[warden.Role](ctx, tx, ip.Account, warden.NameKey(name))
		if errors.Is(err, warden.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

// profilesOf returns the instance profiles of account that hold the role,
// in name order, from the role profile index.
func profilesOf(ctx context.Context, tx warden.Tx, account, role string) ([]*warden.InstanceProfile, error) {
	return loadAllIndexed[warden.InstanceProfile](ctx, tx, warden.KindRoleProfile, account,
		warden.IndexKey(warden.NameKey(role), ""))
}

// holdsRole returns the index of role in the profile's roles, or -1.
func holdsRole(ip *warden.InstanceProfile, role string) int {
	return slices.IndexFunc(ip.Roles, func(n string) bool { return warden.NameKey(n) == warden.NameKey(role) })
}

func (s *Service) loadInstanceProfile(ctx context.Context, tx warden.Tx, account, name string) (*warden.InstanceProfile, error) {
	ip, err := warden.Load[warden.InstanceProfile](ctx, tx, account, warden.NameKey(name))
	return ip, notFoundAs(err, noSuchEntity("Instance Profile %s cannot be found.", name))
}

// profileFor loads the instance profile an operation acts on and authorizes
// action on it.
func (s *Service) profileFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string, keys map[string][]string) (*warden.InstanceProfile, error) {
	ip, err := s.loadInstanceProfile(ctx, tx, p.Account, name)
	if err != nil {
		if aerr := s.authorize(ctx, p, action, arn(p.Account, "instance-profile", "/", name), keys); aerr != nil && warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			return nil, aerr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, action, ip.ARN(), keys); err != nil {
		return nil, err
	}
	return ip, nil
}

// saveProfile writes a changed instance profile and audits action.
func (s *Service) saveProfile(ctx context.Context, tx warden.Tx, p *warden.Principal, action string, ip *warden.InstanceProfile) error {
	if err := warden.Save(ctx, tx, ip); err != nil {
		return err
	}
	return s.auditIn(ctx, tx, p, action, ip.ARN())
}

type createInstanceProfileInput struct {
	InstanceProfileName string
	Path                string
	Tags                []tagsInput
}

type instanceProfileOutput struct {
	InstanceProfile wInstanceProfile `xml:"InstanceProfile"`
}

func (s *Service) createInstanceProfile(ctx context.Context, p *warden.Principal, in *createInstanceProfileInput) (*instanceProfileOutput, error) {
	path := orDefault(in.Path)
	target := arn(p.Account, "instance-profile", path, in.InstanceProfileName)
	tags := tagsIn(in.Tags)
	if err := s.authorize(ctx, p, "CreateInstanceProfile", target, tagKeys(tags)); err != nil {
		return nil, err
	}
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	ip := &warden.InstanceProfile{Account: p.Account, ID: s.NewID("AIPA", 21), Name: in.InstanceProfileName, Path: path,
		CreateDate: s.now(), Tags: tags}
	err := s.update(ctx, p, "CreateInstanceProfile", target, func(tx warden.Tx) error {
		return insertWithin(ctx, tx, ip, warden.KindInstanceProfile, p.Account, maxInstanceProfiles, "InstanceProfilesPerAccount",
			alreadyExists("Instance Profile %s already exists.", in.InstanceProfileName))
	})
	if err != nil {
		return nil, err
	}
	return &instanceProfileOutput{InstanceProfile: profileOut(ip, nil)}, nil
}

type instanceProfileNameInput struct {
	InstanceProfileName string
}

func (s *Service) getInstanceProfile(ctx context.Context, p *warden.Principal, in *instanceProfileNameInput) (*instanceProfileOutput, error) {
	var out wInstanceProfile
	err := s.view(ctx, func(tx warden.Tx) error {
		ip, err := s.profileFor(ctx, tx, p, "GetInstanceProfile", in.InstanceProfileName, nil)
		if err != nil {
			return err
		}
		roles, err := s.rolesIn(ctx, tx, ip)
		if err != nil {
			return err
		}
		out = profileOut(ip, roles)
		out.Tags = tagList(ip.Tags, true) // GetInstanceProfile answers <Tags/> when there are none
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &instanceProfileOutput{InstanceProfile: out}, nil
}

func (s *Service) deleteInstanceProfile(ctx context.Context, p *warden.Principal, in *instanceProfileNameInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		ip, err := s.profileFor(ctx, tx, p, "DeleteInstanceProfile", in.InstanceProfileName, nil)
		if err != nil {
			return err
		}
		if len(ip.Roles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		if err := warden.Remove(ctx, tx, ip); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteInstanceProfile", ip.ARN())
	})
}

type listInstanceProfilesInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type listInstanceProfilesOutput struct {
	InstanceProfiles list[wInstanceProfile] `xml:"InstanceProfiles"`
	page
}

// profilePage is one page of instance profiles, with their roles.
func (s *Service) profilePage(ctx context.Context, tx warden.Tx, profiles []*warden.InstanceProfile, marker string, maxItems int) (*listInstanceProfilesOutput, error) {
	window, pg, err := paginate(profiles, func(ip *warden.InstanceProfile) string { return warden.NameKey(ip.Name) }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	out := &listInstanceProfilesOutput{InstanceProfiles: list[wInstanceProfile]{}, page: pg}
	for _, ip := range window {
		roles, err := s.rolesIn(ctx, tx, ip)
		if err != nil {
			return nil, err
		}
		out.InstanceProfiles = append(out.InstanceProfiles, profileOut(ip, roles))
	}
	return out, nil
}

func (s *Service) listInstanceProfiles(ctx context.Context, p *warden.Principal, in *listInstanceProfilesInput) (*listInstanceProfilesOutput, error) {
	if err := s.authorize(ctx, p, "ListInstanceProfiles", arn(p.Account, "instance-profile", "/", ""), nil); err != nil {
		return nil, err
	}
	var out *listInstanceProfilesOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		l := pathListing{"ListInstanceProfiles", "instance-profile", in.PathPrefix, in.Marker, in.MaxItems}
		profiles, pg, err := storePage[warden.InstanceProfile](ctx, tx, p.Account, l)
		if err != nil {
			return err
		}
		out = &listInstanceProfilesOutput{InstanceProfiles: list[wInstanceProfile]{}, page: pg}
		for _, ip := range profiles {
			roles, err := s.rolesIn(ctx, tx, ip)
			if err != nil {
				return err
			}
			out.InstanceProfiles = append(out.InstanceProfiles, profileOut(ip, roles))
		}
		return nil
	})
	return out, err
}

type listInstanceProfilesForRoleInput struct {
	RoleName string
	Marker   string
	MaxItems int
}

func (s *Service) listInstanceProfilesForRole(ctx context.Context, p *warden.Principal, in *listInstanceProfilesForRoleInput) (*listInstanceProfilesOutput, error) {
	var out *listInstanceProfilesOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "ListInstanceProfilesForRole", in.RoleName, nil)
		if err != nil {
			return err
		}
		profiles, err := profilesOf(ctx, tx, p.Account, r.Name)
		if err != nil {
			return err
		}
		out, err = s.profilePage(ctx, tx, profiles, in.Marker, in.MaxItems)
		return err
	})
	return out, err
}

type profileRoleInput struct {
	InstanceProfileName string
	RoleName            string
}

func (s *Service) addRoleToInstanceProfile(ctx context.Context, p *warden.Principal, in *profileRoleInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		ip, err := s.profileFor(ctx, tx, p, "AddRoleToInstanceProfile", in.InstanceProfileName, nil)
		if err != nil {
			return err
		}
		r, err := s.loadRole(ctx, tx, p.Account, in.RoleName)
		if err != nil {
			return err
		}
		// Putting a role in an instance profile hands it to whatever runs
		// with the profile, so IAM asks for iam:PassRole on the role too.
		if err := s.authorize(ctx, p, "PassRole", r.ARN(), nil); err != nil {
			return err
		}
		if len(ip.Roles) >= maxRolesPerInstanceProfile {
			return limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", maxRolesPerInstanceProfile)
		}
		ip.Roles = append(ip.Roles, r.Name)
		return s.saveProfile(ctx, tx, p, "AddRoleToInstanceProfile", ip)
	})
}

func (s *Service) removeRoleFromInstanceProfile(ctx context.Context, p *warden.Principal, in *profileRoleInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		ip, err := s.profileFor(ctx, tx, p, "RemoveRoleFromInstanceProfile", in.InstanceProfileName, nil)
		if err != nil {
			return err
		}
		i := holdsRole(ip, in.RoleName)
		if i < 0 {
			return noSuchEntity("The role with name %s cannot be found.", in.RoleName)
		}
		ip.Roles = slices.Delete(ip.Roles, i, i+1)
		return s.saveProfile(ctx, tx, p, "RemoveRoleFromInstanceProfile", ip)
	})
}

type tagInstanceProfileInput struct {
	InstanceProfileName string
	Tags                []tagsInput
}

func (s *Service) tagInstanceProfile(ctx context.Context, p *warden.Principal, in *tagInstanceProfileInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		ip, err := s.profileFor(ctx, tx, p, "TagInstanceProfile", in.InstanceProfileName, tagKeys(tags))
		if err != nil {
			return err
		}
		if ip.Tags, err = mergeTags(ip.Tags, tags, "InstanceProfile"); err != nil {
			return err
		}
		return s.saveProfile(ctx, tx, p, "TagInstanceProfile", ip)
	})
}

type untagInstanceProfileInput struct {
	InstanceProfileName string
	TagKeys             []string
}

func (s *Service) untagInstanceProfile(ctx context.Context, p *warden.Principal, in *untagInstanceProfileInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		ip, err := s.profileFor(ctx, tx, p, "UntagInstanceProfile", in.InstanceProfileName, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		ip.Tags = removeTags(ip.Tags, in.TagKeys)
		return s.saveProfile(ctx, tx, p, "UntagInstanceProfile", ip)
	})
}

type listInstanceProfileTagsInput struct {
	InstanceProfileName string
	Marker              string
	MaxItems            int
}

func (s *Service) listInstanceProfileTags(ctx context.Context, p *warden.Principal, in *listInstanceProfileTagsInput) (*listTagsOutput, error) {
	var ip *warden.InstanceProfile
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		ip, err = s.profileFor(ctx, tx, p, "ListInstanceProfileTags", in.InstanceProfileName, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(ip.Tags, in.Marker, in.MaxItems)
}
