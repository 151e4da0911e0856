package iam

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

type wAccessKey struct {
	UserName        string    `xml:"UserName,omitempty"`
	AccessKeyID     string    `xml:"AccessKeyId"`
	Status          string    `xml:"Status"`
	SecretAccessKey string    `xml:"SecretAccessKey,omitempty"`
	CreateDate      time.Time `xml:"CreateDate"`
}

// keyOwner resolves the user whose keys an operation manages: the named user,
// or the caller when no name is given (nil for the root user, whose keys live
// on the account).
func (s *Service) keyOwner(ctx context.Context, tx warden.Tx, p *warden.Principal, action, userName string) (*warden.User, string, error) {
	if userName == "" {
		if p.IsRoot() {
			return nil, p.ARN, nil
		}
		if p.Type != warden.PrincipalUser {
			return nil, "", warden.Errorf(warden.CodeValidationError, "Must specify userName when calling with non-User credentials")
		}
		userName = p.Name
	}
	u, err := s.userFor(ctx, tx, p, action, userName, nil)
	if err != nil {
		return nil, "", err
	}
	return u, u.ARN(), nil
}

type createAccessKeyInput struct {
	UserName string
}

type createAccessKeyOutput struct {
	AccessKey wAccessKey `xml:"AccessKey"`
}

func (s *Service) createAccessKey(ctx context.Context, p *warden.Principal, in *createAccessKeyInput) (*createAccessKeyOutput, error) {
	secret := s.NewSecret()
	k := &warden.AccessKey{ID: s.NewID("AKIA", 20), Account: p.Account, Status: warden.KeyActive, CreateDate: s.now()}
	k.Secret = s.box.Seal([]byte(secret), k.ID)
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		u, target, err := s.keyOwner(ctx, tx, p, "CreateAccessKey", in.UserName)
		if err != nil {
			return err
		}
		if u == nil {
			if err := s.addRootKey(ctx, tx, p.Account, k); err != nil {
				return err
			}
		} else {
			if len(u.AccessKeys) >= maxAccessKeys {
				return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeys)
			}
			k.UserName = u.Name
			u.AccessKeys = append(u.AccessKeys, k.ID)
			if err := warden.Save(ctx, tx, u); err != nil {
				return err
			}
			if err := warden.Insert(ctx, tx, k); err != nil {
				return err
			}
		}
		return s.auditIn(ctx, tx, p, "CreateAccessKey", target)
	})
	if err != nil {
		return nil, err
	}
	return &createAccessKeyOutput{AccessKey: wAccessKey{UserName: k.UserName, AccessKeyID: k.ID, Status: string(k.Status),
		SecretAccessKey: secret, CreateDate: k.CreateDate}}, nil
}

// addRootKey stores a new access key of an account's root user.
func (s *Service) addRootKey(ctx context.Context, tx warden.Tx, account string, k *warden.AccessKey) error {
	acct, err := s.loadAccount(ctx, tx, account)
	if err != nil {
		return err
	}
	if len(acct.RootAccessKeys) >= maxAccessKeys {
		return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeys)
	}
	acct.RootAccessKeys = append(acct.RootAccessKeys, k.ID)
	if err := warden.Save(ctx, tx, acct); err != nil {
		return err
	}
	return warden.Insert(ctx, tx, k)
}

// CreateRootAccessKey creates an access key for the root user of account and
// returns its ID and secret. It is the local administration path (`warden root
// access-key create`), which runs without a caller.
func (s *Service) CreateRootAccessKey(ctx context.Context, account string) (id, secret string, err error) {
	secret = s.NewSecret()
	k := &warden.AccessKey{ID: s.NewID("AKIA", 20), Account: account, Status: warden.KeyActive, CreateDate: s.now()}
	k.Secret = s.box.Seal([]byte(secret), k.ID)
	err = s.store.Update(ctx, func(tx warden.Tx) error {
		if err := s.addRootKey(ctx, tx, account, k); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, warden.AuditEvent{Time: s.Now().UTC(), Account: account, Actor: "warden-cli",
			Action: "iam:CreateAccessKey", Resource: "arn:aws:iam::" + account + ":root", Outcome: "Success"})
	})
	return k.ID, secret, err
}

type listAccessKeysInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type listAccessKeysOutput struct {
	AccessKeyMetadata list[wAccessKey] `xml:"AccessKeyMetadata"`
	page
}

