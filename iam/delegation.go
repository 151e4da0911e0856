package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

// Temporary delegation: a partner account asks an owner account for
// temporary, limited access (CreateDelegationRequest); someone in the owner
// account claims the request (AssociateDelegationRequest), may pass it to an
// administrator (UpdateDelegationRequest), who accepts or rejects it; the
// owner then releases the exchange token (SendDelegationToken), which IAM
// publishes to the partner's notification channel and the partner trades in
// at STS (GetDelegatedAccessToken) for credentials that act as the approver,
// limited by the request's policy, until the delegated period ends.
//
// What AWS keeps for onboarded partners Warden keeps in the partner's own
// account: the policy template is a customer managed policy of the partner
// account, and the notification channel is a topic ARN of that account whose
// messages the partner collects at GET /warden/delegation-notices (Warden
// has no SNS). See docs/delegation.md.

func (s *Service) delegationOperations() map[string]operation {
	return map[string]operation{
		"CreateDelegationRequest":    op(s.createDelegationRequest),
		"ListDelegationRequests":     op(s.listDelegationRequests),
		"GetDelegationRequest":       op(s.getDelegationRequest),
		"AssociateDelegationRequest": noOutput(s.associateDelegationRequest),
		"UpdateDelegationRequest":    noOutput(s.updateDelegationRequest),
		"AcceptDelegationRequest":    noOutput(s.acceptDelegationRequest),
		"RejectDelegationRequest":    noOutput(s.rejectDelegationRequest),
		"SendDelegationToken":        noOutput(s.sendDelegationToken),
		"GetHumanReadableSummary":    op(s.getHumanReadableSummary),
		"GetRoleTemplateVersion":     op(s.getRoleTemplateVersion),
		"AcquireRole":                op(s.acquireRole),
	}
}

// Lifetimes of a request in each state, after which it expires (AWS's
// "Understanding the Request Lifecycle"), and the longest delegated session.
const (
	unassignedLifetime  = 24 * time.Hour
	delegationLifetime  = 7 * 24 * time.Hour
	minDelegationPeriod = 900
	maxDelegationPeriod = 43200
	// keepExpiredDelegation is how long an expired request is kept before
	// creating a request sweeps it away.
	keepExpiredDelegation = 30 * 24 * time.Hour
)

func delegationRequestARN(account, id string) string {
	return "arn:aws:iam::" + account + ":delegation-request/" + id
}

func noSuchDelegationRequest(id string) error {
	return noSuchEntity("The delegation request with id %s cannot be found.", id)
}

func wrongDelegationState(d *warden.DelegationRequest, want string) error {
	return invalidInput("The delegation request %s is %s; it must be %s.", d.ID, d.State, want)
}

// expire moves a request whose time is up to EXPIRED; it reports whether it did.
func expire(d *warden.DelegationRequest, now time.Time) bool {
	if d.State == warden.DelegationExpired || now.Before(d.Expires) {
		return false
	}
	d.State, d.Updated = warden.DelegationExpired, d.Expires
	return true
}

// moveTo puts a request in state, with the lifetime of that state.
func moveTo(d *warden.DelegationRequest, state warden.DelegationState, now time.Time) {
	d.State, d.Updated = state, now
	d.Expires = now.Add(delegationLifetime)
	if state == warden.DelegationUnassigned {
		d.Expires = now.Add(unassignedLifetime)
	}
}

// isOwner reports whether p is the identity that owns d.
func isOwner(p *warden.Principal, d *warden.DelegationRequest) bool {
	return d.OwnerPrincipalID != "" && d.OwnerAccount == p.Account && principalID(p) == d.OwnerPrincipalID
}

// principalID is the unique ID a request records for p: an assumed-role
// session is its role's (AROA...), so that every session of the role is it.
func principalID(p *warden.Principal) string {
	id, _, _ := strings.Cut(p.ID, ":")
	if p.IsRoot() {
		return p.Account
	}
	return id
}

// visible reports whether p's account may see d at all: a request nobody
// has claimed is open to every account, one aimed at an account only to
// that account, and the partner's account always sees its own requests.
func visible(p *warden.Principal, d *warden.DelegationRequest) bool {
	return d.RequestorAccount == p.Account || d.OwnerAccount == "" || d.OwnerAccount == p.Account
}

