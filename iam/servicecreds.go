package iam

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-iam/warden"
)

// maxServiceCredentials is IAM's quota of credentials per service per user.
const maxServiceCredentials = 2

// serviceCredentialServices are the services IAM issues service-specific
// credentials for; apiKey marks those whose credentials are API keys (an
// alias and a secret, with an optional expiry) rather than a user name and
// password.
var serviceCredentialServices = map[string]struct{ apiKey bool }{
	"codecommit.amazonaws.com": {},
	"cassandra.amazonaws.com":  {},
	"bedrock.amazonaws.com":    {apiKey: true},
}

// maxCredentialAgeDays bounds CredentialAgeDays (IAM allows up to 36600).
const maxCredentialAgeDays = 36600

type wServiceCredential struct {
	CreateDate                  time.Time  `xml:"CreateDate"`
	ExpirationDate              *time.Time `xml:"ExpirationDate,omitempty"`
	ServiceName                 string     `xml:"ServiceName"`
	ServiceUserName             string     `xml:"ServiceUserName,omitempty"`
	ServicePassword             string     `xml:"ServicePassword,omitempty"`
	ServiceCredentialAlias      string     `xml:"ServiceCredentialAlias,omitempty"`
	ServiceCredentialSecret     string     `xml:"ServiceCredentialSecret,omitempty"`
	ServiceSpecificCredentialID string     `xml:"ServiceSpecificCredentialId"`
	UserName                    string     `xml:"UserName"`
	Status                      string     `xml:"Status"`
}

// serviceCredOut shapes a credential; secret is "" except in the responses
// that create or reset it, the only times it is shown.
func serviceCredOut(userName string, c *warden.ServiceCredential, secret string) wServiceCredential {
	w := wServiceCredential{CreateDate: c.CreateDate, ExpirationDate: c.Expiration, ServiceName: c.ServiceName,
		ServiceSpecificCredentialID: c.ID, UserName: userName, Status: string(c.Status)}
	if serviceCredentialServices[c.ServiceName].apiKey {
		w.ServiceCredentialAlias = c.ServiceUser
		if secret != "" {
			w.ServiceCredentialSecret = bedrockAPIKey(c.ServiceUser, secret)
		}
	} else {
		w.ServiceUserName, w.ServicePassword = c.ServiceUser, secret
	}
	return w
}

// bedrockAPIKey is the form in which Amazon Bedrock long-term API keys are
// handed out: "ABSK" and the base64 of alias:secret.
func bedrockAPIKey(alias, secret string) string {
	return "ABSK" + base64.StdEncoding.EncodeToString([]byte(alias+":"+secret))
}

type createServiceSpecificCredentialInput struct {
	UserName          string
	ServiceName       string
	CredentialAgeDays *int
}

type serviceCredentialOutput struct {
	ServiceSpecificCredential wServiceCredential `xml:"ServiceSpecificCredential"`
}

func notSupportedService(name string) error {
	return warden.Errorf(warden.CodeNotSupportedService, "No such service %s is supported for Service-Specific Credentials", name)
}

