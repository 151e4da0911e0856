package iam

import (
	"context"

	"github.com/warden-iam/warden"
)

type putUserBoundaryInput struct {
	UserName            string
	PermissionsBoundary string
}

// putUserPermissionsBoundary sets or replaces a user's permissions boundary.
func (s *Service) putUserPermissionsBoundary(ctx context.Context, p *warden.Principal, in *putUserBoundaryInput) error {
	keys := map[string][]string{"iam:PermissionsBoundary": {in.PermissionsBoundary}}
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "PutUserPermissionsBoundary", in.UserName, keys)
		if err != nil {
			return err
		}
		if u.PermissionsBoundary == in.PermissionsBoundary {
			return nil
		}
		if err := s.useAsBoundary(ctx, tx, p.Account, in.PermissionsBoundary, 1); err != nil {
			return err
		}
		if u.PermissionsBoundary != "" {
			if err := s.useAsBoundary(ctx, tx, p.Account, u.PermissionsBoundary, -1); err != nil && warden.ErrorCode(err) != warden.CodeInvalidInput {
				return err
			}
		}
		u.PermissionsBoundary = in.PermissionsBoundary
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "PutUserPermissionsBoundary", u.ARN())
	})
}

// deleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) deleteUserPermissionsBoundary(ctx context.Context, p *warden.Principal, in *userNameInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "DeleteUserPermissionsBoundary", in.UserName, nil)
		if err != nil {
			return err
		}
		if u.PermissionsBoundary == "" {
			return noSuchEntity("The user %s has no permissions boundary.", u.Name)
		}
		if err := s.useAsBoundary(ctx, tx, p.Account, u.PermissionsBoundary, -1); err != nil && warden.ErrorCode(err) != warden.CodeInvalidInput {
			return err
		}
		u.PermissionsBoundary = ""
		if err := warden.Save(ctx, tx, u); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteUserPermissionsBoundary", u.ARN())
	})
}
