package iam

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

// maxManagedPolicySize is the quota on a managed policy document.
const maxManagedPolicySize = policy.ManagedPolicySizeLimit

// parsePolicyARN splits a managed policy ARN into its owner account ("aws" for
// AWS managed policies), path and name.
func parsePolicyARN(a string) (account, path, name string, ok bool) {
	rest, found := strings.CutPrefix(a, "arn:aws:iam::")
	if !found {
		return "", "", "", false
	}
	account, res, found := strings.Cut(rest, ":")
	if !found {
		return "", "", "", false
	}
	res, found = strings.CutPrefix(res, "policy/")
	if !found || res == "" {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if i < 0 {
		path = "/"
	}
	if name == "" || (account != "aws" && len(account) != 12) {
		return "", "", "", false
	}
	return account, path, name, true
}

// loadPolicy loads the managed policy an ARN names, visible to account.
func (s *Service) loadPolicy(ctx context.Context, tx warden.Tx, account, policyARN string) (*warden.ManagedPolicy, error) {
	owner, path, name, ok := parsePolicyARN(policyARN)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", policyARN)
	}
	nf := noSuchEntity("Policy %s does not exist or is not attachable.", policyARN)
	if owner == warden.AWSManagedAccount {
		return s.loadAWSPolicy(ctx, tx, account, path, name, nf)
	}
	if owner != account {
		return nil, nf
	}
	p, err := warden.Load[warden.ManagedPolicy](ctx, tx, owner, warden.NameKey(name))
	if err != nil {
		return nil, notFoundAs(err, nf)
	}
	if p.Path != path || p.Name != name {
		return nil, nf
	}
	return p, nil
}

// loadAWSPolicy returns an AWS managed policy from the catalogue, with the
// attachment counts account has: AWS managed policies are not stored, their
// counts are, per account (see savePolicy).
func (s *Service) loadAWSPolicy(ctx context.Context, tx warden.Tx, account, path, name string, nf error) (*warden.ManagedPolicy, error) {
	cat, err := s.awsPolicies()
	if err != nil {
		return nil, err
	}
	mp, ok := cat.Get(path, name)
	if !ok {
		return nil, nf
	}
	u, err := warden.Load[warden.PolicyUsage](ctx, tx, account, mp.ARN())
	switch {
	case err == nil:
		mp.AttachmentCount, mp.BoundaryCount = u.AttachmentCount, u.BoundaryCount
	case !errors.Is(err, warden.ErrNotFound):
		return nil, err
	}
	return mp, nil
}

// awsPoliciesIn lists every AWS managed policy, in name order, with the
// attachment counts account has.
func (s *Service) awsPoliciesIn(ctx context.Context, tx warden.Tx, account string) ([]*warden.ManagedPolicy, error) {
	cat, err := s.awsPolicies()
	if err != nil {
		return nil, err
	}
	usage, err := warden.LoadAll[warden.PolicyUsage](ctx, tx, account, "", "", 0)
	if err != nil {
		return nil, err
	}
	all := cat.All()
	if len(usage) == 0 {
		return all, nil
	}
	counts := make(map[string]*warden.PolicyUsage, len(usage))
	for _, u := range usage {
		counts[u.PolicyARN] = u
	}
	for _, mp := range all {
		if u, ok := counts[mp.ARN()]; ok {
			mp.AttachmentCount, mp.BoundaryCount = u.AttachmentCount, u.BoundaryCount
		}
	}
	return all, nil
}

// authorizePolicy authorizes action on a managed policy. AWS managed policies
// are in every account, so they are authorized as resources of the caller's
// account, not of another account (which would need a resource policy).
func (s *Service) authorizePolicy(ctx context.Context, p *warden.Principal, action, policyARN string, keys map[string][]string) error {
	req := authz.Request{Action: "iam:" + action, Resource: policyARN, Context: keys}
	if owner, _, _, ok := parsePolicyARN(policyARN); ok && owner == warden.AWSManagedAccount {
		req.ResourceAccount = p.Account
	}
	return s.authz.Authorize(ctx, p, req)
}

// policyFor loads a policy and authorizes action on it.
func (s *Service) policyFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, policyARN string) (*warden.ManagedPolicy, error) {
	if err := s.authorizePolicy(ctx, p, action, policyARN, nil); err != nil {
		return nil, err
	}
	return s.loadPolicy(ctx, tx, p.Account, policyARN)
}

