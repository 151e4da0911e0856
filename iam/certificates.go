package iam

import (
	"context"
	"errors"
	"time"

	"github.com/warden-iam/warden"
)

// IAM's quotas for certificates.
const (
	maxSigningCertificates = 2  // per user
	maxServerCertificates  = 20 // per account
)

type wSigningCertificate struct {
	UserName        string    `xml:"UserName"`
	CertificateID   string    `xml:"CertificateId"`
	CertificateBody string    `xml:"CertificateBody"`
	Status          string    `xml:"Status"`
	UploadDate      time.Time `xml:"UploadDate"`
}

func signingCertOut(u *warden.User, c *warden.SigningCertificate) wSigningCertificate {
	name := ""
	if u != nil {
		name = u.Name
	}
	return wSigningCertificate{UserName: name, CertificateID: c.ID, CertificateBody: c.Body, Status: string(c.Status), UploadDate: c.UploadDate}
}

type uploadSigningCertificateInput struct {
	UserName        string
	CertificateBody string
}

type uploadSigningCertificateOutput struct {
	Certificate wSigningCertificate `xml:"Certificate"`
}

func (s *Service) uploadSigningCertificate(ctx context.Context, p *warden.Principal, in *uploadSigningCertificateInput) (*uploadSigningCertificateOutput, error) {
	cert, perr := parseCertificate(in.CertificateBody, s.Now())
	var out *uploadSigningCertificateOutput
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		u, target, err := s.keyOwner(ctx, tx, p, "UploadSigningCertificate", in.UserName)
		if err != nil {
			return err
		}
		if perr != nil {
			return perr
		}
		fp := certFingerprint(cert)
		// The fingerprint index finds a duplicate anywhere in the account;
		// the owner's own certificates are at most a quota's few.
		dup, err := tx.List(ctx, warden.KindSigningCertFP, p.Account, fp+" ", "", 1)
		if err != nil {
			return err
		}
		if len(dup) > 0 {
			return warden.Errorf(warden.CodeDuplicateCertificate, "The request was rejected because the same certificate is associated with an IAM user in the account.")
		}
		owner := ownerID(u)
		mine, err := tx.List(ctx, warden.KindSigningCertificate, p.Account, owner+"/", "", maxSigningCertificates)
		if err != nil {
			return err
		}
		if len(mine) >= maxSigningCertificates {
			return limitExceeded("Cannot exceed quota for CertificatesPerUser: %d", maxSigningCertificates)
		}
		c := &warden.SigningCertificate{Account: p.Account, ID: s.NewID("", 32), Owner: owner, Body: in.CertificateBody,
			Fingerprint: fp, Status: warden.KeyActive, UploadDate: s.now()}
		if err := warden.Insert(ctx, tx, c); err != nil {
			return err
		}
		out = &uploadSigningCertificateOutput{Certificate: signingCertOut(u, c)}
		return s.auditIn(ctx, tx, p, "UploadSigningCertificate", target)
	})
	return out, err
}

type listSigningCertificatesInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type listSigningCertificatesOutput struct {
	Certificates list[wSigningCertificate] `xml:"Certificates"`
	page
}

func (s *Service) listSigningCertificates(ctx context.Context, p *warden.Principal, in *listSigningCertificatesInput) (*listSigningCertificatesOutput, error) {
	var u *warden.User
	var certs []*warden.SigningCertificate
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		u, _, err = s.keyOwner(ctx, tx, p, "ListSigningCertificates", in.UserName)
		if err != nil {
			return err
		}
		certs, err = warden.LoadAll[warden.SigningCertificate](ctx, tx, p.Account, ownerID(u)+"/", "", 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	window, pg, err := paginate(certs, func(c *warden.SigningCertificate) string { return c.ID }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listSigningCertificatesOutput{Certificates: list[wSigningCertificate]{}, page: pg}
	for _, c := range window {
		out.Certificates = append(out.Certificates, signingCertOut(u, c))
	}
	return out, nil
}

// ownedSigningCert loads a signing certificate of the user named (or of the
// caller) for action.
func (s *Service) ownedSigningCert(ctx context.Context, tx warden.Tx, p *warden.Principal, action, userName, id string) (*warden.SigningCertificate, string, error) {
	u, target, err := s.keyOwner(ctx, tx, p, action, userName)
	if err != nil {
		return nil, "", err
	}
	c, err := warden.Load[warden.SigningCertificate](ctx, tx, p.Account, warden.OwnedKey(ownerID(u), id))
	if err != nil {
		return nil, "", notFoundAs(err, noSuchEntity("The Certificate with id %s cannot be found.", id))
	}
	return c, target, nil
}

type updateSigningCertificateInput struct {
	UserName      string
	CertificateId string
	Status        string
}

func (s *Service) updateSigningCertificate(ctx context.Context, p *warden.Principal, in *updateSigningCertificateInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		c, target, err := s.ownedSigningCert(ctx, tx, p, "UpdateSigningCertificate", in.UserName, in.CertificateId)
		if err != nil {
			return err
		}
		c.Status = warden.AccessKeyStatus(in.Status)
		if err := warden.Save(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UpdateSigningCertificate", target)
	})
}

type deleteSigningCertificateInput struct {
	UserName      string
	CertificateId string
}

func (s *Service) deleteSigningCertificate(ctx context.Context, p *warden.Principal, in *deleteSigningCertificateInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		c, target, err := s.ownedSigningCert(ctx, tx, p, "DeleteSigningCertificate", in.UserName, in.CertificateId)
		if err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteSigningCertificate", target)
	})
}