// authorizeOnRequest authorizes action on d for p; the owner holds the
// actions of ownerDefault without a policy, as AWS grants them.
func (s *Service) authorizeOnRequest(ctx context.Context, p *warden.Principal, action string, d *warden.DelegationRequest, ownerDefault bool) error {
	if ownerDefault && isOwner(p, d) {
		return nil
	}
	account := d.OwnerAccount
	if account == "" || !visible(p, d) || d.OwnerAccount != p.Account {
		account = p.Account
	}
	return s.authorize(ctx, p, action, delegationRequestARN(account, d.ID), nil)
}

// loadDelegation reads request id for p: NoSuchEntity when there is none
// or p's account may not see it.
func loadDelegation(ctx context.Context, tx warden.Tx, p *warden.Principal, id string) (*warden.DelegationRequest, error) {
	d, err := warden.Load[warden.DelegationRequest](ctx, tx, "", id)
	if err != nil {
		return nil, notFoundAs(err, noSuchDelegationRequest(id))
	}
	if !visible(p, d) {
		return nil, noSuchDelegationRequest(id)
	}
	return d, nil
}

// changeDelegation runs a state change of request id in one transaction:
// load, expire if its time is up, authorize action, fn, save, notify the
// partner of the new state and audit. notice, when fn sets it, is the
// message published (by default the new state).
func (s *Service) changeDelegation(ctx context.Context, p *warden.Principal, action, id string, ownerDefault bool,
	fn func(d *warden.DelegationRequest, now time.Time) (notice string, err error)) error {
	now := s.now()
	var expired *warden.DelegationRequest
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		expired = nil
		d, err := loadDelegation(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := s.authorizeOnRequest(ctx, p, action, d, ownerDefault); err != nil {
			return err
		}
		if expire(d, now) {
			expired = d
			return wrongDelegationState(d, "active")
		}
		notice, err := fn(d, now)
		if err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, d); err != nil {
			return err
		}
		if notice == "" {
			notice = stateNotice(d)
		}
		if err := s.notify(ctx, tx, d, "Delegation request "+d.ID+" is "+string(d.State), notice); err != nil {
			return err
		}
		return s.auditDelegation(ctx, tx, p, action, d, now)
	})
	if expired != nil && err != nil {
		// Record the expiry the caller met, then answer as before.
		s.saveExpired(ctx, expired)
	}
	return err
}

// saveExpired writes the EXPIRED state a request reached by the clock.
func (s *Service) saveExpired(ctx context.Context, d *warden.DelegationRequest) {
	_ = s.store.Update(ctx, func(tx warden.Tx) error {
		cur, err := warden.Load[warden.DelegationRequest](ctx, tx, "", d.ID)
		if err != nil {
			return err
		}
		if !expire(cur, s.now()) {
			return nil
		}
		if err := warden.Save(ctx, tx, cur); err != nil {
			return err
		}
		return s.notify(ctx, tx, cur, "Delegation request "+cur.ID+" is EXPIRED", stateNotice(cur))
	})
}

func (s *Service) auditDelegation(ctx context.Context, tx warden.Tx, p *warden.Principal, action string, d *warden.DelegationRequest, now time.Time) error {
	for _, account := range uniqueAccounts(p.Account, d.OwnerAccount) {
		err := tx.AppendAudit(ctx, warden.AuditEvent{Time: now, Account: account, RequestID: warden.RequestID(ctx), Actor: p.ARN,
			Action: "iam:" + action, Resource: delegationRequestARN(orAccount(d.OwnerAccount, p.Account), d.ID),
			SourceIP: p.SourceIP, UserAgent: p.UserAgent, Outcome: "Success",
			Details: map[string]string{"state": string(d.State), "requestor": d.RequestorAccount}})
		if err != nil {
			return err
		}
	}
	return nil
}