func (s *Service) createServiceSpecificCredential(ctx context.Context, p *warden.Principal, in *createServiceSpecificCredentialInput) (*serviceCredentialOutput, error) {
	svc, ok := serviceCredentialServices[in.ServiceName]
	secret := s.NewSecret()
	var out *serviceCredentialOutput
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		u, err := s.userFor(ctx, tx, p, "CreateServiceSpecificCredential", in.UserName, nil)
		if err != nil {
			return err
		}
		if !ok {
			return notSupportedService(in.ServiceName)
		}
		c := &warden.ServiceCredential{Account: p.Account, ID: s.NewID("ACCA", 21), Owner: u.ID, ServiceName: in.ServiceName,
			Status: warden.KeyActive, CreateDate: s.now()}
		if in.CredentialAgeDays != nil {
			days := *in.CredentialAgeDays
			if !svc.apiKey {
				return invalidInput("CredentialAgeDays is only supported for services that issue API keys.")
			}
			if days < 1 || days > maxCredentialAgeDays {
				return warden.Errorf(warden.CodeValidationError, "1 validation error detected: Value %d at 'credentialAgeDays' failed to satisfy constraint: Member must have value between 1 and %d", days, maxCredentialAgeDays)
			}
			exp := c.CreateDate.AddDate(0, 0, days)
			c.Expiration = &exp
		}
		mine, err := warden.LoadAll[warden.ServiceCredential](ctx, tx, p.Account, u.ID+"/", "", 0)
		if err != nil {
			return err
		}
		used := map[string]bool{}
		n := 0
		for _, m := range mine {
			if m.ServiceName == in.ServiceName {
				n++
				used[m.ServiceUser] = true
			}
		}
		if n >= maxServiceCredentials {
			return limitExceeded("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", maxServiceCredentials)
		}
		c.ServiceUser = s.serviceUserName(u, svc.apiKey, used)
		c.Secret = s.box.Seal([]byte(secret), c.ID)
		if err := warden.Insert(ctx, tx, c); err != nil {
			return err
		}
		out = &serviceCredentialOutput{ServiceSpecificCredential: serviceCredOut(u.Name, c, secret)}
		return s.auditIn(ctx, tx, p, "CreateServiceSpecificCredential", u.ARN())
	})
	return out, err
}

// serviceUserName picks the user name of a new credential the way IAM does:
// NAME-at-ACCOUNT, then NAME+1-at-ACCOUNT for a second one; API keys get an
// alias with a random part.
func (s *Service) serviceUserName(u *warden.User, apiKey bool, used map[string]bool) string {
	if apiKey {
		return "BedrockAPIKey-" + strings.ToLower(s.NewID("", 4)) + "-at-" + u.Account
	}
	for i := 0; ; i++ {
		name := u.Name
		if i > 0 {
			name += "+" + strconv.Itoa(i)
		}
		name += "-at-" + u.Account
		if !used[name] {
			return name
		}
	}
}

// serviceCredOwner resolves the user an operation on credentials acts on:
// the named user or the calling user.
func (s *Service) serviceCredOwner(ctx context.Context, tx warden.Tx, p *warden.Principal, action, userName string) (*warden.User, error) {
	u, _, err := s.keyOwner(ctx, tx, p, action, userName)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, noSuchEntity("The user with name %s cannot be found.", "root")
	}
	return u, nil
}

func (s *Service) ownedServiceCred(ctx context.Context, tx warden.Tx, p *warden.Principal, action, userName, id string) (*warden.User, *warden.ServiceCredential, error) {
	u, err := s.serviceCredOwner(ctx, tx, p, action, userName)
	if err != nil {
		return nil, nil, err
	}
	c, err := warden.Load[warden.ServiceCredential](ctx, tx, p.Account, warden.OwnedKey(u.ID, id))
	if err != nil {
		return nil, nil, notFoundAs(err, noSuchEntity("No such credential %s exists", id))
	}
	return u, c, nil
}

type listServiceSpecificCredentialsInput struct {
	UserName    string
	ServiceName string
	AllUsers    bool
	Marker      string
	MaxItems    int
}

type listServiceSpecificCredentialsOutput struct {
	ServiceSpecificCredentials list[wServiceCredential] `xml:"ServiceSpecificCredentials"`
	page
}