func (s *Service) listAccessKeys(ctx context.Context, p *warden.Principal, in *listAccessKeysInput) (*listAccessKeysOutput, error) {
	var keys []*warden.AccessKey
	err := s.view(ctx, func(tx warden.Tx) error {
		u, _, err := s.keyOwner(ctx, tx, p, "ListAccessKeys", in.UserName)
		if err != nil {
			return err
		}
		ids, err := s.keyIDs(ctx, tx, p.Account, u)
		if err != nil {
			return err
		}
		for _, id := range ids {
			k, err := warden.Load[warden.AccessKey](ctx, tx, "", id)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	window, pg, err := paginate(keys, func(k *warden.AccessKey) string { return k.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listAccessKeysOutput{AccessKeyMetadata: list[wAccessKey]{}, page: pg}
	for _, k := range window {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, wAccessKey{UserName: k.UserName, AccessKeyID: k.ID, Status: string(k.Status), CreateDate: k.CreateDate})
	}
	return out, nil
}

func (s *Service) keyIDs(ctx context.Context, tx warden.Tx, account string, u *warden.User) ([]string, error) {
	if u != nil {
		return u.AccessKeys, nil
	}
	acct, err := s.loadAccount(ctx, tx, account)
	if err != nil {
		return nil, err
	}
	return acct.RootAccessKeys, nil
}

// ownedKey loads an access key that belongs to the owner (u, or root when nil).
func (s *Service) ownedKey(ctx context.Context, tx warden.Tx, account string, u *warden.User, id string) (*warden.AccessKey, error) {
	ids, err := s.keyIDs(ctx, tx, account, u)
	if err != nil {
		return nil, err
	}
	nf := noSuchEntity("The Access Key with id %s cannot be found.", id)
	if !slices.Contains(ids, id) {
		return nil, nf
	}
	k, err := warden.Load[warden.AccessKey](ctx, tx, "", id)
	return k, notFoundAs(err, nf)
}

type updateAccessKeyInput struct {
	UserName    string
	AccessKeyId string
	Status      string
}

func (s *Service) updateAccessKey(ctx context.Context, p *warden.Principal, in *updateAccessKeyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, target, err := s.keyOwner(ctx, tx, p, "UpdateAccessKey", in.UserName)
		if err != nil {
			return err
		}
		k, err := s.ownedKey(ctx, tx, p.Account, u, in.AccessKeyId)
		if err != nil {
			return err
		}
		k.Status = warden.AccessKeyStatus(in.Status)
		if err := warden.Save(ctx, tx, k); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UpdateAccessKey", target)
	})
}

type deleteAccessKeyInput struct {
	UserName    string
	AccessKeyId string
}

func (s *Service) deleteAccessKey(ctx context.Context, p *warden.Principal, in *deleteAccessKeyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, target, err := s.keyOwner(ctx, tx, p, "DeleteAccessKey", in.UserName)
		if err != nil {
			return err
		}
		k, err := s.ownedKey(ctx, tx, p.Account, u, in.AccessKeyId)
		if err != nil {
			return err
		}
		if u != nil {
			u.AccessKeys = slices.DeleteFunc(u.AccessKeys, func(id string) bool { return id == k.ID })
			if err := warden.Save(ctx, tx, u); err != nil {
				return err
			}
		} else {
			acct, err := s.loadAccount(ctx, tx, p.Account)
			if err != nil {
				return err
			}
			acct.RootAccessKeys = slices.DeleteFunc(acct.RootAccessKeys, func(id string) bool { return id == k.ID })
			if err := warden.Save(ctx, tx, acct); err != nil {
				return err
			}
		}
		if err := warden.Remove(ctx, tx, k); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteAccessKey", target)
	})
}

type getAccessKeyLastUsedInput struct {
	AccessKeyId string
}

type wAccessKeyLastUsed struct {
	LastUsedDate *time.Time `xml:"LastUsedDate,omitempty"`
	ServiceName  string     `xml:"ServiceName"`
	Region       string     `xml:"Region"`
}

type getAccessKeyLastUsedOutput struct {
	UserName          string             `xml:"UserName,omitempty"`
	AccessKeyLastUsed wAccessKeyLastUsed `xml:"AccessKeyLastUsed"`
}

