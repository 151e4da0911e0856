package iam

import (
	"encoding/base64"
	"encoding/xml"
	"time"

	"github.com/warden-iam/warden"
)

// The XML shapes of IAM responses, spelled as in the AWS service model.

type wTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// list is a member list: <Name><member>...</member>...</Name>, written even
// when empty, as AWS does.
type list[T any] []T

func (l list[T]) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	member := xml.StartElement{Name: xml.Name{Local: "member"}}
	for _, v := range l {
		if err := e.EncodeElement(v, member); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func tagsOut(ts []warden.Tag) list[wTag] {
	out := make(list[wTag], len(ts))
	for i, t := range ts {
		out[i] = wTag{t.Key, t.Value}
	}
	return out
}

// tagList is a Tags element that is left out when there are no tags, unless
// always: some Get operations (GetPolicy, GetInstanceProfile) answer an
// empty <Tags/>, which SDKs read as an empty, present list.
func tagList(ts []warden.Tag, always bool) *list[wTag] {
	if len(ts) == 0 && !always {
		return nil
	}
	l := tagsOut(ts)
	return &l
}

type wBoundary struct {
	PermissionsBoundaryType string `xml:"PermissionsBoundaryType"`
	PermissionsBoundaryArn  string `xml:"PermissionsBoundaryArn"`
}

func boundaryOut(arn string) *wBoundary {
	if arn == "" {
		return nil
	}
	return &wBoundary{"PermissionsBoundaryPolicy", arn}
}

// wUser omits Path and UserName when empty: GetUser for the root user
// answers with only UserId, Arn and CreateDate, as AWS does.
type wUser struct {
	Path                string     `xml:"Path,omitempty"`
	UserName            string     `xml:"UserName,omitempty"`
	UserID              string     `xml:"UserId"`
	Arn                 string     `xml:"Arn"`
	CreateDate          time.Time  `xml:"CreateDate"`
	PasswordLastUsed    *time.Time `xml:"PasswordLastUsed,omitempty"`
	PermissionsBoundary *wBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                list[wTag] `xml:"Tags,omitempty"`
}

// userOut shapes a user; full includes the permissions boundary and tags, as
// GetUser and CreateUser do. Listings (ListUsers, GetGroup) leave both out,
// as AWS documents.
func userOut(u *warden.User, full bool) wUser {
	w := wUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN(), CreateDate: u.CreateDate,
		PasswordLastUsed: u.PasswordLastUsed}
	if full {
		w.PermissionsBoundary = boundaryOut(u.PermissionsBoundary)
		w.Tags = tagsOut(u.Tags)
	}
	return w
}

type wGroup struct {
	Path       string    `xml:"Path"`
	GroupName  string    `xml:"GroupName"`
	GroupID    string    `xml:"GroupId"`
	Arn        string    `xml:"Arn"`
	CreateDate time.Time `xml:"CreateDate"`
}

func groupOut(g *warden.Group) wGroup {
	return wGroup{g.Path, g.Name, g.ID, g.ARN(), g.CreateDate}
}

type wPolicy struct {
	PolicyName                    string      `xml:"PolicyName"`
	PolicyID                      string      `xml:"PolicyId"`
	Arn                           string      `xml:"Arn"`
	Path                          string      `xml:"Path"`
	DefaultVersionID              string      `xml:"DefaultVersionId"`
	AttachmentCount               int         `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int         `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool        `xml:"IsAttachable"`
	Description                   string      `xml:"Description,omitempty"`
	CreateDate                    time.Time   `xml:"CreateDate"`
	UpdateDate                    time.Time   `xml:"UpdateDate"`
	Tags                          *list[wTag] `xml:"Tags,omitempty"`
}

func policyOut(p *warden.ManagedPolicy, withTags, withDescription bool) wPolicy {
	w := wPolicy{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN(), Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount, IsAttachable: true,
		CreateDate: p.CreateDate, UpdateDate: p.UpdateDate}
	if withDescription {
		w.Description = p.Description
	}
	if withTags {
		w.Tags = tagList(p.Tags, false)
	}
	return w
}

type wPolicyVersion struct {
	Document         string    `xml:"Document,omitempty"`
	VersionID        string    `xml:"VersionId"`
	IsDefaultVersion bool      `xml:"IsDefaultVersion"`
	CreateDate       time.Time `xml:"CreateDate"`
}

type wAttachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// page is the pagination part of list results.
type page struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// paginate returns the window of items selected by marker and maxItems
// (default 100). Markers are opaque to clients: the base64 of the key of the
// first item of the next page.
func paginate[T any](items []T, key func(T) string, marker string, maxItems int) ([]T, page, error) {
	if maxItems <= 0 {
		maxItems = 100
	}
	start := 0
	if marker != "" {
		k, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil {
			return nil, page{}, warden.Errorf(warden.CodeValidationError, "Invalid Marker.")
		}
		start = -1
		for i, it := range items {
			if key(it) == string(k) {
				start = i
				break
			}
		}
		if start < 0 { // the item was deleted meanwhile: resume at its place
			start = len(items)
			for i, it := range items {
				if key(it) > string(k) {
					start = i
					break
				}
			}
		}
	}
	items = items[start:]
	if len(items) <= maxItems {
		return items, page{}, nil
	}
	next := base64.RawURLEncoding.EncodeToString([]byte(key(items[maxItems])))
	return items[:maxItems], page{IsTruncated: true, Marker: next}, nil
}
