package iam

import (
	"context"
	"time"

	"github.com/warden-iam/warden"
)

// maxSSHPublicKeys is IAM's quota of SSH public keys per user.
const maxSSHPublicKeys = 5

// credentialOperations are the SSH public keys, signing and server
// certificates and service-specific credentials.
func (s *Service) credentialOperations() map[string]operation {
	return map[string]operation{
		"UploadSSHPublicKey": op(s.uploadSSHPublicKey),
		"GetSSHPublicKey":    op(s.getSSHPublicKey),
		"ListSSHPublicKeys":  op(s.listSSHPublicKeys),
		"UpdateSSHPublicKey": noOutput(s.updateSSHPublicKey),
		"DeleteSSHPublicKey": noOutput(s.deleteSSHPublicKey),

		"UploadSigningCertificate": op(s.uploadSigningCertificate),
		"ListSigningCertificates":  op(s.listSigningCertificates),
		"UpdateSigningCertificate": noOutput(s.updateSigningCertificate),
		"DeleteSigningCertificate": noOutput(s.deleteSigningCertificate),

		"UploadServerCertificate":         op(s.uploadServerCertificate),
		"GetServerCertificate":            op(s.getServerCertificate),
		"ListServerCertificates":          op(s.listServerCertificates),
		"UpdateServerCertificate":         noOutput(s.updateServerCertificate),
		"DeleteServerCertificate":         noOutput(s.deleteServerCertificate),
		"TagServerCertificate":            noOutput(s.tagServerCertificate),
		"UntagServerCertificate":          noOutput(s.untagServerCertificate),
		"ListServerCertificateTags":       op(s.listServerCertificateTags),
		"CreateServiceSpecificCredential": op(s.createServiceSpecificCredential),
		"ListServiceSpecificCredentials":  op(s.listServiceSpecificCredentials),
		"ResetServiceSpecificCredential":  op(s.resetServiceSpecificCredential),
		"UpdateServiceSpecificCredential": noOutput(s.updateServiceSpecificCredential),
		"DeleteServiceSpecificCredential": noOutput(s.deleteServiceSpecificCredential),
	}
}

// ownerID is the ID under which the credentials of u (the root user when nil)
// are stored.
func ownerID(u *warden.User) string {
	if u == nil {
		return warden.RootOwner
	}
	return u.ID
}

type wSSHPublicKey struct {
	UserName         string    `xml:"UserName"`
	SSHPublicKeyID   string    `xml:"SSHPublicKeyId"`
	Fingerprint      string    `xml:"Fingerprint,omitempty"`
	SSHPublicKeyBody string    `xml:"SSHPublicKeyBody,omitempty"`
	Status           string    `xml:"Status"`
	UploadDate       time.Time `xml:"UploadDate"`
}

func sshKeyOut(u *warden.User, k *warden.SSHPublicKey, body string) wSSHPublicKey {
	w := wSSHPublicKey{UserName: u.Name, SSHPublicKeyID: k.ID, Status: string(k.Status), UploadDate: k.UploadDate}
	if body != "" {
		w.Fingerprint, w.SSHPublicKeyBody = k.Fingerprint, body
	}
	return w
}

type uploadSSHPublicKeyInput struct {
	UserName         string
	SSHPublicKeyBody string
}

type sshPublicKeyOutput struct {
	SSHPublicKey wSSHPublicKey `xml:"SSHPublicKey"`
}

func (s *Service) uploadSSHPublicKey(ctx context.Context, p *warden.Principal, in *uploadSSHPublicKeyInput) (*sshPublicKeyOutput, error) {
	parsed, err := parseSSHPublicKey(in.SSHPublicKeyBody)
	var out *sshPublicKeyOutput
	err2 := s.store.Update(ctx, func(tx warden.Tx) error {
		u, err2 := s.userFor(ctx, tx, p, "UploadSSHPublicKey", in.UserName, nil)
		if err2 != nil {
			return err2
		}
		if err != nil {
			return err
		}
		keys, err2 := warden.LoadAll[warden.SSHPublicKey](ctx, tx, p.Account, u.ID+"/", "", 0)
		if err2 != nil {
			return err2
		}
		for _, k := range keys {
			if k.Fingerprint == parsed.fingerprint {
				return warden.Errorf(warden.CodeDuplicateSSHPublicKey, "The request was rejected because the SSH public key is already associated with the specified IAM user.")
			}
		}
		if len(keys) >= maxSSHPublicKeys {
			return limitExceeded("Cannot exceed quota for PublicKeysPerUser: %d", maxSSHPublicKeys)
		}
		k := &warden.SSHPublicKey{Account: p.Account, ID: s.NewID("APKA", 20), Owner: u.ID, Body: parsed.authorized,
			Fingerprint: parsed.fingerprint, Status: warden.KeyActive, UploadDate: s.now()}
		if err2 := warden.Insert(ctx, tx, k); err2 != nil {
			return err2
		}
		out = &sshPublicKeyOutput{SSHPublicKey: sshKeyOut(u, k, k.Body)}
		return s.auditIn(ctx, tx, p, "UploadSSHPublicKey", u.ARN())
	})
	return out, err2
}