// Server certificates.

type wServerCertificateMetadata struct {
	Path                  string    `xml:"Path"`
	ServerCertificateName string    `xml:"ServerCertificateName"`
	ServerCertificateID   string    `xml:"ServerCertificateId"`
	Arn                   string    `xml:"Arn"`
	UploadDate            time.Time `xml:"UploadDate"`
	Expiration            time.Time `xml:"Expiration"`
}

func serverCertMetadata(c *warden.ServerCertificate) wServerCertificateMetadata {
	return wServerCertificateMetadata{c.Path, c.Name, c.ID, c.ARN(), c.UploadDate, c.Expiration}
}

func serverCertNotFound(name string) error {
	return noSuchEntity("The Server Certificate with name %s cannot be found.", name)
}

// serverCertFor loads the named server certificate, authorized for action.
func (s *Service) serverCertFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string) (*warden.ServerCertificate, error) {
	return s.serverCertWith(ctx, tx, p, action, name, nil)
}

// serverCertWith is serverCertFor with the request's own context keys (the
// tags of Tag and Untag).
func (s *Service) serverCertWith(ctx context.Context, tx warden.Tx, p *warden.Principal, action, name string, keys map[string][]string) (*warden.ServerCertificate, error) {
	c, err := warden.Load[warden.ServerCertificate](ctx, tx, p.Account, warden.NameKey(name))
	if err != nil {
		if aerr := s.authorize(ctx, p, action, arn(p.Account, "server-certificate", "/", name), keys); aerr != nil && errors.Is(err, warden.ErrNotFound) {
			return nil, aerr
		}
		return nil, notFoundAs(err, serverCertNotFound(name))
	}
	if err := s.authorize(ctx, p, action, c.ARN(), withResourceTags(keys, c.Tags)); err != nil {
		return nil, err
	}
	return c, nil
}

type uploadServerCertificateInput struct {
	Path                  string
	ServerCertificateName string
	CertificateBody       string
	PrivateKey            string
	CertificateChain      string
	Tags                  []tagsInput
}

type uploadServerCertificateOutput struct {
	ServerCertificateMetadata wServerCertificateMetadata `xml:"ServerCertificateMetadata"`
	Tags                      list[wTag]                 `xml:"Tags,omitempty"`
}

func (s *Service) uploadServerCertificate(ctx context.Context, p *warden.Principal, in *uploadServerCertificateInput) (*uploadServerCertificateOutput, error) {
	path := orDefault(in.Path)
	c := &warden.ServerCertificate{Account: p.Account, ID: s.NewID("ASCA", 21), Name: in.ServerCertificateName, Path: path,
		Body: in.CertificateBody, Chain: in.CertificateChain, UploadDate: s.now(), Tags: tagsIn(in.Tags)}
	if err := s.authorize(ctx, p, "UploadServerCertificate", c.ARN(), tagKeys(c.Tags)); err != nil {
		return nil, err
	}
	if err := checkNewTags(c.Tags); err != nil {
		return nil, err
	}
	cert, err := checkServerCertificate(in.CertificateBody, in.PrivateKey, in.CertificateChain, s.Now())
	if err != nil {
		return nil, err
	}
	c.Expiration = cert.NotAfter.UTC()
	c.PrivateKey = s.box.Seal([]byte(in.PrivateKey), c.ID)
	err = s.store.Update(ctx, func(tx warden.Tx) error {
		if err := insertWithin(ctx, tx, c, warden.KindServerCertificate, p.Account, maxServerCertificates, "ServerCertificatesPerAccount",
			alreadyExists("The Server Certificate with name %s already exists.", c.Name)); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UploadServerCertificate", c.ARN())
	})
	if err != nil {
		return nil, err
	}
	out := &uploadServerCertificateOutput{ServerCertificateMetadata: serverCertMetadata(c)}
	if len(c.Tags) > 0 {
		out.Tags = tagsOut(c.Tags)
	}
	return out, nil
}

type serverCertificateNameInput struct {
	ServerCertificateName string
}

type wServerCertificate struct {
	ServerCertificateMetadata wServerCertificateMetadata `xml:"ServerCertificateMetadata"`
	CertificateBody           string                     `xml:"CertificateBody"`
	CertificateChain          string                     `xml:"CertificateChain,omitempty"`
	Tags                      list[wTag]                 `xml:"Tags"`
}

type getServerCertificateOutput struct {
	ServerCertificate wServerCertificate `xml:"ServerCertificate"`
}

