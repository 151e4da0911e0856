package console

import (
	"context"
	"net/http"
	"time"

	"github.com/warden-iam/warden"
)

// The credentials of a user beyond passwords, access keys and MFA: SSH
// public keys, signing certificates and service-specific credentials; and
// the account's server certificates. Every action is the IAM operation.

func (c *Console) otherCredentialRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /console/users/{name}/ssh-keys", c.authed(c.userSSHKeyAction))
	m.HandleFunc("POST /console/users/{name}/signing-certificates", c.authed(c.userSigningCertAction))
	m.HandleFunc("POST /console/users/{name}/service-credentials", c.authed(c.userServiceCredAction))
	m.HandleFunc("GET /console/server-certificates", c.authed(c.serverCertificates))
	m.HandleFunc("POST /console/server-certificates", c.authed(c.serverCertificateAction))
}

type sshKeyView struct {
	SSHPublicKeyID string    `xml:"SSHPublicKeyId"`
	Status         string    `xml:"Status"`
	UploadDate     time.Time `xml:"UploadDate"`
}

type signingCertView struct {
	CertificateID string    `xml:"CertificateId"`
	Status        string    `xml:"Status"`
	UploadDate    time.Time `xml:"UploadDate"`
}

type serviceCredView struct {
	ServiceSpecificCredentialID string     `xml:"ServiceSpecificCredentialId"`
	ServiceName                 string     `xml:"ServiceName"`
	ServiceUserName             string     `xml:"ServiceUserName"`
	ServiceCredentialAlias      string     `xml:"ServiceCredentialAlias"`
	ServicePassword             string     `xml:"ServicePassword"`
	ServiceCredentialSecret     string     `xml:"ServiceCredentialSecret"`
	Status                      string     `xml:"Status"`
	CreateDate                  time.Time  `xml:"CreateDate"`
	ExpirationDate              *time.Time `xml:"ExpirationDate"`
}

// otherCredentials are the parts of a user's page this file fills.
type otherCredentials struct {
	SSHKeys      []sshKeyView
	SigningCerts []signingCertView
	ServiceCreds []serviceCredView
}

func (c *Console) fillOtherCredentials(ctx context.Context, v *visit, d *userData) {
	p, name := &v.p, d.User.UserName
	var ssh struct {
		Keys []sshKeyView `xml:"SSHPublicKeys>member"`
	}
	if err := c.call(ctx, p, "ListSSHPublicKeys", form("UserName", name), &ssh); err != nil {
		d.Denied["ssh"] = denialOr(err, "iam:ListSSHPublicKeys")
	}
	var certs struct {
		Certs []signingCertView `xml:"Certificates>member"`
	}
	if err := c.call(ctx, p, "ListSigningCertificates", form("UserName", name), &certs); err != nil {
		d.Denied["certs"] = denialOr(err, "iam:ListSigningCertificates")
	}
	var creds struct {
		Creds []serviceCredView `xml:"ServiceSpecificCredentials>member"`
	}
	if err := c.call(ctx, p, "ListServiceSpecificCredentials", form("UserName", name), &creds); err != nil {
		d.Denied["servicecreds"] = denialOr(err, "iam:ListServiceSpecificCredentials")
	}
	d.Other = otherCredentials{SSHKeys: ssh.Keys, SigningCerts: certs.Certs, ServiceCreds: creds.Creds}
}

func (c *Console) userSSHKeyAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ctx := r.PathValue("name"), r.Context()
	var err error
	switch r.PostFormValue("op") {
	case "delete":
		err = c.call(ctx, &v.p, "DeleteSSHPublicKey", form("UserName", name, "SSHPublicKeyId", r.PostFormValue("id")), nil)
	case "Active", "Inactive":
		err = c.call(ctx, &v.p, "UpdateSSHPublicKey", form("UserName", name, "SSHPublicKeyId", r.PostFormValue("id"), "Status", r.PostFormValue("op")), nil)
	default:
		err = c.call(ctx, &v.p, "UploadSSHPublicKey", form("UserName", name, "SSHPublicKeyBody", r.PostFormValue("body")), nil)
	}
	c.userAction(w, r, v, err, "saved")
}

func (c *Console) userSigningCertAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ctx := r.PathValue("name"), r.Context()
	var err error
	switch r.PostFormValue("op") {
	case "delete":
		err = c.call(ctx, &v.p, "DeleteSigningCertificate", form("UserName", name, "CertificateId", r.PostFormValue("id")), nil)
	case "Active", "Inactive":
		err = c.call(ctx, &v.p, "UpdateSigningCertificate", form("UserName", name, "CertificateId", r.PostFormValue("id"), "Status", r.PostFormValue("op")), nil)
	default:
		err = c.call(ctx, &v.p, "UploadSigningCertificate", form("UserName", name, "CertificateBody", r.PostFormValue("body")), nil)
	}
	c.userAction(w, r, v, err, "saved")
}

type serviceCredCreatedData struct {
	User string
	Cred serviceCredView
	Back string
}