// userSSHKey loads the named user, authorized for action, and one of its keys.
func (s *Service) userSSHKey(ctx context.Context, tx warden.Tx, p *warden.Principal, action, userName, id string) (*warden.User, *warden.SSHPublicKey, error) {
	u, err := s.userFor(ctx, tx, p, action, userName, nil)
	if err != nil {
		return nil, nil, err
	}
	k, err := warden.Load[warden.SSHPublicKey](ctx, tx, p.Account, warden.OwnedKey(u.ID, id))
	if err != nil {
		return nil, nil, notFoundAs(err, noSuchEntity("The Public Key with id %s cannot be found.", id))
	}
	return u, k, nil
}

type getSSHPublicKeyInput struct {
	UserName       string
	SSHPublicKeyId string
	Encoding       string
}

func (s *Service) getSSHPublicKey(ctx context.Context, p *warden.Principal, in *getSSHPublicKeyInput) (*sshPublicKeyOutput, error) {
	var out *sshPublicKeyOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		u, k, err := s.userSSHKey(ctx, tx, p, "GetSSHPublicKey", in.UserName, in.SSHPublicKeyId)
		if err != nil {
			return err
		}
		body := k.Body
		if in.Encoding == "PEM" {
			parsed, err := parseSSHPublicKey(k.Body)
			if err != nil {
				return err
			}
			body = parsed.pemBody
		}
		out = &sshPublicKeyOutput{SSHPublicKey: sshKeyOut(u, k, body)}
		return nil
	})
	return out, err
}

type listSSHPublicKeysInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type listSSHPublicKeysOutput struct {
	SSHPublicKeys list[wSSHPublicKey] `xml:"SSHPublicKeys"`
	page
}

func (s *Service) listSSHPublicKeys(ctx context.Context, p *warden.Principal, in *listSSHPublicKeysInput) (*listSSHPublicKeysOutput, error) {
	var u *warden.User
	var keys []*warden.SSHPublicKey
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		u, _, err = s.keyOwner(ctx, tx, p, "ListSSHPublicKeys", in.UserName)
		if err != nil || u == nil {
			return err
		}
		keys, err = warden.LoadAll[warden.SSHPublicKey](ctx, tx, p.Account, u.ID+"/", "", 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	window, pg, err := paginate(keys, func(k *warden.SSHPublicKey) string { return k.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listSSHPublicKeysOutput{SSHPublicKeys: list[wSSHPublicKey]{}, page: pg}
	for _, k := range window {
		out.SSHPublicKeys = append(out.SSHPublicKeys, sshKeyOut(u, k, ""))
	}
	return out, nil
}

type updateSSHPublicKeyInput struct {
	UserName       string
	SSHPublicKeyId string
	Status         string
}

func (s *Service) updateSSHPublicKey(ctx context.Context, p *warden.Principal, in *updateSSHPublicKeyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, k, err := s.userSSHKey(ctx, tx, p, "UpdateSSHPublicKey", in.UserName, in.SSHPublicKeyId)
		if err != nil {
			return err
		}
		k.Status = warden.AccessKeyStatus(in.Status)
		if err := warden.Save(ctx, tx, k); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UpdateSSHPublicKey", u.ARN())
	})
}

type deleteSSHPublicKeyInput struct {
	UserName       string
	SSHPublicKeyId string
}

func (s *Service) deleteSSHPublicKey(ctx context.Context, p *warden.Principal, in *deleteSSHPublicKeyInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		u, k, err := s.userSSHKey(ctx, tx, p, "DeleteSSHPublicKey", in.UserName, in.SSHPublicKeyId)
		if err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, k); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteSSHPublicKey", u.ARN())
	})
}

// credentialConflict names the credential a user must lose before it can be
// deleted, or returns nil when it holds none of this file's kinds.
func credentialConflict(ctx context.Context, tx warden.Tx, u *warden.User) error {
	for _, c := range []struct {
		kind warden.Kind
		what string
	}{
		{warden.KindSigningCertificate, "signing certificates"},
		{warden.KindSSHPublicKey, "SSH public keys"},
		{warden.KindServiceCredential, "service specific credentials"},
	} {
		rs, err := tx.List(ctx, c.kind, u.Account, u.ID+"/", "", 1)
		if err != nil {
			return err
		}
		if len(rs) > 0 {
			return deleteConflict("Cannot delete entity, must delete %s first.", c.what)
		}
	}
	return nil
}
