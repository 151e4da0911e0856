package iam

import (
	"context"

	"github.com/warden-iam/warden"
)

// pathListing is the input every path-filtered list operation shares.
type pathListing struct {
	action, kind string // e.g. "ListUsers", "user"
	pathPrefix   string
	marker       string
	maxItems     int
}

// listByPath is the common body of ListUsers, ListGroups, ListRoles and
// ListInstanceProfiles: authorize the action on the kind's ARN, load the
// account's entities, keep those under the path prefix, and shape one page
// of them in name order.
func listByPath[T any, P interface {
	*T
	warden.Entity
}, W any](ctx context.Context, s *Service, p *warden.Principal, l pathListing, pathName func(*T) (string, string), shape func(*T) W) (list[W], page, error) {
	if err := s.authorize(ctx, p, l.action, arn(p.Account, l.kind, "/", ""), nil); err != nil {
		return nil, page{}, err
	}
	var all []*T
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		all, err = warden.LoadAll[T, P](ctx, tx, p.Account, "", "", 0)
		return err
	})
	if err != nil {
		return nil, page{}, err
	}
	all = filter(all, func(e *T) bool {
		path, _ := pathName(e)
		return hasPathPrefix(path, l.pathPrefix)
	})
	return shapePage(all, l.marker, l.maxItems, pathName, shape)
}

// shapePage is one page of entities keyed by name, shaped for the wire.
func shapePage[T, W any](items []*T, marker string, maxItems int, pathName func(*T) (string, string), shape func(*T) W) (list[W], page, error) {
	window, pg, err := paginate(items, func(e *T) string {
		_, name := pathName(e)
		return warden.NameKey(name)
	}, marker, maxItems)
	if err != nil {
		return nil, page{}, err
	}
	out := make(list[W], 0, len(window))
	for _, e := range window {
		out = append(out, shape(e))
	}
	return out, pg, nil
}

func userPathName(u *warden.User) (string, string)   { return u.Path, u.Name }
func groupPathName(g *warden.Group) (string, string) { return g.Path, g.Name }
func rolePathName(r *warden.Role) (string, string)   { return r.Path, r.Name }