func (s *Service) getAccessKeyLastUsed(ctx context.Context, p *warden.Principal, in *getAccessKeyLastUsedInput) (*getAccessKeyLastUsedOutput, error) {
	var k *warden.AccessKey
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		k, err = warden.Load[warden.AccessKey](ctx, tx, "", in.AccessKeyId)
		return err
	})
	if err != nil || k.Account != p.Account {
		if err == nil || errors.Is(err, warden.ErrNotFound) {
			err = noSuchEntity("The Access Key with id %s cannot be found.", in.AccessKeyId)
		}
		return nil, err
	}
	target := "arn:aws:iam::" + k.Account + ":root"
	if k.UserName != "" {
		target = arn(k.Account, "user", "/", k.UserName)
	}
	if err := s.authorize(ctx, p, "GetAccessKeyLastUsed", target, nil); err != nil {
		return nil, err
	}
	out := &getAccessKeyLastUsedOutput{UserName: k.UserName, AccessKeyLastUsed: wAccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	if k.LastUsed != nil {
		out.AccessKeyLastUsed = wAccessKeyLastUsed{LastUsedDate: k.LastUsed, ServiceName: k.LastService, Region: k.LastRegion}
	}
	return out, nil
}

// Credential is what authentication needs to know of an access key.
type Credential struct {
	Secret    string
	Active    bool
	Principal warden.Principal
}

// Credential looks up an access key for authentication: its secret in clear,
// whether it is active, and the principal it stands for. It returns
// warden.ErrNotFound for an unknown key, or for a key whose user or account
// is gone or closed.
func (s *Service) Credential(ctx context.Context, accessKeyID string) (*Credential, error) {
	if c, ok := s.creds.Get(accessKeyID); ok {
		cp := *c
		return &cp, nil
	}
	epoch := s.creds.Epoch()
	refs := []warden.Ref{{Kind: warden.KindAccessKey, Key: accessKeyID}}
	var c *Credential
	err := s.view(ctx, func(tx warden.Tx) error {
		k, err := warden.Load[warden.AccessKey](ctx, tx, "", accessKeyID)
		if err != nil {
			return err
		}
		refs = append(refs, warden.Ref{Kind: warden.KindAccount, Key: k.Account})
		acct, err := warden.Load[warden.Account](ctx, tx, "", k.Account)
		if err != nil {
			return err
		}
		if acct.Status != warden.AccountActive {
			return warden.ErrNotFound
		}
		secret, err := s.box.Open(k.Secret, k.ID)
		if err != nil {
			return err
		}
		c = &Credential{Secret: string(secret), Active: k.Status == warden.KeyActive}
		if k.UserName == "" {
			c.Principal = RootPrincipal(acct)
		} else {
			refs = append(refs, warden.Ref{Kind: warden.KindUser, Account: k.Account, Key: warden.NameKey(k.UserName)})
			u, err := warden.Load[warden.User](ctx, tx, k.Account, warden.NameKey(k.UserName))
			if err != nil {
				return err
			}
			c.Principal = warden.Principal{Type: warden.PrincipalUser, Account: u.Account, Name: u.Name, ID: u.ID, ARN: u.ARN()}
		}
		c.Principal.AccessKeyID = k.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	cp := *c
	s.creds.Put(accessKeyID, &cp, refs, epoch)
	return c, nil
}

// maxCachedCredentials bounds the credential cache; past it, it starts over.
const maxCachedCredentials = 10000

// RootPrincipal is the principal of an account's root user.
func RootPrincipal(acct *warden.Account) warden.Principal {
	return warden.Principal{Type: warden.PrincipalRoot, Account: acct.ID, ID: acct.ID, ARN: acct.RootARN()}
}

// keyUse throttles last-used bookkeeping to one write per key per minute.
type keyUse struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// RecordKeyUse notes that an access key signed a request for service in
// region. Writes are throttled so that busy keys don't write on every request.
func (s *Service) RecordKeyUse(ctx context.Context, accessKeyID, service, region string) error {
	now := s.now()
	s.uses.mu.Lock()
	if s.uses.last == nil {
		s.uses.last = map[string]time.Time{}
	}
	if t, ok := s.uses.last[accessKeyID]; ok && now.Sub(t) < time.Minute {
		s.uses.mu.Unlock()
		return nil
	}
	s.uses.last[accessKeyID] = now
	if len(s.uses.last) > 100000 {
		clear(s.uses.last)
	}
	s.uses.mu.Unlock()
	// Last use decides nothing, so the write leaves this node's
	// authorization snapshot and credential cache in place.
	return authz.Untracked(s.store).Update(ctx, func(tx warden.Tx) error {
		k, err := warden.Load[warden.AccessKey](ctx, tx, "", accessKeyID)
		if err != nil {
			return err
		}
		k.LastUsed, k.LastService, k.LastRegion = &now, service, region
		return warden.Save(ctx, tx, k)
	})
}
