package console

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/url"
	"time"

	"github.com/warden-iam/warden"
)

// The console reads IAM's answers the way an AWS client does: each result is
// the operation's XML shape, decoded into the small view structs below, so
// the console depends on the wire contract and on nothing inside iam.

// call invokes an IAM operation for p with the given parameters and decodes
// its result into out (nil: ignore the result). Errors are the operation's.
func (c *Console) call(ctx context.Context, p *warden.Principal, action string, form url.Values, out any) error {
	start := c.now()
	res, err := c.iam.Invoke(ctx, p, action, form)
	c.recordCall(ctx, start, p, action, form, res, err)
	if err != nil {
		return err
	}
	if out == nil || res == nil {
		return nil
	}
	b, err := xml.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode %s result: %w", action, err)
	}
	if err := xml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode %s result: %w", action, err)
	}
	return nil
}

// pager is the pagination part of list results.
type pager struct {
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker"`
}

// page is promoted to every result that embeds a pager.
func (p pager) page() pager { return p }

// callAll calls a list operation page by page and gathers the items each
// page's items function returns.
func callAll[T any, R interface{ page() pager }](ctx context.Context, c *Console, p *warden.Principal, action string, form url.Values,
	newResult func() R, items func(R) []T) ([]T, error) {
	var all []T
	q := url.Values{}
	for k, v := range form {
		q[k] = v
	}
	if q.Get("MaxItems") == "" {
		q.Set("MaxItems", "1000") // the most IAM's list operations give at once
	}
	for range 1000 {
		res := newResult()
		if err := c.call(ctx, p, action, q, res); err != nil {
			return nil, err
		}
		all = append(all, items(res)...)
		pg := res.page()
		if !pg.IsTruncated || pg.Marker == "" {
			break
		}
		q.Set("Marker", pg.Marker)
	}
	return all, nil
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

type tagView struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type userView struct {
	Path             string     `xml:"Path"`
	UserName         string     `xml:"UserName"`
	UserID           string     `xml:"UserId"`
	Arn              string     `xml:"Arn"`
	CreateDate       time.Time  `xml:"CreateDate"`
	PasswordLastUsed *time.Time `xml:"PasswordLastUsed"`
	Tags             []tagView  `xml:"Tags>member"`
	Boundary         string     `xml:"PermissionsBoundary>PermissionsBoundaryArn"`
}

type userResult struct {
	User userView `xml:"User"`
}

type usersResult struct {
	Users []userView `xml:"Users>member"`
	pager
}

type groupView struct {
	Path       string    `xml:"Path"`
	GroupName  string    `xml:"GroupName"`
	GroupID    string    `xml:"GroupId"`
	Arn        string    `xml:"Arn"`
	CreateDate time.Time `xml:"CreateDate"`
}

type groupsResult struct {
	Groups []groupView `xml:"Groups>member"`
	pager
}

type groupResult struct {
	Group groupView  `xml:"Group"`
	Users []userView `xml:"Users>member"`
	pager
}

type attachedView struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type attachedResult struct {
	AttachedPolicies []attachedView `xml:"AttachedPolicies>member"`
	pager
}

type namesResult struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	pager
}

type policyView struct {
	PolicyName       string    `xml:"PolicyName"`
	PolicyID         string    `xml:"PolicyId"`
	Arn              string    `xml:"Arn"`
	Path             string    `xml:"Path"`
	DefaultVersionID string    `xml:"DefaultVersionId"`
	AttachmentCount  int       `xml:"AttachmentCount"`
	BoundaryCount    int       `xml:"PermissionsBoundaryUsageCount"`
	Description      string    `xml:"Description"`
	CreateDate       time.Time `xml:"CreateDate"`
	UpdateDate       time.Time `xml:"UpdateDate"`
}

// AWSManaged reports whether the policy is one of AWS's.
func (p policyView) AWSManaged() bool { return len(p.Arn) > 16 && p.Arn[:16] == "arn:aws:iam::aws" }

type policiesResult struct {
	Policies []policyView `xml:"Policies>member"`
	pager
}

type policyResult struct {
	Policy policyView `xml:"Policy"`
}

