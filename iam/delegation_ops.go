package iam

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

func constantTimeEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

type policyParameterInput struct {
	Name   string
	Values []string
	Type   string
}

type delegationPermissionInput struct {
	PolicyTemplateArn string
	Parameters        []policyParameterInput
}

type createDelegationRequestInput struct {
	OwnerAccountId      string
	Description         string
	Permissions         delegationPermissionInput
	RequestMessage      string
	RequestorWorkflowId string
	RedirectUrl         string
	NotificationChannel string
	SessionDuration     int
	OnlySendByOwner     bool
}

type createDelegationRequestOutput struct {
	DelegationRequestID string `xml:"DelegationRequestId"`
}

// maxDelegationText bounds the free-text members whose limits the API
// reference does not give (workflow ID, redirect URL, request message).
const maxDelegationText = 2048

// topicAccount returns the account of an SNS topic ARN, or "".
func topicAccount(topic string) string {
	parts := strings.Split(topic, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[3] == "" || parts[5] == "" {
		return ""
	}
	return parts[4]
}

func (s *Service) createDelegationRequest(ctx context.Context, p *warden.Principal, in *createDelegationRequestInput) (*createDelegationRequestOutput, error) {
	if err := s.authorize(ctx, p, "CreateDelegationRequest", "*", nil); err != nil {
		return nil, err
	}
	for name, v := range map[string]string{"requestorWorkflowId": in.RequestorWorkflowId, "redirectUrl": in.RedirectUrl, "requestMessage": in.RequestMessage} {
		if len(v) > maxDelegationText {
			return nil, warden.Errorf(warden.CodeValidationError, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", name, maxDelegationText)
		}
	}
	if in.RequestorWorkflowId == "" {
		return nil, warden.Errorf(warden.CodeValidationError, "1 validation error detected: Value at 'requestorWorkflowId' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if in.SessionDuration < minDelegationPeriod || in.SessionDuration > maxDelegationPeriod {
		return nil, warden.Errorf(warden.CodeValidationError, "1 validation error detected: Value %d at 'sessionDuration' failed to satisfy constraint: Member must have value between %d and %d", in.SessionDuration, minDelegationPeriod, maxDelegationPeriod)
	}
	if topicAccount(in.NotificationChannel) != p.Account {
		return nil, invalidInput("NotificationChannel must be the ARN of an SNS topic of the requesting account %s.", p.Account)
	}
	if in.Permissions.PolicyTemplateArn == "" {
		return nil, invalidInput("Permissions must name a PolicyTemplateArn.")
	}
	params, err := checkParameters(in.Permissions.Parameters)
	if err != nil {
		return nil, err
	}
	now := s.now()
	d := &warden.DelegationRequest{ID: newUUID(), RequestorAccount: p.Account, RequestorARN: p.ARN, WorkflowID: in.RequestorWorkflowId,
		Description: in.Description, RequestMessage: in.RequestMessage, RedirectURL: in.RedirectUrl, NotificationChannel: in.NotificationChannel,
		PolicyTemplateARN: in.Permissions.PolicyTemplateArn, Parameters: params, SessionDuration: in.SessionDuration,
		OnlySendByOwner: in.OnlySendByOwner, OwnerAccount: in.OwnerAccountId, Created: now}
	moveTo(d, warden.DelegationUnassigned, now)
	err = s.store.Update(ctx, func(tx warden.Tx) error {
		tmpl, err := s.loadPolicy(ctx, tx, p.Account, d.PolicyTemplateARN)
		if err != nil {
			return err
		}
		if tmpl.Account != p.Account {
			return noSuchEntity("Policy template %s does not exist.", d.PolicyTemplateARN)
		}
		doc, err := renderTemplate(tmpl.Default().Document, params)
		if err != nil {
			return err
		}
		if err := checkDocument(doc, policy.Identity); err != nil {
			return err
		}
		d.PermissionPolicy, d.BoundaryARNs = doc, boundaryARNs(doc)
		acct, err := warden.Load[warden.Account](ctx, tx, "", p.Account)
		if err != nil {
			return err
		}
		d.RequestorName = orAccount(acct.Alias, acct.ID)
		taken, err := tx.List(ctx, warden.KindDelegationWorkflow, "", workflowPrefix(p.Account, d.WorkflowID), "", 1)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return warden.Errorf(warden.CodeEntityAlreadyExists, "A delegation request with workflow ID %s already exists.", d.WorkflowID)
		}
		if err := sweepDelegations(ctx, tx, now); err != nil {
			return err
		}
		if err := warden.Insert(ctx, tx, d); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, d, "Delegation request "+d.ID+" is UNASSIGNED", stateNotice(d)); err != nil {
			return err
		}
		return s.auditDelegation(ctx, tx, p, "CreateDelegationRequest", d, now)
	})
	if err != nil {
		return nil, err
	}
	return &createDelegationRequestOutput{DelegationRequestID: d.ID}, nil
}

// checkParameters validates the parameters of a request: named, typed,
// each once, a string with exactly one value.
func checkParameters(in []policyParameterInput) ([]warden.PolicyParameter, error) {
	out := make([]warden.PolicyParameter, 0, len(in))
	seen := map[string]bool{}
	for _, pp := range in {
		if pp.Name == "" || !validParameterName(pp.Name) {
			return nil, invalidInput("Policy parameter name %q is not valid: use letters, digits and underscores.", pp.Name)
		}
		if seen[pp.Name] {
			return nil, invalidInput("Policy parameter %s is given more than once.", pp.Name)
		}
		seen[pp.Name] = true
		typ := pp.Type
		if typ == "" {
			typ = "string"
		}
		if typ == "string" && len(pp.Values) != 1 {
			return nil, invalidInput("Policy parameter %s of type string must have exactly one value.", pp.Name)
		}
		out = append(out, warden.PolicyParameter{Name: pp.Name, Type: typ, Values: pp.Values})
	}
	return out, nil
}

type listDelegationRequestsInput struct {
	OwnerId  string
	Marker   string
	MaxItems int
}

type listDelegationRequestsOutput struct {
	DelegationRequests list[wDelegationRequest] `xml:"DelegationRequests"`
	// isTruncated is spelled in lower camel case in this operation's model.
	IsTruncated bool   `xml:"isTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// listDelegationRequests lists the requests owned in the caller's account,
// optionally those of one owner; requests nobody has claimed are not listed,
// as in AWS.
func (s *Service) listDelegationRequests(ctx context.Context, p *warden.Principal, in *listDelegationRequestsInput) (*listDelegationRequestsOutput, error) {
	if err := s.authorize(ctx, p, "ListDelegationRequests", "*", nil); err != nil {
		return nil, err
	}
	out := &listDelegationRequestsOutput{DelegationRequests: list[wDelegationRequest]{}}
	if in.OwnerId == warden.DelegationOwnerAny {
		return out, nil // no ARN: the field of the records of every owner
	}
	start, err := markerKey(in.Marker, "ListDelegationRequests", p.Account, "")
	if err != nil {
		return nil, err
	}
	size := pageSize(in.MaxItems)
	now := s.now()
	var mine []*warden.DelegationRequest
	err = s.view(ctx, func(tx warden.Tx) (err error) {
		mine, err = ownedDelegations(ctx, tx, p.Account, in.OwnerId, start, size+1)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(mine) > size {
		out.IsTruncated, out.Marker = true, sealMarker(mine[size].ID, "ListDelegationRequests", p.Account, "")
		mine = mine[:size]
	}
	for _, d := range mine {
		expire(d, now)
		out.DelegationRequests = append(out.DelegationRequests, delegationOut(d))
	}
	return out, nil
}

// workflowPrefix is the prefix of the delegationworkflow records of the
// requests account made with workflow ID workflow: at most one.
func workflowPrefix(account, workflow string) string {
	return warden.IndexKey(account, warden.IndexHash(workflow)) + " "
}

// maxSweep is how many long-expired requests one CreateDelegationRequest
// removes.
const maxSweep = 8

// sweepDelegations removes up to maxSweep requests that expired more than
// keepExpiredDelegation ago, so they do not pile up: the first records of
// the expiry index, oldest first, and no more.
func sweepDelegations(ctx context.Context, tx warden.Tx, now time.Time) error {
	rs, err := tx.List(ctx, warden.KindDelegationExpiry, "", "", "", maxSweep)
	if err != nil {
		return err
	}
	old, err := loadIndexed[warden.DelegationRequest](ctx, tx, "", rs)
	if err != nil {
		return err
	}
	for _, o := range old {
		if now.Sub(o.Expires) <= keepExpiredDelegation {
			continue // another zone's wall clock may sort it early; go on
		}
		if err := warden.Remove(ctx, tx, o); err != nil {
			return err
		}
	}
	return nil
}

// ownedDelegations reads up to limit of the claimed requests owned in
// account (by ownerARN, when not ""), in ID order from the ID start on
// (start itself included: a marker names the first item of the next page):
// one page of the delegationowner index and one GetMany,
// however many requests there are.
func ownedDelegations(ctx context.Context, tx warden.Tx, account, ownerARN, start string, limit int) ([]*warden.DelegationRequest, error) {
	owner := ownerARN
	if owner == "" {
		owner = warden.DelegationOwnerAny
	}
	prefix := warden.IndexKey(account, owner) + " "
	var ids []string
	after := ""
	if start != "" {
		after = prefix + start
		switch _, err := tx.Get(ctx, warden.KindDelegationOwner, "", after); {
		case err == nil:
			ids = append(ids, start)
		case !warden.IsNotFound(err):
			return nil, err
		}
	}
	rs, err := tx.List(ctx, warden.KindDelegationOwner, "", prefix, after, limit-len(ids))
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		ids = append(ids, warden.IndexTarget(r.Key))
	}
	ds, err := warden.LoadMany[warden.DelegationRequest](ctx, tx, "", ids)
	if err != nil {
		return nil, fmt.Errorf("delegation owner index under %q: %w", prefix, err)
	}
	mine := ds[:0]
	for _, d := range ds {
		if d.OwnerAccount == account && d.OwnerARN != "" && (ownerARN == "" || ownerARN == d.OwnerARN) {
			mine = append(mine, d)
		}
	}
	return mine, nil
}

type wPolicyParameter struct {
	Name   string       `xml:"Name"`
	Values list[string] `xml:"Values"`
	Type   string       `xml:"Type"`
}

type wDelegationPermission struct {
	PolicyTemplateArn string                 `xml:"PolicyTemplateArn"`
	Parameters        list[wPolicyParameter] `xml:"Parameters"`
}

type wDelegationRequest struct {
	DelegationRequestID           string                `xml:"DelegationRequestId"`
	OwnerAccountID                string                `xml:"OwnerAccountId,omitempty"`
	Description                   string                `xml:"Description"`
	RequestMessage                string                `xml:"RequestMessage,omitempty"`
	Permissions                   wDelegationPermission `xml:"Permissions"`
	PermissionPolicy              string                `xml:"PermissionPolicy"`
	RolePermissionRestrictionArns list[string]          `xml:"RolePermissionRestrictionArns,omitempty"`
	OwnerID                       string                `xml:"OwnerId,omitempty"`
	ApproverID                    string                `xml:"ApproverId,omitempty"`
	State                         string                `xml:"State"`
	ExpirationTime                time.Time             `xml:"ExpirationTime"`
	RequestorID                   string                `xml:"RequestorId"`
	RequestorName                 string                `xml:"RequestorName"`
	CreateDate                    time.Time             `xml:"CreateDate"`
	SessionDuration               int                   `xml:"SessionDuration"`
	RedirectURL                   string                `xml:"RedirectUrl,omitempty"`
	Notes                         string                `xml:"Notes,omitempty"`
	RejectionReason               string                `xml:"RejectionReason,omitempty"`
	OnlySendByOwner               bool                  `xml:"OnlySendByOwner"`
	UpdatedTime                   time.Time             `xml:"UpdatedTime"`
}

func delegationOut(d *warden.DelegationRequest) wDelegationRequest {
	w := wDelegationRequest{DelegationRequestID: d.ID, OwnerAccountID: d.OwnerAccount, Description: d.Description, RequestMessage: d.RequestMessage,
		Permissions:      wDelegationPermission{PolicyTemplateArn: d.PolicyTemplateARN, Parameters: list[wPolicyParameter]{}},
		PermissionPolicy: encodeDocument(d.PermissionPolicy), RolePermissionRestrictionArns: d.BoundaryARNs, OwnerID: d.OwnerARN,
		State: string(d.State), ExpirationTime: d.Expires, RequestorID: d.RequestorAccount, RequestorName: d.RequestorName,
		CreateDate: d.Created, SessionDuration: d.SessionDuration, RedirectURL: d.RedirectURL, Notes: d.Notes,
		RejectionReason: d.RejectionReason, OnlySendByOwner: d.OnlySendByOwner, UpdatedTime: d.Updated}
	if d.Approver != nil {
		w.ApproverID = d.Approver.ARN
	}
	for _, pp := range d.Parameters {
		w.Permissions.Parameters = append(w.Permissions.Parameters, wPolicyParameter{Name: pp.Name, Values: pp.Values, Type: pp.Type})
	}
	return w
}

type getDelegationRequestInput struct {
	DelegationRequestId       string
	DelegationPermissionCheck bool
}

type getDelegationRequestOutput struct {
	DelegationRequest     wDelegationRequest `xml:"DelegationRequest"`
	PermissionCheckStatus string             `xml:"PermissionCheckStatus,omitempty"`
	PermissionCheckResult string             `xml:"PermissionCheckResult,omitempty"`
}

// getDelegationRequest returns a request to the accounts that may see it;
// with DelegationPermissionCheck it also says whether the caller holds the
// permissions the request asks for (decided at once: COMPLETE).
func (s *Service) getDelegationRequest(ctx context.Context, p *warden.Principal, in *getDelegationRequestInput) (*getDelegationRequestOutput, error) {
	d, err := s.readDelegation(ctx, p, "GetDelegationRequest", in.DelegationRequestId)
	if err != nil {
		return nil, err
	}
	out := &getDelegationRequestOutput{DelegationRequest: delegationOut(d)}
	if in.DelegationPermissionCheck {
		out.PermissionCheckStatus, out.PermissionCheckResult = "COMPLETE", s.permissionCheck(ctx, p, d.PermissionPolicy)
	}
	return out, nil
}

// readDelegation loads a request for a read operation, authorized as action
// (the owner may always read its request).
func (s *Service) readDelegation(ctx context.Context, p *warden.Principal, action, id string) (*warden.DelegationRequest, error) {
	var d *warden.DelegationRequest
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		d, err = loadDelegation(ctx, tx, p, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOnRequest(ctx, p, action, d, true); err != nil {
		return nil, err
	}
	if expire(d, s.now()) {
		s.saveExpired(ctx, d)
	}
	return d, nil
}

type delegationRequestIDInput struct {
	DelegationRequestId string
}

type delegationNotesInput struct {
	DelegationRequestId string
	Notes               string
}

// associateDelegationRequest claims an unassigned request for the caller:
// its owner becomes the caller, its owner account the caller's account.
func (s *Service) associateDelegationRequest(ctx context.Context, p *warden.Principal, in *delegationRequestIDInput) error {
	return s.changeDelegation(ctx, p, "AssociateDelegationRequest", in.DelegationRequestId, false,
		func(d *warden.DelegationRequest, now time.Time) (string, error) {
			if d.OwnerAccount != "" && d.OwnerAccount != p.Account {
				return "", noSuchDelegationRequest(d.ID)
			}
			if d.State != warden.DelegationUnassigned {
				return "", wrongDelegationState(d, string(warden.DelegationUnassigned))
			}
			d.OwnerAccount, d.OwnerARN, d.OwnerPrincipalID = p.Account, p.ARN, principalID(p)
			moveTo(d, warden.DelegationAssigned, now)
			return "", nil
		})
}

// updateDelegationRequest adds notes and sends the request for approval.
func (s *Service) updateDelegationRequest(ctx context.Context, p *warden.Principal, in *delegationNotesInput) error {
	return s.changeDelegation(ctx, p, "UpdateDelegationRequest", in.DelegationRequestId, true,
		func(d *warden.DelegationRequest, now time.Time) (string, error) {
			if err := ownedBy(p, d); err != nil {
				return "", err
			}
			if d.State != warden.DelegationAssigned && d.State != warden.DelegationPendingApproval {
				return "", wrongDelegationState(d, "ASSIGNED or PENDING_APPROVAL")
			}
			d.Notes = in.Notes
			moveTo(d, warden.DelegationPendingApproval, now)
			return "", nil
		})
}

// ownedBy refuses a change by an account other than the request's owner
// account (the partner may read its request, not decide it).
func ownedBy(p *warden.Principal, d *warden.DelegationRequest) error {
	if d.OwnerAccount != p.Account || d.OwnerARN == "" {
		return noSuchDelegationRequest(d.ID)
	}
	return nil
}

// acceptDelegationRequest approves a request; the caller becomes the
// identity the delegated credentials act as.
func (s *Service) acceptDelegationRequest(ctx context.Context, p *warden.Principal, in *delegationRequestIDInput) error {
	approver, err := s.delegator(ctx, p)
	if err != nil {
		return err
	}
	return s.changeDelegation(ctx, p, "AcceptDelegationRequest", in.DelegationRequestId, false,
		func(d *warden.DelegationRequest, now time.Time) (string, error) {
			if err := ownedBy(p, d); err != nil {
				return "", err
			}
			if d.State != warden.DelegationAssigned && d.State != warden.DelegationPendingApproval {
				return "", wrongDelegationState(d, "ASSIGNED or PENDING_APPROVAL")
			}
			d.Approver = approver
			moveTo(d, warden.DelegationAccepted, now)
			return "", nil
		})
}

// delegator is the identity a delegation accepted by p acts as. The root
// user cannot accept: Warden never limits root sessions by policies, so a
// delegation of root could not be held to the request's policy.
func (s *Service) delegator(ctx context.Context, p *warden.Principal) (*warden.Delegator, error) {
	switch p.Type {
	case warden.PrincipalUser:
		return &warden.Delegator{Type: p.Type, ARN: p.ARN, ID: p.ID, Name: p.Name}, nil
	case warden.PrincipalAssumedRole:
		var sess *warden.Session
		err := s.view(ctx, func(tx warden.Tx) (err error) {
			sess, err = warden.Load[warden.Session](ctx, tx, "", p.AccessKeyID)
			return err
		})
		if err != nil {
			return nil, notFoundAs(err, warden.Errorf(warden.CodeAccessDenied, "The session of %s is gone.", p.ARN))
		}
		return &warden.Delegator{Type: p.Type, ARN: p.ARN, ID: p.ID, Name: sess.Name, RoleName: sess.RoleName, RoleID: sess.RoleID}, nil
	case warden.PrincipalRoot:
		return nil, warden.Errorf(warden.CodeAccessDenied, "The root user cannot accept delegation requests in Warden; accept as an IAM user or role.")
	}
	return nil, warden.Errorf(warden.CodeAccessDenied, "%s cannot accept delegation requests.", p.ARN)
}

// rejectDelegationRequest refuses a request that has not been finalized.
func (s *Service) rejectDelegationRequest(ctx context.Context, p *warden.Principal, in *delegationNotesInput) error {
	return s.changeDelegation(ctx, p, "RejectDelegationRequest", in.DelegationRequestId, false,
		func(d *warden.DelegationRequest, now time.Time) (string, error) {
			if err := ownedBy(p, d); err != nil {
				return "", err
			}
			switch d.State {
			case warden.DelegationAssigned, warden.DelegationPendingApproval, warden.DelegationAccepted:
			default:
				return "", wrongDelegationState(d, "ASSIGNED, PENDING_APPROVAL or ACCEPTED")
			}
			d.RejectionReason, d.Approver = in.Notes, nil
			moveTo(d, warden.DelegationRejected, now)
			return "", nil
		})
}

// sendDelegationToken finalizes an accepted request: it makes the exchange
// token, publishes it to the partner's channel and starts the delegated
// period.
func (s *Service) sendDelegationToken(ctx context.Context, p *warden.Principal, in *delegationRequestIDInput) error {
	return s.changeDelegation(ctx, p, "SendDelegationToken", in.DelegationRequestId, true,
		func(d *warden.DelegationRequest, now time.Time) (string, error) {
			if err := ownedBy(p, d); err != nil {
				return "", err
			}
			if d.OnlySendByOwner && !isOwner(p, d) {
				return "", warden.Errorf(warden.CodeAccessDenied, "Only the owner %s of delegation request %s can send its token.", d.OwnerARN, d.ID)
			}
			if d.State != warden.DelegationAccepted {
				return "", wrongDelegationState(d, string(warden.DelegationAccepted))
			}
			token, hash := newDelegationToken(d.ID)
			d.TokenHash = hash
			moveTo(d, warden.DelegationFinalized, now)
			d.AccessEnds = now.Add(time.Duration(d.SessionDuration) * time.Second)
			return tokenNotice(d, token), nil
		})
}

func tokenNotice(d *warden.DelegationRequest, token string) string {
	return `{"Type":"DelegationToken","DelegationRequestId":` + strconv.Quote(d.ID) +
		`,"RequestorWorkflowId":` + strconv.Quote(d.WorkflowID) + `,"State":"FINALIZED","OwnerAccountId":` + strconv.Quote(d.OwnerAccount) +
		`,"ExchangeToken":` + strconv.Quote(token) + `,"AccessEnds":"` + d.AccessEnds.UTC().Format(time.RFC3339) + `"}`
}

type getHumanReadableSummaryInput struct {
	EntityArn string
	Locale    string
}

type getHumanReadableSummaryOutput struct {
	SummaryContent string `xml:"SummaryContent,omitempty"`
	Locale         string `xml:"Locale,omitempty"`
	SummaryState   string `xml:"SummaryState"`
}

// getHumanReadableSummary describes a delegation request in words, for
// whoever may get the request. Warden writes summaries in English only:
// another locale is NOT_SUPPORTED, as is any entity but a delegation request.
func (s *Service) getHumanReadableSummary(ctx context.Context, p *warden.Principal, in *getHumanReadableSummaryInput) (*getHumanReadableSummaryOutput, error) {
	locale := in.Locale
	if locale == "" {
		locale = "en"
	}
	_, id, ok := strings.Cut(in.EntityArn, ":delegation-request/")
	if !ok || !strings.HasPrefix(in.EntityArn, "arn:aws:iam::") {
		if err := s.authorize(ctx, p, "GetHumanReadableSummary", in.EntityArn, nil); err != nil {
			return nil, err
		}
		return &getHumanReadableSummaryOutput{Locale: locale, SummaryState: "NOT_SUPPORTED"}, nil
	}
	d, err := s.readDelegation(ctx, p, "GetHumanReadableSummary", id)
	if err != nil {
		return nil, err
	}
	if locale != "en" && !strings.HasPrefix(strings.ToLower(locale), "en-") && !strings.HasPrefix(strings.ToLower(locale), "en_") {
		return &getHumanReadableSummaryOutput{Locale: locale, SummaryState: "NOT_SUPPORTED"}, nil
	}
	return &getHumanReadableSummaryOutput{Locale: locale, SummaryState: "AVAILABLE", SummaryContent: summarize(d)}, nil
}