func (s *Service) getServerCertificate(ctx context.Context, p *warden.Principal, in *serverCertificateNameInput) (*getServerCertificateOutput, error) {
	var c *warden.ServerCertificate
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		c, err = s.serverCertFor(ctx, tx, p, "GetServerCertificate", in.ServerCertificateName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &getServerCertificateOutput{ServerCertificate: wServerCertificate{ServerCertificateMetadata: serverCertMetadata(c),
		CertificateBody: c.Body, CertificateChain: c.Chain, Tags: tagsOut(c.Tags)}}, nil
}

type listServerCertificatesInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type listServerCertificatesOutput struct {
	ServerCertificateMetadataList list[wServerCertificateMetadata] `xml:"ServerCertificateMetadataList"`
	page
}

func (s *Service) listServerCertificates(ctx context.Context, p *warden.Principal, in *listServerCertificatesInput) (*listServerCertificatesOutput, error) {
	if err := s.authorize(ctx, p, "ListServerCertificates", arn(p.Account, "server-certificate", "/", "*"), nil); err != nil {
		return nil, err
	}
	var certs []*warden.ServerCertificate
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		certs, err = warden.LoadAll[warden.ServerCertificate](ctx, tx, p.Account, "", "", 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	var matching []*warden.ServerCertificate
	for _, c := range certs {
		if hasPathPrefix(c.Path, in.PathPrefix) {
			matching = append(matching, c)
		}
	}
	window, pg, err := paginate(matching, func(c *warden.ServerCertificate) string { return warden.NameKey(c.Name) }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listServerCertificatesOutput{ServerCertificateMetadataList: list[wServerCertificateMetadata]{}, page: pg}
	for _, c := range window {
		out.ServerCertificateMetadataList = append(out.ServerCertificateMetadataList, serverCertMetadata(c))
	}
	return out, nil
}

type updateServerCertificateInput struct {
	ServerCertificateName    string
	NewPath                  string
	NewServerCertificateName string
}

func (s *Service) updateServerCertificate(ctx context.Context, p *warden.Principal, in *updateServerCertificateInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		c, err := s.serverCertFor(ctx, tx, p, "UpdateServerCertificate", in.ServerCertificateName)
		if err != nil {
			return err
		}
		old := *c
		if in.NewPath != "" {
			c.Path = in.NewPath
		}
		if in.NewServerCertificateName != "" {
			c.Name = in.NewServerCertificateName
		}
		// IAM asks for permission on both the old and the new ARN.
		if err := s.authorize(ctx, p, "UpdateServerCertificate", c.ARN(), withResourceTags(nil, c.Tags)); err != nil {
			return err
		}
		if warden.NameKey(c.Name) == warden.NameKey(old.Name) {
			err = warden.Save(ctx, tx, c)
		} else {
			if err := warden.Remove(ctx, tx, &old); err != nil {
				return err
			}
			err = warden.Insert(ctx, tx, c)
			if errors.Is(err, warden.ErrAlreadyExists) {
				return alreadyExists("The Server Certificate with name %s already exists.", c.Name)
			}
		}
		if err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UpdateServerCertificate", c.ARN())
	})
}

func (s *Service) deleteServerCertificate(ctx context.Context, p *warden.Principal, in *serverCertificateNameInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		c, err := s.serverCertFor(ctx, tx, p, "DeleteServerCertificate", in.ServerCertificateName)
		if err != nil {
			return err
		}
		if err := warden.Remove(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteServerCertificate", c.ARN())
	})
}

type tagServerCertificateInput struct {
	ServerCertificateName string
	Tags                  []tagsInput
}

func (s *Service) tagServerCertificate(ctx context.Context, p *warden.Principal, in *tagServerCertificateInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		c, err := s.serverCertWith(ctx, tx, p, "TagServerCertificate", in.ServerCertificateName, tagKeys(tagsIn(in.Tags)))
		if err != nil {
			return err
		}
		if c.Tags, err = mergeTags(c.Tags, tagsIn(in.Tags), "ServerCertificate"); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "TagServerCertificate", c.ARN())
	})
}

type untagServerCertificateInput struct {
	ServerCertificateName string
	TagKeys               []string
}

func (s *Service) untagServerCertificate(ctx context.Context, p *warden.Principal, in *untagServerCertificateInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		c, err := s.serverCertWith(ctx, tx, p, "UntagServerCertificate", in.ServerCertificateName, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		c.Tags = removeTags(c.Tags, in.TagKeys)
		if err := warden.Save(ctx, tx, c); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UntagServerCertificate", c.ARN())
	})
}

type listServerCertificateTagsInput struct {
	ServerCertificateName string
	Marker                string
	MaxItems              int
}

func (s *Service) listServerCertificateTags(ctx context.Context, p *warden.Principal, in *listServerCertificateTagsInput) (*listTagsOutput, error) {
	var c *warden.ServerCertificate
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		c, err = s.serverCertFor(ctx, tx, p, "ListServerCertificateTags", in.ServerCertificateName)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(c.Tags, in.Marker, in.MaxItems)
}
