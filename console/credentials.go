package console

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/warden-iam/warden"
)

// A user's security credentials: the console password (and its sign-in
// lockout), access keys, and virtual MFA devices with QR enrolment. The root
// user's own credentials use the same pieces from account.go.

func (c *Console) credentialRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /console/users/{name}/password", c.authed(c.confirmed(dangerDisableConsole, c.userPassword)))
	m.HandleFunc("POST /console/users/{name}/keys", c.authed(c.createUserKey))
	m.HandleFunc("POST /console/users/{name}/keys/{id}", c.authed(c.confirmed(dangerDeleteKey, c.userKeyAction)))
	m.HandleFunc("POST /console/users/{name}/mfa", c.authed(c.newUserMFA))
	m.HandleFunc("POST /console/users/{name}/mfa/enable", c.authed(c.enableUserMFA))
	m.HandleFunc("POST /console/users/{name}/mfa/remove", c.authed(c.confirmed(dangerRemoveUserMFA, c.removeUserMFA)))
}

// fillCredentials reads the credentials part of a user's page.
func (c *Console) fillCredentials(ctx context.Context, v *visit, d *userData) {
	p, name := &v.p, d.User.UserName
	var lp loginProfileResult
	switch err := c.call(ctx, p, "GetLoginProfile", form("UserName", name), &lp); {
	case err == nil:
		d.LoginProfile = &lp
		d.Locked, d.LockedForGood, _ = c.lockState(ctx, v.p.Account, name)
	case warden.ErrorCode(err) != warden.CodeNoSuchEntity:
		d.Denied["password"] = denialOr(err, "iam:GetLoginProfile")
	}
	var keys keysResult
	if err := c.call(ctx, p, "ListAccessKeys", form("UserName", name), &keys); err != nil {
		d.Denied["keys"] = denialOr(err, "iam:ListAccessKeys")
	}
	for _, k := range keys.AccessKeyMetadata {
		var lu keyLastUsedResult
		if c.call(ctx, p, "GetAccessKeyLastUsed", form("AccessKeyId", k.AccessKeyID), &lu) == nil {
			k.LastUsed = lu.LastUsedDate
		}
		d.Keys = append(d.Keys, k)
	}
	var mfa mfaResult
	if err := c.call(ctx, p, "ListMFADevices", form("UserName", name), &mfa); err != nil {
		d.Denied["mfa"] = denialOr(err, "iam:ListMFADevices")
	}
	d.MFA = mfa.MFADevices
	c.fillOtherCredentials(ctx, v, d)
}

// userPassword sets, resets or removes a user's console password. Setting a
// new password also lifts a lockout of the user's sign-in, the way out of a
// permanent one.
func (c *Console) userPassword(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx, name := r.Context(), r.PathValue("name")
	var err error
	done := "password"
	switch r.PostFormValue("op") {
	case "remove":
		err = c.call(ctx, &v.p, "DeleteLoginProfile", form("UserName", name), nil)
		done = "saved"
	case "unlock":
		// Unlocking is allowed to whoever may set the user's password: it
		// asks UpdateLoginProfile with nothing to change.
		err = c.call(ctx, &v.p, "UpdateLoginProfile", form("UserName", name), nil)
		done = "unlocked"
	default:
		password := r.PostFormValue("password")
		reset := boolString(r.PostFormValue("reset") == "on")
		err = c.call(ctx, &v.p, "UpdateLoginProfile", form("UserName", name, "Password", password, "PasswordResetRequired", reset), nil)
		if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			err = c.call(ctx, &v.p, "CreateLoginProfile", form("UserName", name, "Password", password, "PasswordResetRequired", reset), nil)
		}
		if warden.ErrorCode(err) == warden.CodePasswordPolicyViolation {
			msg, _ := errMessage(err)
			err = warden.Errorf(warden.CodePasswordPolicyViolation, "%s %s", msg, c.policyHint(ctx, &v.p))
		}
	}
	if err == nil && done != "saved" {
		if uerr := c.unlock(ctx, v.p.Account, name); uerr != nil {
			c.log.WarnContext(ctx, "console: clearing sign-in lockout", "err", uerr)
		}
	}
	c.userAction(w, r, v, err, done)
}

type keyCreatedData struct {
	Owner string // user name, or "" for the root user
	Key   keyView
	CSV   template.URL
	Back  string
}

func (c *Console) createUserKey(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	var key keyResult
	if err := c.call(r.Context(), &v.p, "CreateAccessKey", form("UserName", name), &key); err != nil {
		c.userAction(w, r, v, err, "")
		return
	}
	c.showNewKey(w, r, v, name, key.AccessKey, userURL(name))
}

// showNewKey renders the one page that ever shows a secret access key.
func (c *Console) showNewKey(w http.ResponseWriter, r *http.Request, v *visit, owner string, k keyView, back string) {
	csvName := owner
	if csvName == "" {
		csvName = "root"
	}
	d := keyCreatedData{Owner: owner, Key: k, Back: back, CSV: credentialsCSV(createdData{UserName: csvName, Key: &k})}
	nav := "users"
	if owner == "" {
		nav = "root"
	}
	c.showOnce(w, r, v, "keycreated.html", "Access key created", nav, d)
}

func (c *Console) userKeyAction(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	err, done := c.keyAction(r, v, name)
	c.userAction(w, r, v, err, done)
}