// useAsBoundary adjusts the permissions-boundary usage count of a policy.
func (s *Service) useAsBoundary(ctx context.Context, tx warden.Tx, account, policyARN string, delta int) error {
	mp, err := s.loadPolicy(ctx, tx, account, policyARN)
	if err != nil {
		if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			if delta < 0 {
				return nil // the policy is gone: there is no use to release
			}
			// AWS answers a missing boundary policy with 404 NoSuchEntity.
			return noSuchEntity("Scope ARN: %s does not exist or is not attachable.", policyARN)
		}
		return err
	}
	mp.BoundaryCount += delta
	return s.savePolicy(ctx, tx, account, mp)
}

// savePolicy writes a policy loaded for account. AWS managed policies live in
// the catalogue and cannot change; only their attachment counts are written,
// as account's PolicyUsage (removed when both counts are zero), because AWS
// counts attachments per account.
func (s *Service) savePolicy(ctx context.Context, tx warden.Tx, account string, mp *warden.ManagedPolicy) error {
	if mp.Account != warden.AWSManagedAccount {
		return warden.Save(ctx, tx, mp)
	}
	u := &warden.PolicyUsage{Account: account, PolicyARN: mp.ARN(),
		AttachmentCount: max(mp.AttachmentCount, 0), BoundaryCount: max(mp.BoundaryCount, 0)}
	if u.AttachmentCount == 0 && u.BoundaryCount == 0 {
		if err := warden.Remove(ctx, tx, u); err != nil && !errors.Is(err, warden.ErrNotFound) {
			return err
		}
		return nil
	}
	err := warden.Save(ctx, tx, u)
	if errors.Is(err, warden.ErrNotFound) {
		err = warden.Insert(ctx, tx, u)
	}
	return err
}

// awsManagedDenied is AWS's answer to changing or deleting an AWS managed
// policy: no policy can allow it, so every caller, root included, gets the
// AccessDenied of an implicit deny.
func awsManagedDenied(p *warden.Principal, action, policyARN string) error {
	return warden.Errorf(warden.CodeAccessDenied, "User: %s is not authorized to perform: iam:%s on resource: policy %s",
		p.ARN, action, policyARN)
}

func checkManagedDocument(doc string) error {
	if err := checkDocument(doc, policy.Managed); err != nil {
		return err
	}
	return checkSize(doc, policy.Managed)
}

type createPolicyInput struct {
	PolicyName     string
	Path           string
	PolicyDocument string
	Description    string
	Tags           []tagsInput
}

type policyOutput struct {
	Policy wPolicy `xml:"Policy"`
}

func (s *Service) createPolicy(ctx context.Context, p *warden.Principal, in *createPolicyInput) (*policyOutput, error) {
	path := orDefault(in.Path)
	target := arn(p.Account, "policy", path, in.PolicyName)
	tags := tagsIn(in.Tags)
	if err := s.authorize(ctx, p, "CreatePolicy", target, tagKeys(tags)); err != nil {
		return nil, err
	}
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	now := s.now()
	mp := &warden.ManagedPolicy{Account: p.Account, ID: s.NewID("ANPA", 21), Name: in.PolicyName, Path: path,
		Description: in.Description, CreateDate: now, UpdateDate: now, DefaultVersion: "v1", NextVersion: 2,
		Versions: []warden.PolicyVersion{{ID: "v1", Document: in.PolicyDocument, CreateDate: now}}, Tags: tags}
	err := s.update(ctx, p, "CreatePolicy", target, func(tx warden.Tx) error {
		return insertWithin(ctx, tx, mp, warden.KindPolicy, p.Account, maxPolicies, "PoliciesPerAccount",
			alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName))
	})
	if err != nil {
		return nil, err
	}
	// AWS's CreatePolicy answers without the Description it stored.
	return &policyOutput{Policy: policyOut(mp, true, false)}, nil
}

type policyARNInput struct {
	PolicyArn string
}

func (s *Service) getPolicy(ctx context.Context, p *warden.Principal, in *policyARNInput) (*policyOutput, error) {
	var mp *warden.ManagedPolicy
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		mp, err = s.policyFor(ctx, tx, p, "GetPolicy", in.PolicyArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &policyOutput{Policy: policyOut(mp, true, true)}
	out.Policy.Tags = tagList(mp.Tags, true)
	return out, nil
}

func (s *Service) deletePolicy(ctx context.Context, p *warden.Principal, in *policyARNInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		mp, err := s.policyFor(ctx, tx, p, "DeletePolicy", in.PolicyArn)
		if err != nil {
			return err
		}
		if mp.Account != p.Account {
			return awsManagedDenied(p, "DeletePolicy", mp.ARN())
		}
		if mp.AttachmentCount > 0 || mp.BoundaryCount > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(mp.Versions) > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		if err := warden.Remove(ctx, tx, mp); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeletePolicy", mp.ARN())
	})
}