type versionView struct {
	Document         string    `xml:"Document"` // URL-encoded, as on the wire
	VersionID        string    `xml:"VersionId"`
	IsDefaultVersion bool      `xml:"IsDefaultVersion"`
	CreateDate       time.Time `xml:"CreateDate"`
}

type versionsResult struct {
	Versions []versionView `xml:"Versions>member"`
	pager
}

type versionResult struct {
	PolicyVersion versionView `xml:"PolicyVersion"`
}

type entitiesResult struct {
	PolicyGroups []struct {
		GroupName string `xml:"GroupName"`
	} `xml:"PolicyGroups>member"`
	PolicyUsers []struct {
		UserName string `xml:"UserName"`
	} `xml:"PolicyUsers>member"`
	PolicyRoles []struct {
		RoleName string `xml:"RoleName"`
	} `xml:"PolicyRoles>member"`
}

type inlineResult struct {
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type keyView struct {
	UserName        string    `xml:"UserName"`
	AccessKeyID     string    `xml:"AccessKeyId"`
	Status          string    `xml:"Status"`
	SecretAccessKey string    `xml:"SecretAccessKey"`
	CreateDate      time.Time `xml:"CreateDate"`
	// LastUsed is filled from GetAccessKeyLastUsed.
	LastUsed *time.Time `xml:"-"`
}

type keysResult struct {
	AccessKeyMetadata []keyView `xml:"AccessKeyMetadata>member"`
	pager
}

type keyResult struct {
	AccessKey keyView `xml:"AccessKey"`
}

type keyLastUsedResult struct {
	LastUsedDate *time.Time `xml:"AccessKeyLastUsed>LastUsedDate"`
}

type loginProfileResult struct {
	LoginProfile struct {
		CreateDate            time.Time `xml:"CreateDate"`
		PasswordResetRequired bool      `xml:"PasswordResetRequired"`
	} `xml:"LoginProfile"`
}

type mfaView struct {
	SerialNumber string    `xml:"SerialNumber"`
	EnableDate   time.Time `xml:"EnableDate"`
}

type mfaResult struct {
	MFADevices []mfaView `xml:"MFADevices>member"`
	pager
}

type virtualMFAResult struct {
	Device struct {
		SerialNumber     string `xml:"SerialNumber"`
		Base32StringSeed string `xml:"Base32StringSeed"` // base64 of the base32 seed
		QRCodePNG        string `xml:"QRCodePNG"`        // base64
	} `xml:"VirtualMFADevice"`
}

type passwordPolicyResult struct {
	PasswordPolicy passwordPolicyView `xml:"PasswordPolicy"`
}

type passwordPolicyView struct {
	MinimumPasswordLength      int  `xml:"MinimumPasswordLength"`
	RequireSymbols             bool `xml:"RequireSymbols"`
	RequireNumbers             bool `xml:"RequireNumbers"`
	RequireUppercaseCharacters bool `xml:"RequireUppercaseCharacters"`
	RequireLowercaseCharacters bool `xml:"RequireLowercaseCharacters"`
	AllowUsersToChangePassword bool `xml:"AllowUsersToChangePassword"`
	MaxPasswordAge             int  `xml:"MaxPasswordAge"`
	PasswordReusePrevention    int  `xml:"PasswordReusePrevention"`
	HardExpiry                 bool `xml:"HardExpiry"`
}

type summaryResult struct {
	Entries []struct {
		Key   string `xml:"key"`
		Value int    `xml:"value"`
	} `xml:"SummaryMap>entry"`
}

func (s *summaryResult) get(key string) int {
	for _, e := range s.Entries {
		if e.Key == key {
			return e.Value
		}
	}
	return 0
}

type aliasesResult struct {
	AccountAliases []string `xml:"AccountAliases>member"`
}

type authDetailsResult struct {
	UserDetailList []struct {
		UserName                string   `xml:"UserName"`
		UserPolicyList          []string `xml:"UserPolicyList>member>PolicyName"`
		AttachedManagedPolicies []string `xml:"AttachedManagedPolicies>member>PolicyArn"`
	} `xml:"UserDetailList>member"`
	pager
}