func uniqueAccounts(accounts ...string) []string {
	var out []string
	for _, a := range accounts {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func orAccount(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// stateNotice is the message telling the partner where its request stands.
func stateNotice(d *warden.DelegationRequest) string {
	m := map[string]any{"Type": "DelegationRequestStateChange", "DelegationRequestId": d.ID,
		"RequestorWorkflowId": d.WorkflowID, "State": d.State, "UpdatedTime": d.Updated.UTC().Format(time.RFC3339)}
	if d.OwnerAccount != "" {
		m["OwnerAccountId"] = d.OwnerAccount
	}
	if d.State == warden.DelegationRejected && d.RejectionReason != "" {
		m["RejectionReason"] = d.RejectionReason
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// notify publishes a message to the request's notification channel: a
// notice in the partner's account, sealed because it may carry a token.
func (s *Service) notify(ctx context.Context, tx warden.Tx, d *warden.DelegationRequest, subject, message string) error {
	// Notices list in the order they were published: their key starts
	// with the time to the nanosecond, not the second of the change.
	n := &warden.DelegationNotice{Account: d.RequestorAccount, ID: newUUID(), Topic: d.NotificationChannel, Time: s.Now().UTC(), Subject: subject}
	n.Message = s.box.Seal([]byte(message), n.ID)
	return warden.Insert(ctx, tx, n)
}

// DelegationToken is the exchange token of a finalized request: the
// request's ID and a random secret, of which IAM keeps only the SHA-256.
func newDelegationToken(id string) (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("iam: no randomness: " + err.Error())
	}
	token = "WDT1." + base64.RawURLEncoding.EncodeToString([]byte(id)) + "." + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	return token, sum[:]
}

// DelegationTokenRequest returns the ID of the request an exchange token
// claims to be of, or "" when it is not one in form.
func DelegationTokenRequest(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] != "WDT1" {
		return ""
	}
	id, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(id) < 16 || len(id) > 128 {
		return ""
	}
	return string(id)
}

// ErrNoDelegation is what RedeemDelegationToken answers for every token it
// does not honour, whatever the reason.
var ErrNoDelegation = errors.New("iam: no delegation for this token")

// RedeemDelegationToken checks an exchange token presented by p and returns
// its finalized request, whose access has not yet ended at now. Any other
// case (unknown, altered or spent token, another account's token, a request
// rejected or expired) is ErrNoDelegation.
func (s *Service) RedeemDelegationToken(ctx context.Context, p *warden.Principal, token string, now time.Time) (*warden.DelegationRequest, error) {
	id := DelegationTokenRequest(token)
	if id == "" {
		return nil, ErrNoDelegation
	}
	var d *warden.DelegationRequest
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		d, err = warden.Load[warden.DelegationRequest](ctx, tx, "", id)
		return err
	})
	if warden.IsNotFound(err) {
		return nil, ErrNoDelegation
	}
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(token))
	if len(d.TokenHash) == 0 || !constantTimeEqual(sum[:], d.TokenHash) || d.State != warden.DelegationFinalized ||
		d.RequestorAccount != p.Account || !now.Before(d.AccessEnds) || d.Approver == nil {
		return nil, ErrNoDelegation
	}
	return d, nil
}

// Notice is a message of a notification channel, as the partner reads it.
type Notice struct {
	MessageID string    `json:"MessageId"`
	TopicARN  string    `json:"TopicArn"`
	Subject   string    `json:"Subject"`
	Message   string    `json:"Message"`
	Timestamp time.Time `json:"Timestamp"`
}

// maxNotices is the most ReceiveDelegationNotices returns at once.
const maxNotices = 100

// ReceiveDelegationNotices hands p the oldest messages published to topic,
// an SNS topic ARN of p's account, and deletes them: each is delivered once.
// It is authorized as sns:Subscribe on the topic. Errors: InvalidInput for a
// topic that is not an SNS topic ARN of p's account, AccessDenied.
func (s *Service) ReceiveDelegationNotices(ctx context.Context, p *warden.Principal, topic string) ([]Notice, error) {
	if topicAccount(topic) != p.Account {
		return nil, invalidInput("TopicArn must be the ARN of an SNS topic of account %s.", p.Account)
	}
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sns:Subscribe", Resource: topic}); err != nil {
		return nil, err
	}
	var out []Notice
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		out = out[:0]
		// The topic's own notices, oldest first, from the noticetopic
		// index: those of other topics waiting in the account are not read.
		prefix := warden.IndexKey(warden.IndexHash(topic), "")
		rs, err := tx.List(ctx, warden.KindNoticeTopic, p.Account, prefix, "", maxNotices)
		if err != nil {
			return err
		}
		notices, err := loadIndexed[warden.DelegationNotice](ctx, tx, p.Account, rs)
		if err != nil {
			return err
		}
		for _, n := range notices {
			if n.Topic != topic {
				continue
			}
			msg, err := s.box.Open(n.Message, n.ID)
			if err != nil {
				return err
			}
			out = append(out, Notice{MessageID: n.ID, TopicARN: n.Topic, Subject: n.Subject, Message: string(msg), Timestamp: n.Time})
			if err := warden.Remove(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}
