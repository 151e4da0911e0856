package warden

import "time"

// The kinds of the temporary delegation records: requests are global (a
// request may have no owner account yet), keyed by their ID; notices are kept
// in the account whose notification channel they were published to, keyed
// by time and ID so that they list oldest first.
const (
	KindDelegationRequest Kind = "delegationrequest"
	KindDelegationNotice  Kind = "delegationnotice"
)

// DelegationState is the state of a delegation request, as IAM names it.
type DelegationState string

// The states of a delegation request (see docs/delegation.md for the moves
// between them).
const (
	DelegationUnassigned      DelegationState = "UNASSIGNED"
	DelegationAssigned        DelegationState = "ASSIGNED"
	DelegationPendingApproval DelegationState = "PENDING_APPROVAL"
	DelegationAccepted        DelegationState = "ACCEPTED"
	DelegationFinalized       DelegationState = "FINALIZED"
	DelegationRejected        DelegationState = "REJECTED"
	DelegationExpired         DelegationState = "EXPIRED"
)

// PolicyParameter is a value a partner supplies for a parameter of its
// policy template.
type PolicyParameter struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // string or stringList
	Values []string `json:"values"`
}

// Delegator is the identity that accepted a delegation request: the
// delegated credentials act as it, limited by the request's policy.
type Delegator struct {
	Type PrincipalType `json:"type"`
	ARN  string        `json:"arn"`
	ID   string        `json:"uid"`
	Name string        `json:"name,omitempty"`
	// RoleName and RoleID name the role of an assumed-role approver.
	RoleName string `json:"role,omitempty"`
	RoleID   string `json:"roleId,omitempty"`
}

// DelegationRequest is a request by a partner account for temporary,
// limited access to an owner account.
type DelegationRequest struct {
	ID string `json:"id"`
	// RequestorAccount is the partner's account, RequestorARN the principal
	// that created the request, RequestorName the partner's friendly name.
	RequestorAccount string `json:"requestor"`
	RequestorARN     string `json:"requestorArn"`
	RequestorName    string `json:"requestorName"`
	WorkflowID       string `json:"workflow"`
	Description      string `json:"description"`
	RequestMessage   string `json:"message,omitempty"`
	RedirectURL      string `json:"redirect,omitempty"`
	// NotificationChannel is the partner's topic ARN notices go to.
	NotificationChannel string            `json:"channel"`
	PolicyTemplateARN   string            `json:"template"`
	Parameters          []PolicyParameter `json:"parameters,omitempty"`
	// PermissionPolicy is the template with the parameters filled in, as
	// it was when the request was made: what the owner approves.
	PermissionPolicy string          `json:"policy"`
	BoundaryARNs     []string        `json:"boundaries,omitempty"`
	SessionDuration  int             `json:"duration"`
	OnlySendByOwner  bool            `json:"onlySendByOwner,omitempty"`
	OwnerAccount     string          `json:"ownerAccount,omitempty"`
	OwnerARN         string          `json:"owner,omitempty"`
	OwnerPrincipalID string          `json:"ownerUid,omitempty"`
	Approver         *Delegator      `json:"approver,omitempty"`
	State            DelegationState `json:"state"`
	Notes            string          `json:"notes,omitempty"`
	RejectionReason  string          `json:"rejection,omitempty"`
	Created          time.Time       `json:"created"`
	Updated          time.Time       `json:"updated"`
	Expires          time.Time       `json:"expires"`
	// TokenHash is the SHA-256 of the exchange token, set when the token
	// is sent; AccessEnds is when the delegated access ends (the token is
	// sent plus SessionDuration).
	TokenHash  []byte    `json:"tokenHash,omitempty"`
	AccessEnds time.Time `json:"accessEnds,omitzero"`
}

func (d *DelegationRequest) recordID() (Kind, string, string) { return KindDelegationRequest, "", d.ID }

// DelegationNotice is a message published to a partner's notification
// channel. Message is sealed (it may carry an exchange token) with the
// notice's ID as context.
type DelegationNotice struct {
	Account string    `json:"account"`
	ID      string    `json:"id"`
	Topic   string    `json:"topic"`
	Time    time.Time `json:"time"`
	Subject string    `json:"subject"`
	Message []byte    `json:"message"`
}

func (n *DelegationNotice) recordID() (Kind, string, string) {
	return KindDelegationNotice, n.Account, n.Time.UTC().Format("20060102T150405.000000000Z") + "/" + n.ID
}

// RecordKey is the notice's storage key, for paging through notices.
func (n *DelegationNotice) RecordKey() (Kind, string, string) { return n.recordID() }