type listPoliciesInput struct {
	Scope             string
	OnlyAttached      bool
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          int
}

type listPoliciesOutput struct {
	Policies list[wPolicy] `xml:"Policies"`
	page
}

func (s *Service) listPolicies(ctx context.Context, p *warden.Principal, in *listPoliciesInput) (*listPoliciesOutput, error) {
	if err := s.authorize(ctx, p, "ListPolicies", arn(p.Account, "policy", "/", ""), nil); err != nil {
		return nil, err
	}
	keep := func(mp *warden.ManagedPolicy) bool {
		switch {
		case !hasPathPrefix(mp.Path, in.PathPrefix):
			return false
		case in.OnlyAttached && mp.AttachmentCount == 0 && mp.BoundaryCount == 0:
			return false
		case in.PolicyUsageFilter == "PermissionsPolicy" && mp.AttachmentCount == 0 && in.OnlyAttached:
			return false
		case in.PolicyUsageFilter == "PermissionsBoundary" && mp.BoundaryCount == 0 && in.OnlyAttached:
			return false
		}
		return true
	}
	// Customer managed policies come first, a page at a time from the
	// store, then the AWS managed ones from the catalogue, each in name
	// order. With OnlyAttached the local side reads the attached-policy
	// index (see attachedPage), so its pages cost the same however many
	// unused policies the account holds. The marker names the side ("L" or
	// "A") and the name key, and is bound to the filters it was handed out
	// with.
	scope := in.Scope
	if scope == "" {
		scope = "All"
	}
	binding := strings.Join([]string{scope, in.PathPrefix, strconv.FormatBool(in.OnlyAttached), in.PolicyUsageFilter}, "\x00")
	if selective(in.PathPrefix) {
		// The local side reads the path index: its marker keys are
		// "<path> <name key>", not name keys.
		binding = "path index\x00" + binding
	}
	localAfter, awsAfter, inAWS := "", "", false
	if in.Marker != "" {
		k, ok := openMarker(in.Marker, "ListPolicies", p.Account, binding)
		if !ok || k == "" || (k[0] != 'L' && k[0] != 'A') {
			return nil, invalidMarker()
		}
		if k[0] == 'A' {
			inAWS, awsAfter = true, k[1:]
		} else {
			localAfter = k[1:]
		}
	}
	size := pageSize(in.MaxItems)
	var (
		window []*warden.ManagedPolicy
		next   string // the marker's key, "" on the last page
	)
	err := s.view(ctx, func(tx warden.Tx) error {
		if in.Scope != "AWS" && !inAWS {
			var (
				local []*warden.ManagedPolicy
				last  string
				more  bool
				err   error
			)
			switch {
			case in.OnlyAttached:
				local, last, more, err = s.attachedPage(ctx, tx, p.Account, in, localAfter, size)
			case selective(in.PathPrefix):
				const kind = string(warden.KindPolicy)
				after := ""
				if localAfter != "" {
					pos, err := resolvePath(ctx, tx, p.Account, warden.KindPolicy, localAfter)
					if err != nil {
						return err
					}
					after = warden.IndexKey(kind, pos)
				}
				local, last, more, err = scanIndex[warden.ManagedPolicy](ctx, tx, warden.KindPathIndex, p.Account,
					warden.IndexKey(kind, in.PathPrefix), after, size, keep)
				if last != "" {
					last = markPath("", strings.TrimPrefix(last, kind+" "))
				}
			default:
				local, last, more, err = scan[warden.ManagedPolicy](ctx, tx, p.Account, localAfter, size, keep)
			}
			if err != nil {
				return err
			}
			window = local
			if more {
				next = "L" + last
				return nil
			}
			localAfter = last
		}
		if in.Scope == "Local" {
			return nil
		}
		aws, err := s.awsPoliciesIn(ctx, tx, p.Account)
		if err != nil {
			return err
		}
		aws = filter(aws, func(mp *warden.ManagedPolicy) bool { return warden.NameKey(mp.Name) > awsAfter && keep(mp) })
		slices.SortFunc(aws, func(a, b *warden.ManagedPolicy) int {
			return strings.Compare(warden.NameKey(a.Name), warden.NameKey(b.Name))
		})
		room := size - len(window)
		switch {
		case len(aws) == 0:
		case room == 0: // the local page is full: the AWS ones come next
			next = "L" + localAfter
		case len(aws) > room:
			window = append(window, aws[:room]...)
			next = "A" + warden.NameKey(aws[room-1].Name)
		default:
			window = append(window, aws...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &listPoliciesOutput{Policies: list[wPolicy]{}}
	if next != "" {
		out.page = page{IsTruncated: true, Marker: sealMarker(next, "ListPolicies", p.Account, binding)}
	}
	for _, mp := range window {
		out.Policies = append(out.Policies, policyOut(mp, false, false))
	}
	return out, nil
}

// attachedPage reads one page of the account's customer managed policies in
// use, for ListPolicies with OnlyAttached: from the attachedpolicy index in
// name order, or under a selective PathPrefix the attachedpolicypath index
// in path order, of the usage PolicyUsageFilter asks for. A page reads
// size+1 index records and loads size policies, however many policies the
// account holds. after and last are marker keys as the listing without
// OnlyAttached has them: the name key, or with a selective PathPrefix
// "<path> <name key>" (as markPath makes it).
func (s *Service) attachedPage(ctx context.Context, tx warden.Tx, account string, in *listPoliciesInput, after string, size int) (items []*warden.ManagedPolicy, last string, more bool, err error) {
	usage := warden.UsageAny
	switch in.PolicyUsageFilter {
	case "PermissionsPolicy":
		usage = warden.UsagePolicy
	case "PermissionsBoundary":
		usage = warden.UsageBoundary
	}
	kind, prefix := warden.KindAttachedPolicy, usage+" "
	if selective(in.PathPrefix) {
		kind, prefix = warden.KindAttachedPolicyPath, warden.IndexKey(usage, in.PathPrefix)
		if after != "" {
			if after, err = resolvePath(ctx, tx, account, warden.KindPolicy, after); err != nil {
				return nil, "", false, err
			}
		}
	}
	if after != "" {
		after = warden.IndexKey(usage, after)
	}
	items, last, more, err = scanIndex[warden.ManagedPolicy](ctx, tx, kind, account, prefix, after, size, nil)
	if last != "" {
		last = strings.TrimPrefix(last, usage+" ")
		if kind == warden.KindAttachedPolicyPath {
			last = markPath("", last)
		}
	}
	return items, last, more, err
}

type createPolicyVersionInput struct {
	PolicyArn      string
	PolicyDocument string
	SetAsDefault   bool
}

type policyVersionOutput struct {
	PolicyVersion wPolicyVersion `xml:"PolicyVersion"`
}

func (s *Service) createPolicyVersion(ctx context.Context, p *warden.Principal, in *createPolicyVersionInput) (*policyVersionOutput, error) {
	if err := checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	var out wPolicyVersion
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		mp, err := s.localPolicyFor(ctx, tx, p, "CreatePolicyVersion", in.PolicyArn)
		if err != nil {
			return err
		}
		if len(mp.Versions) >= maxVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxVersions)
		}
		v := warden.PolicyVersion{ID: "v" + strconv.Itoa(mp.NextVersion), Document: in.PolicyDocument, CreateDate: s.now()}
		mp.NextVersion++
		mp.Versions = append(mp.Versions, v)
		if in.SetAsDefault {
			mp.DefaultVersion = v.ID
		}
		mp.UpdateDate = v.CreateDate
		if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
			return err
		}
		out = wPolicyVersion{VersionID: v.ID, IsDefaultVersion: in.SetAsDefault, CreateDate: v.CreateDate}
		return s.auditIn(ctx, tx, p, "CreatePolicyVersion", mp.ARN())
	})
	if err != nil {
		return nil, err
	}
	return &policyVersionOutput{PolicyVersion: out}, nil
}