func (s *Service) listServiceSpecificCredentials(ctx context.Context, p *warden.Principal, in *listServiceSpecificCredentialsInput) (*listServiceSpecificCredentialsOutput, error) {
	if in.AllUsers && in.UserName != "" {
		return nil, invalidInput("AllUsers cannot be specified together with UserName.")
	}
	if in.ServiceName != "" {
		if _, ok := serviceCredentialServices[in.ServiceName]; !ok {
			return nil, notSupportedService(in.ServiceName)
		}
	}
	if in.AllUsers {
		return s.listAllServiceCredentials(ctx, p, in)
	}
	var (
		userName string
		creds    []*warden.ServiceCredential
	)
	err := s.view(ctx, func(tx warden.Tx) error {
		u, err := s.serviceCredOwner(ctx, tx, p, "ListServiceSpecificCredentials", in.UserName)
		if err != nil {
			return err
		}
		userName = u.Name
		// At most maxServiceCredentials per service: a handful.
		all, err := warden.LoadAll[warden.ServiceCredential](ctx, tx, p.Account, u.ID+"/", "", 0)
		if err != nil {
			return err
		}
		creds = creds[:0]
		for _, c := range all {
			if in.ServiceName == "" || c.ServiceName == in.ServiceName {
				creds = append(creds, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	window, pg, err := paginate(creds, func(c *warden.ServiceCredential) string { return warden.OwnedKey(c.Owner, c.ID) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listServiceSpecificCredentialsOutput{ServiceSpecificCredentials: list[wServiceCredential]{}, page: pg}
	for _, c := range window {
		out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, serviceCredOut(userName, c, ""))
	}
	return out, nil
}

// listAllServiceCredentials is ListServiceSpecificCredentials with
// AllUsers: one page of the account's credentials in key order (owner ID,
// credential ID) from the one the marker names (the first key of the page,
// sealed), with their owners' names. A
// page reads MaxItems+1 credentials at a time, plus one userid record per
// owner on it and one GetMany of the owners, however many users the account
// holds. With a ServiceName the page comes from that service's
// servicecredservice records (MaxItems+2 of them and one GetMany of the
// credentials), in the same order, so it reads no credential of another
// service however few match.
func (s *Service) listAllServiceCredentials(ctx context.Context, p *warden.Principal, in *listServiceSpecificCredentialsInput) (*listServiceSpecificCredentialsOutput, error) {
	if err := s.authorize(ctx, p, "ListServiceSpecificCredentials", arn(p.Account, "user", "/", "*"), nil); err != nil {
		return nil, err
	}
	start, err := markerKey(in.Marker, "ListServiceSpecificCredentials", p.Account, "")
	if err != nil {
		return nil, err
	}
	size := pageSize(in.MaxItems)
	keep := func(c *warden.ServiceCredential) bool { return in.ServiceName == "" || c.ServiceName == in.ServiceName }
	var (
		creds []*warden.ServiceCredential
		names map[string]string
	)
	err = s.view(ctx, func(tx warden.Tx) error {
		creds = creds[:0]
		after := start
		if start != "" {
			// The marker's own credential opens the page when it is still there.
			var err error
			if creds, err = markerEntity(ctx, tx, p.Account, start, keep); err != nil {
				return err
			}
		}
		// size+1 in all: the one after the page makes the marker.
		var more []*warden.ServiceCredential
		var err error
		if in.ServiceName == "" {
			more, _, _, err = scan[warden.ServiceCredential](ctx, tx, p.Account, after, size+1-len(creds), keep)
		} else {
			more, err = serviceCredsOf(ctx, tx, p.Account, in.ServiceName, after, size+1-len(creds))
		}
		if err != nil {
			return err
		}
		creds = append(creds, more...)
		names, err = userNames(ctx, tx, p.Account, creds[:min(len(creds), size)])
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &listServiceSpecificCredentialsOutput{ServiceSpecificCredentials: list[wServiceCredential]{}}
	if len(creds) > size {
		next := creds[size]
		out.page = page{IsTruncated: true, Marker: sealMarker(warden.OwnedKey(next.Owner, next.ID), "ListServiceSpecificCredentials", p.Account, "")}
		creds = creds[:size]
	}
	for _, c := range creds {
		out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, serviceCredOut(names[c.Owner], c, ""))
	}
	return out, nil
}

// serviceCredsOf returns up to n credentials of service in account, in key
// order after the key after (any, when ""): n+1 servicecredservice records,
// of which the first n name the credentials, and one GetMany of those.
func serviceCredsOf(ctx context.Context, tx warden.Tx, account, service, after string, n int) ([]*warden.ServiceCredential, error) {
	prefix := warden.IndexKey(service, "")
	if after != "" {
		after = prefix + after
	}
	creds, _, _, err := scanIndex[warden.ServiceCredential](ctx, tx, warden.KindServiceCredService, account, prefix, after, n, nil)
	return creds, err
}

// userNames maps the owners of creds (user IDs) to their names, leaving
// out those no longer there: a userid record per owner and one GetMany.
func userNames(ctx context.Context, tx warden.Tx, account string, creds []*warden.ServiceCredential) (map[string]string, error) {
	var keys []string
	seen := map[string]bool{}
	for _, c := range creds {
		if seen[c.Owner] || c.Owner == "" {
			continue
		}
		seen[c.Owner] = true
		rs, err := tx.List(ctx, warden.KindUserID, account, c.Owner+" ", "", 1)
		if err != nil {
			return nil, err
		}
		if len(rs) > 0 {
			keys = append(keys, warden.IndexTarget(rs[0].Key))
		}
	}
	users, err := warden.LoadPresent[warden.User](ctx, tx, account, keys)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	return names, nil
}

type serviceCredentialIDInput struct {
	UserName                    string
	ServiceSpecificCredentialId string
}

func (s *Service) resetServiceSpecificCredential(ctx context.Context, p *warden.Principal, in *serviceCredentialIDInput) (*serviceCredentialOutput, error) {
	secret := s.NewSecret()
	var out *serviceCredentialOutput
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		u, c, err := s.ownedServiceCred(ctx, tx, p, "ResetServiceSpecificCredential", in.UserName, in.ServiceSpecificCredentialId)
		if err != nil {
			return err
		}
		c.Secret = s.box.Seal([]byte(secret), c.ID)
		if err := warden.Save(ctx, tx, c); err != nil {
			return err
		}
		out = &serviceCredentialOutput{ServiceSpecificCredential: serviceCredOut(u.Name, c, secret)}
		return s.auditIn(ctx, tx, p, "ResetServiceSpecificCredential", u.ARN())
	})
	return out, err
}

type updateServiceSpecificCredentialInput struct {
	UserName                    string
	ServiceSpecificCredentialId string
	Status                      string
}

func (s *Service) updateServiceSpecificCredential(ctx context.Context, p *warden.Principal, in *updateServiceSpecificCredentialInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, c, err := s.ownedServiceCred(ctx, tx, p, "UpdateServiceSpecificCredential", in.UserName, in.ServiceSpecificCredentialId)
		if err != nil {
			return err
		}
		c.Status = warden.AccessKeyStatus(in.Status)
		if err := warden.Save(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UpdateServiceSpecificCredential", u.ARN())
	})
}

func (s *Service) deleteServiceSpecificCredential(ctx context.Context, p *warden.Principal, in *serviceCredentialIDInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, c, err := s.ownedServiceCred(ctx, tx, p, "DeleteServiceSpecificCredential", in.UserName, in.ServiceSpecificCredentialId)
		if err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteServiceSpecificCredential", u.ARN())
	})
}

// VerifyServiceCredential checks a service-specific credential as the
// service named would: serviceUser is the credential's user name (or, for
// API keys, the whole key, with password ""). It returns the principal of
// the owning user when the credential exists in account, is active, has not
// expired and the password matches; otherwise warden.ErrNotFound, the same
// for every failure so that a caller learns nothing of which part was wrong.
// The password is compared in constant time, against a stand-in when no
// credential has the name, so the time taken does not tell either. A good
// check records when the credential was last used (at most once a minute).
func (s *Service) VerifyServiceCredential(ctx context.Context, account, serviceName, serviceUser, password string) (*warden.Principal, error) {
	if serviceCredentialServices[serviceName].apiKey && password == "" {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(serviceUser, "ABSK"))
		if !strings.HasPrefix(serviceUser, "ABSK") || err != nil {
			return nil, warden.ErrNotFound
		}
		alias, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return nil, warden.ErrNotFound
		}
		serviceUser, password = alias, secret
	}
	var pr *warden.Principal
	var used *warden.ServiceCredential
	now := s.Now()
	err := s.view(ctx, func(tx warden.Tx) error {
		pr, used = nil, nil
		var found *warden.ServiceCredential
		want := []byte(dummyServicePassword)
		if account != "" {
			c, err := serviceCredByUser(ctx, tx, account, serviceName, serviceUser)
			if err != nil {
				return err
			}
			if c != nil {
				secret, err := s.box.Open(c.Secret, c.ID)
				if err != nil {
					return err
				}
				found, want = c, secret
			}
		}
		match := subtle.ConstantTimeCompare(want, []byte(password)) == 1
		if found == nil || !match || found.Status != warden.KeyActive ||
			(found.Expiration != nil && !now.Before(*found.Expiration)) {
			return warden.ErrNotFound
		}
		u, err := s.userByID(ctx, tx, account, found.Owner)
		if err != nil {
			return err
		}
		pr = &warden.Principal{Type: warden.PrincipalUser, Account: u.Account, Name: u.Name, ID: u.ID, ARN: u.ARN()}
		used = found
		return nil
	})
	if err != nil {
		return nil, err
	}
	if used.LastUsed == nil || now.Sub(*used.LastUsed) >= time.Minute {
		// The last use decides no access: bookkeeping, out of the change feed.
		err := s.store.Update(warden.Bookkeeping(ctx), func(tx warden.Tx) error {
			c, err := warden.Load[warden.ServiceCredential](ctx, tx, account, warden.OwnedKey(used.Owner, used.ID))
			if err != nil {
				return err
			}
			c.LastUsed = &now
			return warden.Save(ctx, tx, c)
		})
		if err != nil && !warden.IsNotFound(err) {
			return nil, err
		}
	}
	return pr, nil
}

