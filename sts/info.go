package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
	"github.com/warden-iam/warden/policy"
)

type getCallerIdentityInput struct{}

type getCallerIdentityOutput struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// getCallerIdentity needs no permission: AWS answers it even when a policy
// denies sts:GetCallerIdentity. For a role session UserId is
// AROA...:session-name and Arn arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION;
// for a federated user ACCOUNT:NAME and arn:aws:sts::ACCOUNT:federated-user/NAME.
func (s *Service) getCallerIdentity(_ context.Context, p *warden.Principal, _ *getCallerIdentityInput) (*getCallerIdentityOutput, error) {
	return &getCallerIdentityOutput{UserID: p.ID, Account: p.Account, Arn: p.ARN}, nil
}

type getAccessKeyInfoInput struct {
	AccessKeyId string
}

type getAccessKeyInfoOutput struct {
	Account string `xml:"Account"`
}

// getAccessKeyInfo tells the account an access key (long-term or temporary)
// of this deployment belongs to. AWS decodes the account from the key ID
// itself and so answers for any well-formed key; Warden's key IDs carry no
// account, so an unknown key is InvalidParameterValue.
func (s *Service) getAccessKeyInfo(ctx context.Context, p *warden.Principal, in *getAccessKeyInfoInput) (*getAccessKeyInfoOutput, error) {
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:GetAccessKeyInfo", Resource: "*"}); err != nil {
		return nil, err
	}
	var account string
	err := s.store.View(ctx, func(tx warden.Tx) error {
		if warden.IsTemporaryKey(in.AccessKeyId) {
			sess, err := warden.Load[warden.Session](ctx, tx, "", in.AccessKeyId)
			if err == nil {
				account = sess.Account
			}
			return err
		}
		k, err := warden.Load[warden.AccessKey](ctx, tx, "", in.AccessKeyId)
		if err == nil {
			account = k.Account
		}
		return err
	})
	if errors.Is(err, warden.ErrNotFound) {
		return nil, warden.Errorf(warden.CodeInvalidParameterValue, "The access key ID %s is not valid.", in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	return &getAccessKeyInfoOutput{Account: account}, nil
}

// CodeInvalidAuthorizationMessage is DecodeAuthorizationMessage's error for
// a message that is not one Warden encoded for the caller's account (HTTP
// 400).
const CodeInvalidAuthorizationMessage warden.Code = "InvalidAuthorizationMessageException"

// messageContext seals authorization messages apart from every other
// secret sealed with the same box.
const messageContext = "sts:authorization-message"

// maxMessageJSON keeps an encoded message within the 10,240 characters
// DecodeAuthorizationMessage accepts.
const maxMessageJSON = 7000

type decodeAuthorizationMessageInput struct {
	EncodedMessage string
}

type decodeAuthorizationMessageOutput struct {
	DecodedMessage string `xml:"DecodedMessage"`
}

// decodeAuthorizationMessage opens a message from EncodeAuthorizationMessage.
// The caller needs sts:DecodeAuthorizationMessage, and the message must have
// been encoded for a request in the caller's account.
func (s *Service) decodeAuthorizationMessage(ctx context.Context, p *warden.Principal, in *decodeAuthorizationMessageInput) (*decodeAuthorizationMessageOutput, error) {
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "sts:DecodeAuthorizationMessage", Resource: "*"}); err != nil {
		return nil, err
	}
	invalid := warden.Errorf(CodeInvalidAuthorizationMessage, "The encoded authorization message is not valid.")
	sealed, err := base64.RawURLEncoding.DecodeString(in.EncodedMessage)
	if err != nil {
		return nil, invalid
	}
	plain, err := s.box.Open(sealed, messageContext)
	if err != nil {
		return nil, invalid
	}
	var env sealedMessage
	if err := json.Unmarshal(plain, &env); err != nil || env.Account != p.Account {
		return nil, invalid
	}
	return &decodeAuthorizationMessageOutput{DecodedMessage: string(env.Message)}, nil
}