// keyAction activates, deactivates or deletes the access key {id} of
// userName ("" for the caller).
func (c *Console) keyAction(r *http.Request, v *visit, userName string) (error, string) {
	id := r.PathValue("id")
	switch op := r.PostFormValue("op"); op {
	case "Active", "Inactive":
		return c.call(r.Context(), &v.p, "UpdateAccessKey", form("UserName", userName, "AccessKeyId", id, "Status", op), nil), "key-updated"
	case "delete":
		return c.call(r.Context(), &v.p, "DeleteAccessKey", form("UserName", userName, "AccessKeyId", id), nil), "key-deleted"
	}
	return warden.Errorf(warden.CodeValidationError, "Unknown action."), ""
}

// enrolData is the MFA enrolment page: the QR code and seed (only right
// after the device is made) and the form for two consecutive codes.
type enrolData struct {
	Owner  string // user name, or "" for the root user
	Serial string
	QR     template.URL // data: URL of the PNG
	Seed   string
	Action string // where the codes go
	Again  string // where to start over
	Back   string
	CSRF   string
}

// newVirtualMFA creates a virtual MFA device named after its owner. A device
// left unassigned by an enrolment that was never finished is replaced.
func (c *Console) newVirtualMFA(ctx context.Context, p *warden.Principal, deviceName string) (*virtualMFAResult, error) {
	var res virtualMFAResult
	err := c.call(ctx, p, "CreateVirtualMFADevice", form("VirtualMFADeviceName", deviceName), &res)
	if warden.ErrorCode(err) == warden.CodeEntityAlreadyExists {
		serial := "arn:aws:iam::" + p.Account + ":mfa/" + deviceName
		if c.call(ctx, p, "DeleteVirtualMFADevice", form("SerialNumber", serial), nil) == nil {
			err = c.call(ctx, p, "CreateVirtualMFADevice", form("VirtualMFADeviceName", deviceName), &res)
		} else {
			err = c.call(ctx, p, "CreateVirtualMFADevice", form("VirtualMFADeviceName", deviceName+"-"+newToken()[:6]), &res)
		}
	}
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// enrolPage turns a new device into the enrolment page's data.
func enrolPage(res *virtualMFAResult, owner, action, again, back, csrf string) enrolData {
	seed, _ := base64.StdEncoding.DecodeString(res.Device.Base32StringSeed)
	return enrolData{Owner: owner, Serial: res.Device.SerialNumber, QR: pngURL(res.Device.QRCodePNG),
		Seed: string(seed), Action: action, Again: again, Back: back, CSRF: csrf}
}

// pngURL is the data: URL of a PNG given in base64; anything but base64
// text gives none.
func pngURL(b64 string) template.URL {
	if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + b64)
}

func (c *Console) newUserMFA(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	res, err := c.newVirtualMFA(r.Context(), &v.p, name)
	if err != nil {
		c.userAction(w, r, v, err, "")
		return
	}
	base := userURL(name)
	d := enrolPage(res, name, base+"/mfa/enable", base+"/mfa", base, v.sess.CSRF)
	d.CSRF = ""
	c.showOnce(w, r, v, "mfaenrol.html", "Assign MFA device", "users", d)
}

func (c *Console) enableUserMFA(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	serial := r.PostFormValue("serial")
	code1, code2 := strings.TrimSpace(r.PostFormValue("code1")), strings.TrimSpace(r.PostFormValue("code2"))
	err := c.call(r.Context(), &v.p, "EnableMFADevice", form("UserName", name, "SerialNumber", serial,
		"AuthenticationCode1", code1, "AuthenticationCode2", code2), nil)
	if err != nil {
		base := userURL(name)
		c.enrolFailed(w, r, v, err, enrolData{Owner: name, Serial: serial, Action: base + "/mfa/enable", Again: base + "/mfa",
			Back: base, CSRF: v.sess.CSRF})
		return
	}
	redirect(w, r, userURL(name), "mfa")
}

// enrolFailed shows the enrolment form again, without the QR code (the seed
// is shown once), after codes were refused.
func (c *Console) enrolFailed(w http.ResponseWriter, r *http.Request, v *visit, err error, d enrolData) {
	msg, ok := errMessage(err)
	if !ok || warden.ErrorCode(err) == warden.CodeAccessDenied {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusBadRequest, "mfaenrol.html", &view{Title: "Assign MFA device", Nav: "users", Who: whoOf(v),
		Error: msg + " Type two consecutive codes from the app, or start over with a new QR code.", Data: d})
}

func (c *Console) removeUserMFA(w http.ResponseWriter, r *http.Request, v *visit) {
	name := r.PathValue("name")
	err := c.removeMFADevice(r.Context(), &v.p, name, r.PostFormValue("serial"))
	c.userAction(w, r, v, err, "mfa-removed")
}

// removeMFADevice deactivates a device of userName ("" for the caller) and
// deletes it, as the AWS console's Remove does.
func (c *Console) removeMFADevice(ctx context.Context, p *warden.Principal, userName, serial string) error {
	var err error
	if userName == "" {
		err = c.iam.DeactivateMFADevice(ctx, p, "", serial)
	} else {
		err = c.call(ctx, p, "DeactivateMFADevice", form("UserName", userName, "SerialNumber", serial), nil)
	}
	if err != nil {
		return err
	}
	return c.call(ctx, p, "DeleteVirtualMFADevice", form("SerialNumber", serial), nil)
}