// localPolicyFor is policyFor for operations that change a policy: AWS
// managed policies cannot be changed.
func (s *Service) localPolicyFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, policyARN string) (*warden.ManagedPolicy, error) {
	mp, err := s.policyFor(ctx, tx, p, action, policyARN)
	if err != nil {
		return nil, err
	}
	if mp.Account != p.Account {
		if action == "TagPolicy" || action == "UntagPolicy" {
			return nil, invalidInput("Tags not supported for policies in this domain") // AWS's words
		}
		return nil, awsManagedDenied(p, action, policyARN)
	}
	return mp, nil
}

type policyVersionInput struct {
	PolicyArn string
	VersionId string
}

func findVersion(mp *warden.ManagedPolicy, id string) (int, error) {
	i := slices.IndexFunc(mp.Versions, func(v warden.PolicyVersion) bool { return v.ID == id })
	if i < 0 {
		return -1, noSuchEntity("Policy %s version %s does not exist or is not attachable.", mp.ARN(), id)
	}
	return i, nil
}

func (s *Service) getPolicyVersion(ctx context.Context, p *warden.Principal, in *policyVersionInput) (*policyVersionOutput, error) {
	var out wPolicyVersion
	err := s.view(ctx, func(tx warden.Tx) error {
		mp, err := s.policyFor(ctx, tx, p, "GetPolicyVersion", in.PolicyArn)
		if err != nil {
			return err
		}
		i, err := findVersion(mp, in.VersionId)
		if err != nil {
			return err
		}
		v := mp.Versions[i]
		out = wPolicyVersion{Document: encodeDocument(v.Document), VersionID: v.ID, IsDefaultVersion: v.ID == mp.DefaultVersion, CreateDate: v.CreateDate}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &policyVersionOutput{PolicyVersion: out}, nil
}

type listPolicyVersionsInput struct {
	PolicyArn string
	Marker    string
	MaxItems  int
}

type listPolicyVersionsOutput struct {
	Versions list[wPolicyVersion] `xml:"Versions"`
	page
}

func (s *Service) listPolicyVersions(ctx context.Context, p *warden.Principal, in *listPolicyVersionsInput) (*listPolicyVersionsOutput, error) {
	var mp *warden.ManagedPolicy
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		mp, err = s.policyFor(ctx, tx, p, "ListPolicyVersions", in.PolicyArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Newest first, as IAM lists them.
	versions := slices.Clone(mp.Versions)
	slices.Reverse(versions)
	window, pg, err := paginate(versions, func(v warden.PolicyVersion) string { return v.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listPolicyVersionsOutput{Versions: list[wPolicyVersion]{}, page: pg}
	for _, v := range window {
		out.Versions = append(out.Versions, wPolicyVersion{VersionID: v.ID, IsDefaultVersion: v.ID == mp.DefaultVersion, CreateDate: v.CreateDate})
	}
	return out, nil
}

func (s *Service) deletePolicyVersion(ctx context.Context, p *warden.Principal, in *policyVersionInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		mp, err := s.localPolicyFor(ctx, tx, p, "DeletePolicyVersion", in.PolicyArn)
		if err != nil {
			return err
		}
		i, err := findVersion(mp, in.VersionId)
		if err != nil {
			return err
		}
		if mp.Versions[i].ID == mp.DefaultVersion {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		mp.Versions = slices.Delete(mp.Versions, i, i+1)
		if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeletePolicyVersion", mp.ARN())
	})
}

func (s *Service) setDefaultPolicyVersion(ctx context.Context, p *warden.Principal, in *policyVersionInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		mp, err := s.localPolicyFor(ctx, tx, p, "SetDefaultPolicyVersion", in.PolicyArn)
		if err != nil {
			return err
		}
		if _, err := findVersion(mp, in.VersionId); err != nil {
			return err
		}
		mp.DefaultVersion = in.VersionId
		mp.UpdateDate = s.now()
		if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "SetDefaultPolicyVersion", mp.ARN())
	})
}

type tagPolicyInput struct {
	PolicyArn string
	Tags      []tagsInput
}

func (s *Service) tagPolicy(ctx context.Context, p *warden.Principal, in *tagPolicyInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		if err := s.authorizePolicy(ctx, p, "TagPolicy", in.PolicyArn, tagKeys(tags)); err != nil {
			return err
		}
		mp, err := s.localPolicyFor(ctx, tx, p, "TagPolicy", in.PolicyArn)
		if err != nil {
			return err
		}
		if mp.Tags, err = mergeTags(mp.Tags, tags, "Policy"); err != nil {
			return err
		}
		if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "TagPolicy", mp.ARN())
	})
}

type untagPolicyInput struct {
	PolicyArn string
	TagKeys   []string
}

func (s *Service) untagPolicy(ctx context.Context, p *warden.Principal, in *untagPolicyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		mp, err := s.localPolicyFor(ctx, tx, p, "UntagPolicy", in.PolicyArn)
		if err != nil {
			return err
		}
		mp.Tags = removeTags(mp.Tags, in.TagKeys)
		if err := s.savePolicy(ctx, tx, p.Account, mp); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UntagPolicy", mp.ARN())
	})
}

type listPolicyTagsInput struct {
	PolicyArn string
	Marker    string
	MaxItems  int
}

func (s *Service) listPolicyTags(ctx context.Context, p *warden.Principal, in *listPolicyTagsInput) (*listTagsOutput, error) {
	var mp *warden.ManagedPolicy
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		mp, err = s.policyFor(ctx, tx, p, "ListPolicyTags", in.PolicyArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(mp.Tags, in.Marker, in.MaxItems)
}