// dummyServicePassword stands in for the secret of a credential that does
// not exist, as long as a real one, so a miss costs a full comparison.
const dummyServicePassword = "wardenDummyServicePasswordForMisses0123456789="

// serviceCredByUser finds the credential of service serviceName whose
// service user name is serviceUser in account, or nil: one read of the
// servicecreduser index and one of the credential, however many the account
// holds. Should two credentials share the name (a user deleted and another
// made with its name), the first in key order is the one, as it always was.
func serviceCredByUser(ctx context.Context, tx warden.Tx, account, serviceName, serviceUser string) (*warden.ServiceCredential, error) {
	rs, err := tx.List(ctx, warden.KindServiceCredUser, account, warden.IndexKey(serviceName, serviceUser)+" ", "", 1)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	c, err := warden.Load[warden.ServiceCredential](ctx, tx, account, warden.IndexTarget(rs[0].Key))
	if err != nil {
		return nil, fmt.Errorf("index %s %q: %w", rs[0].Kind, rs[0].Key, err)
	}
	// Neither name has a space, so a prefix of names given with one cannot
	// reach another credential's record; the check says so again.
	if c.ServiceName != serviceName || c.ServiceUser != serviceUser {
		return nil, nil
	}
	return c, nil
}

// userByID finds the user with unique ID id in account, or ErrNotFound:
// one read of the userid index and one of the user.
func (s *Service) userByID(ctx context.Context, tx warden.Tx, account, id string) (*warden.User, error) {
	if id == "" {
		return nil, warden.ErrNotFound
	}
	rs, err := tx.List(ctx, warden.KindUserID, account, id+" ", "", 1)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, warden.ErrNotFound
	}
	u, err := warden.Load[warden.User](ctx, tx, account, warden.IndexTarget(rs[0].Key))
	if err != nil {
		return nil, fmt.Errorf("index %s %q: %w", rs[0].Kind, rs[0].Key, err)
	}
	if u.ID != id {
		return nil, warden.ErrNotFound
	}
	return u, nil
}