// sealedMessage is what an encoded message holds: the decoded message and the
// account it may be decoded in.
type sealedMessage struct {
	Account string          `json:"account"`
	Message json.RawMessage `json:"message"`
}

// authorizationMessage is the decoded form of an authorization failure
// message, in the shape of AWS's DecodeAuthorizationMessage.
type authorizationMessage struct {
	Allowed           bool                    `json:"allowed"`
	ExplicitDeny      bool                    `json:"explicitDeny"`
	MatchedStatements items[matchedStatement] `json:"matchedStatements"`
	Failures          items[string]           `json:"failures"`
	Context           messageRequest          `json:"context"`
}

type items[T any] struct {
	Items []T `json:"items"`
}

type matchedStatement struct {
	StatementID string `json:"statementId,omitempty"`
	Effect      string `json:"effect"`
	Policy      string `json:"policy"`
	PolicyType  string `json:"policyType"`
	Statement   int    `json:"statementIndex"`
}

type messageRequest struct {
	Principal  messagePrincipal      `json:"principal"`
	Action     string                `json:"action"`
	Resource   string                `json:"resource"`
	Conditions items[conditionValue] `json:"conditions"`
}

type messagePrincipal struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	ARN  string `json:"arn"`
}

type conditionValue struct {
	Key    string       `json:"key"`
	Values items[value] `json:"values"`
}

type value struct {
	Value string `json:"value"`
}

// EncodeAuthorizationMessage returns the encoded authorization failure
// message of a denied request: the decision, the statements that decided it
// and the request with its condition keys, sealed under the master key so
// that only DecodeAuthorizationMessage, in the caller's account, can read
// it. d may be nil when no policies were evaluated.
//
// AWS STS adds none to its own AccessDenied answers (AssumeRole's denial
// is the plain "User: ... is not authorized to perform: sts:AssumeRole on
// resource: ..."); services that do, as EC2 does, call this.
func (s *Service) EncodeAuthorizationMessage(p *warden.Principal, action, resource string, d *authz.Decision) string {
	m := authorizationMessage{
		MatchedStatements: items[matchedStatement]{Items: []matchedStatement{}},
		Failures:          items[string]{Items: []string{}},
		Context: messageRequest{Principal: messagePrincipal{ID: p.ID, Name: p.Name, ARN: p.ARN}, Action: action,
			Resource: resource, Conditions: items[conditionValue]{Items: []conditionValue{}}},
	}
	if d != nil {
		m.Allowed = d.Result.Decision == policy.Allow
		m.ExplicitDeny = d.Result.Decision == policy.ExplicitDeny
		for _, st := range d.Result.Deciding() {
			m.MatchedStatements.Items = append(m.MatchedStatements.Items, matchedStatement{StatementID: st.Sid,
				Effect: strings.ToUpper(st.Effect.String()), Policy: st.PolicyName, PolicyType: st.Kind.String(), Statement: st.Statement})
		}
		c := &d.Request.Context
		for _, k := range c.Keys() {
			vs, _ := c.Get(k)
			cv := conditionValue{Key: k, Values: items[value]{Items: make([]value, 0, len(vs))}}
			for _, v := range vs {
				cv.Values.Items = append(cv.Values.Items, value{Value: v})
			}
			m.Context.Conditions.Items = append(m.Context.Conditions.Items, cv)
		}
	}
	msg, _ := json.Marshal(m)
	for len(msg) > maxMessageJSON && len(m.Context.Conditions.Items) > 0 {
		m.Context.Conditions.Items = m.Context.Conditions.Items[:len(m.Context.Conditions.Items)/2]
		msg, _ = json.Marshal(m)
	}
	env, _ := json.Marshal(sealedMessage{Account: p.Account, Message: msg})
	return base64.RawURLEncoding.EncodeToString(s.box.Seal(env, messageContext))
}