func (c *Console) userServiceCredAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name, ctx := r.PathValue("name"), r.Context()
	var out struct {
		Cred serviceCredView `xml:"ServiceSpecificCredential"`
	}
	var err error
	switch r.PostFormValue("op") {
	case "delete":
		err = c.call(ctx, &v.p, "DeleteServiceSpecificCredential", form("UserName", name, "ServiceSpecificCredentialId", r.PostFormValue("id")), nil)
		c.userAction(w, r, v, err, "saved")
		return
	case "Active", "Inactive":
		err = c.call(ctx, &v.p, "UpdateServiceSpecificCredential", form("UserName", name, "ServiceSpecificCredentialId", r.PostFormValue("id"), "Status", r.PostFormValue("op")), nil)
		c.userAction(w, r, v, err, "saved")
		return
	case "reset":
		err = c.call(ctx, &v.p, "ResetServiceSpecificCredential", form("UserName", name, "ServiceSpecificCredentialId", r.PostFormValue("id")), &out)
	default:
		err = c.call(ctx, &v.p, "CreateServiceSpecificCredential", form("UserName", name, "ServiceName", r.PostFormValue("service")), &out)
	}
	if err != nil {
		c.userAction(w, r, v, err, "")
		return
	}
	// The one page that ever shows the password or API key.
	c.showOnce(w, r, v, "servicecred.html", "Service-specific credential", "users",
		serviceCredCreatedData{User: name, Cred: out.Cred, Back: userURL(name)})
}

type serverCertView struct {
	ServerCertificateName string    `xml:"ServerCertificateName"`
	Path                  string    `xml:"Path"`
	ServerCertificateID   string    `xml:"ServerCertificateId"`
	Arn                   string    `xml:"Arn"`
	UploadDate            time.Time `xml:"UploadDate"`
	Expiration            time.Time `xml:"Expiration"`
}

type serverCertsData struct {
	Certs  []serverCertView
	Denied string
	Error  string
	CSRF   string
}

func (c *Console) serverCertificates(w http.ResponseWriter, r *http.Request, v *visit) {
	c.renderServerCerts(w, r, v, http.StatusOK, "")
}

func (c *Console) renderServerCerts(w http.ResponseWriter, r *http.Request, v *visit, status int, msg string) {
	var out struct {
		Certs []serverCertView `xml:"ServerCertificateMetadataList>member"`
	}
	d := serverCertsData{Error: msg, CSRF: v.sess.CSRF}
	if err := c.call(r.Context(), &v.p, "ListServerCertificates", nil, &out); err != nil {
		d.Denied = denialOr(err, "iam:ListServerCertificates")
	}
	d.Certs = out.Certs
	c.render(w, r, status, "servercerts.html", &view{Title: "Server certificates", Nav: "settings", Who: whoOf(v), Data: d})
}

func (c *Console) serverCertificateAction(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	var err error
	if r.PostFormValue("op") == "delete" {
		err = c.call(ctx, &v.p, "DeleteServerCertificate", form("ServerCertificateName", r.PostFormValue("name")), nil)
	} else {
		f := form("ServerCertificateName", r.PostFormValue("name"), "CertificateBody", r.PostFormValue("body"), "PrivateKey", r.PostFormValue("key"))
		if chain := r.PostFormValue("chain"); chain != "" {
			f.Set("CertificateChain", chain)
		}
		if path := r.PostFormValue("path"); path != "" {
			f.Set("Path", path)
		}
		err = c.call(ctx, &v.p, "UploadServerCertificate", f, nil)
	}
	if err != nil {
		c.failOn(w, r, v, err, func(msg string) { c.renderServerCerts(w, r, v, http.StatusBadRequest, msg) })
		return
	}
	redirect(w, r, "/console/server-certificates", "saved")
}

// deleteOtherCredentials deletes a user's SSH keys, signing certificates
// and service-specific credentials, as deleting the user requires.
func (c *Console) deleteOtherCredentials(ctx context.Context, p *warden.Principal, name string) error {
	v := &visit{p: *p}
	d := &userData{User: userView{UserName: name}, Denied: map[string]string{}}
	c.fillOtherCredentials(ctx, v, d)
	for _, k := range d.Other.SSHKeys {
		if err := c.call(ctx, p, "DeleteSSHPublicKey", form("UserName", name, "SSHPublicKeyId", k.SSHPublicKeyID), nil); err != nil {
			return err
		}
	}
	for _, k := range d.Other.SigningCerts {
		if err := c.call(ctx, p, "DeleteSigningCertificate", form("UserName", name, "CertificateId", k.CertificateID), nil); err != nil {
			return err
		}
	}
	for _, k := range d.Other.ServiceCreds {
		if err := c.call(ctx, p, "DeleteServiceSpecificCredential", form("UserName", name, "ServiceSpecificCredentialId", k.ServiceSpecificCredentialID), nil); err != nil {
			return err
		}
	}
	return nil
}
