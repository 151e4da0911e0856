package iam

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/totp"
)

// Virtual MFA devices: TOTP seeds sealed at rest, enabled for an IAM user or
// the root user with two consecutive codes, and checked through a replay
// guard by STS and the console (CheckMFACode).

const (
	// maxMFADevices is how many MFA devices a user (or the root user) may
	// have enabled at once.
	maxMFADevices = 8
	// maxMFADeviceName is AWS's documented limit of VirtualMFADeviceName,
	// which the service model leaves out.
	maxMFADeviceName = 226
	// mfaIssuer names Warden in authenticator apps.
	mfaIssuer = "Warden"
	// qrSize is the width and height of QR code images, in pixels.
	qrSize = 256
)

type wVirtualMFADevice struct {
	SerialNumber     string     `xml:"SerialNumber"`
	Base32StringSeed string     `xml:"Base32StringSeed,omitempty"` // base64, as every blob
	QRCodePNG        string     `xml:"QRCodePNG,omitempty"`
	User             *wUser     `xml:"User,omitempty"`
	EnableDate       *time.Time `xml:"EnableDate,omitempty"`
	Tags             list[wTag] `xml:"Tags,omitempty"`
}

type wMFADevice struct {
	UserName     string    `xml:"UserName"`
	SerialNumber string    `xml:"SerialNumber"`
	EnableDate   time.Time `xml:"EnableDate"`
}

func invalidCode() error {
	return warden.Errorf(warden.CodeInvalidAuthenticationCode, "Authentication code for device is not valid.")
}

func noSuchDevice(serial string) error {
	return noSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
}

// mfaOwner is whom MFA devices are enabled for: an IAM user, or the account's
// root user when user is nil.
type mfaOwner struct {
	user *warden.User
	acct *warden.Account // the account, when the owner is its root user
	arn  string
}

// mfaOwner resolves and authorizes the owner an operation acts on, as
// keyOwner does: the named user, or the caller when no name is given.
func (s *Service) mfaOwner(ctx context.Context, tx warden.Tx, p *warden.Principal, action, userName string) (*mfaOwner, error) {
	u, target, err := s.keyOwner(ctx, tx, p, action, userName)
	if err != nil {
		return nil, err
	}
	o := &mfaOwner{user: u, arn: target}
	if u == nil {
		if o.acct, err = s.loadAccount(ctx, tx, p.Account); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *mfaOwner) serials() []string {
	if o.user != nil {
		return o.user.MFADevices
	}
	return o.acct.RootMFADevices
}

func (o *mfaOwner) setSerials(serials []string) {
	if o.user != nil {
		o.user.MFADevices = serials
	} else {
		o.acct.RootMFADevices = serials
	}
}

func (o *mfaOwner) has(serial string) bool { return slices.Contains(o.serials(), serial) }

func (o *mfaOwner) save(ctx context.Context, tx warden.Tx) error {
	if o.user != nil {
		return warden.Save(ctx, tx, o.user)
	}
	return warden.Save(ctx, tx, o.acct)
}

// deviceUser is the UserName a device enabled for the owner records.
func (o *mfaOwner) deviceUser() string {
	if o.user != nil {
		return o.user.Name
	}
	return warden.RootMFAUser
}

// wireName is the UserName ListMFADevices answers with. The root user has no
// user name; it is named by its account ID, its UserId in GetUser.
func (o *mfaOwner) wireName() string {
	if o.user != nil {
		return o.user.Name
	}
	return o.acct.ID
}

func (s *Service) loadDevice(ctx context.Context, tx warden.Tx, account, serial string) (*warden.MFADevice, error) {
	key, ok := warden.ParseMFASerialNumber(account, serial)
	if !ok {
		return nil, noSuchDevice(serial)
	}
	d, err := warden.Load[warden.MFADevice](ctx, tx, account, key)
	return d, notFoundAs(err, noSuchDevice(serial))
}

// deviceFor loads the virtual MFA device an operation acts on and authorizes
// action on it. As with userFor, a caller who may not act on a device of that
// serial number learns AccessDenied, not whether it exists.
func (s *Service) deviceFor(ctx context.Context, tx warden.Tx, p *warden.Principal, action, serial string, keys map[string][]string) (*warden.MFADevice, error) {
	d, err := s.loadDevice(ctx, tx, p.Account, serial)
	if err != nil {
		resource := serial
		if !strings.HasPrefix(serial, "arn:") {
			resource = arn(p.Account, "mfa", "/", serial)
		}
		if aerr := s.authorize(ctx, p, action, resource, keys); aerr != nil && warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			return nil, aerr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, action, d.SerialNumber, keys); err != nil {
		return nil, err
	}
	return d, nil
}

// ownedDevice loads the device with serial that is enabled for o.
func (s *Service) ownedDevice(ctx context.Context, tx warden.Tx, account string, o *mfaOwner, serial string) (*warden.MFADevice, error) {
	d, err := s.loadDevice(ctx, tx, account, serial)
	if err != nil {
		return nil, err
	}
	if !o.has(d.SerialNumber) {
		if o.user != nil {
			return nil, noSuchEntity("MFA device with serial number %s is not enabled for user %s.", serial, o.user.Name)
		}
		return nil, noSuchEntity("MFA device with serial number %s is not enabled for the root user.", serial)
	}
	return d, nil
}

// checkPair verifies two consecutive codes of d, both newer than any code d
// accepted before, and returns the step of the second.
func (s *Service) checkPair(d *warden.MFADevice, code1, code2 string) (int64, error) {
	seed, err := s.box.Open(d.Seed, d.SerialNumber)
	if err != nil {
		return 0, fmt.Errorf("open seed of %s: %w", d.SerialNumber, err)
	}
	step, ok := totp.VerifyConsecutive(seed, code1, code2, s.Now())
	if !ok || step-1 <= d.LastStep {
		return 0, invalidCode()
	}
	return step, nil
}

type createVirtualMFADeviceInput struct {
	VirtualMFADeviceName string
	Path                 string
	Tags                 []tagsInput
}

type createVirtualMFADeviceOutput struct {
	VirtualMFADevice wVirtualMFADevice `xml:"VirtualMFADevice"`
}

func (s *Service) createVirtualMFADevice(ctx context.Context, p *warden.Principal, in *createVirtualMFADeviceInput) (*createVirtualMFADeviceOutput, error) {
	path := orDefault(in.Path)
	serial := warden.MFASerialNumber(p.Account, path, in.VirtualMFADeviceName)
	tags := tagsIn(in.Tags)
	if err := s.authorize(ctx, p, "CreateVirtualMFADevice", serial, tagKeys(tags)); err != nil {
		return nil, err
	}
	if n := len([]rune(in.VirtualMFADeviceName)); n > maxMFADeviceName {
		return nil, warden.Errorf(warden.CodeValidationError, "1 validation error detected: Value '%s' at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to %d",
			in.VirtualMFADeviceName, maxMFADeviceName)
	}
	if err := checkNewTags(tags); err != nil {
		return nil, err
	}
	seed := totp.NewSecret()
	png, err := qrcode.Encode(totp.URI(mfaIssuer, in.VirtualMFADeviceName+"@"+p.Account, seed), qrcode.Medium, qrSize)
	if err != nil {
		return nil, fmt.Errorf("QR code of %s: %w", serial, err)
	}
	d := &warden.MFADevice{Account: p.Account, SerialNumber: serial, Path: path, Name: in.VirtualMFADeviceName,
		Seed: s.box.Seal(seed, serial), Tags: tags, CreateDate: s.now()}
	err = s.update(ctx, p, "CreateVirtualMFADevice", serial, func(tx warden.Tx) error {
		err := warden.Insert(ctx, tx, d)
		if errors.Is(err, warden.ErrAlreadyExists) {
			return alreadyExists("MFADevice entity at the same path and name already exists.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &createVirtualMFADeviceOutput{VirtualMFADevice: wVirtualMFADevice{
		SerialNumber:     serial,
		Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(totp.Base32(seed))),
		QRCodePNG:        base64.StdEncoding.EncodeToString(png),
		Tags:             tagsOut(tags),
	}}, nil
}

// mfaCodesInput is the input of EnableMFADevice and ResyncMFADevice.
type mfaCodesInput struct {
	UserName            string
	SerialNumber        string
	AuthenticationCode1 string
	AuthenticationCode2 string
}

func (s *Service) enableMFADevice(ctx context.Context, p *warden.Principal, in *mfaCodesInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		o, err := s.mfaOwner(ctx, tx, p, "EnableMFADevice", in.UserName)
		if err != nil {
			return err
		}
		d, err := s.loadDevice(ctx, tx, p.Account, in.SerialNumber)
		if err != nil {
			return err
		}
		if d.Assigned() {
			return alreadyExists("MFA Device is already in use.")
		}
		if len(o.serials()) >= maxMFADevices {
			return limitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", maxMFADevices)
		}
		step, err := s.checkPair(d, in.AuthenticationCode1, in.AuthenticationCode2)
		if err != nil {
			return err
		}
		d.UserName, d.EnableDate, d.LastStep = o.deviceUser(), s.now(), step
		if err := warden.Save(ctx, tx, d); err != nil {
			return err
		}
		o.setSerials(append(slices.Clip(o.serials()), d.SerialNumber))
		if err := o.save(ctx, tx); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "EnableMFADevice", o.arn)
	})
}

type deactivateMFADeviceInput struct {
	UserName     string
	SerialNumber string
}

func (s *Service) deactivateMFADevice(ctx context.Context, p *warden.Principal, in *deactivateMFADeviceInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		o, err := s.mfaOwner(ctx, tx, p, "DeactivateMFADevice", in.UserName)
		if err != nil {
			return err
		}
		d, err := s.ownedDevice(ctx, tx, p.Account, o, in.SerialNumber)
		if err != nil {
			return err
		}
		// LastStep stays: a code accepted once is refused for the life of
		// the device, also after it is enabled again.
		d.UserName, d.EnableDate = "", time.Time{}
		if err := warden.Save(ctx, tx, d); err != nil {
			return err
		}
		o.setSerials(slices.DeleteFunc(slices.Clone(o.serials()), func(sn string) bool { return sn == d.SerialNumber }))
		if err := o.save(ctx, tx); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeactivateMFADevice", o.arn)
	})
}

func (s *Service) resyncMFADevice(ctx context.Context, p *warden.Principal, in *mfaCodesInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		o, err := s.mfaOwner(ctx, tx, p, "ResyncMFADevice", in.UserName)
		if err != nil {
			return err
		}
		d, err := s.ownedDevice(ctx, tx, p.Account, o, in.SerialNumber)
		if err != nil {
			return err
		}
		if d.LastStep, err = s.checkPair(d, in.AuthenticationCode1, in.AuthenticationCode2); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, d); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "ResyncMFADevice", o.arn)
	})
}

type deleteVirtualMFADeviceInput struct {
	SerialNumber string
}

func (s *Service) deleteVirtualMFADevice(ctx context.Context, p *warden.Principal, in *deleteVirtualMFADeviceInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		d, err := s.deviceFor(ctx, tx, p, "DeleteVirtualMFADevice", in.SerialNumber, nil)
		if err != nil {
			return err
		}
		if d.Assigned() {
			return deleteConflict("MFA Device is in use.")
		}
		if err := warden.Remove(ctx, tx, d); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteVirtualMFADevice", d.SerialNumber)
	})
}

type listMFADevicesInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type listMFADevicesOutput struct {
	MFADevices list[wMFADevice] `xml:"MFADevices"`
	page
}

func (s *Service) listMFADevices(ctx context.Context, p *warden.Principal, in *listMFADevicesInput) (*listMFADevicesOutput, error) {
	var (
		o       *mfaOwner
		devices []*warden.MFADevice
	)
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		if o, err = s.mfaOwner(ctx, tx, p, "ListMFADevices", in.UserName); err != nil {
			return err
		}
		devices, err = s.devicesOf(ctx, tx, p.Account, o.serials())
		return err
	})
	if err != nil {
		return nil, err
	}
	window, pg, err := paginate(devices, deviceKey, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &listMFADevicesOutput{MFADevices: list[wMFADevice]{}, page: pg}
	for _, d := range window {
		out.MFADevices = append(out.MFADevices, wMFADevice{UserName: o.wireName(), SerialNumber: d.SerialNumber, EnableDate: d.EnableDate})
	}
	return out, nil
}

func deviceKey(d *warden.MFADevice) string { return warden.MFADeviceKey(d.Path, d.Name) }

// devicesOf loads the devices with the given serial numbers, in key order.
func (s *Service) devicesOf(ctx context.Context, tx warden.Tx, account string, serials []string) ([]*warden.MFADevice, error) {
	out := make([]*warden.MFADevice, 0, len(serials))
	for _, sn := range serials {
		d, err := s.loadDevice(ctx, tx, account, sn)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *warden.MFADevice) int { return cmp.Compare(deviceKey(a), deviceKey(b)) })
	return out, nil
}

type listVirtualMFADevicesInput struct {
	AssignmentStatus string
	Marker           string
	MaxItems         int
}

type listVirtualMFADevicesOutput struct {
	VirtualMFADevices list[wVirtualMFADevice] `xml:"VirtualMFADevices"`
	page
}

func (s *Service) listVirtualMFADevices(ctx context.Context, p *warden.Principal, in *listVirtualMFADevicesInput) (*listVirtualMFADevicesOutput, error) {
	if err := s.authorize(ctx, p, "ListVirtualMFADevices", arn(p.Account, "mfa", "/", ""), nil); err != nil {
		return nil, err
	}
	start, err := markerKey(in.Marker, "ListVirtualMFADevices", p.Account, "")
	if err != nil {
		return nil, err
	}
	size := pageSize(in.MaxItems)
	keep := func(d *warden.MFADevice) bool {
		switch in.AssignmentStatus {
		case warden.MFAAssigned:
			return d.Assigned()
		case warden.MFAUnassigned:
			return !d.Assigned()
		}
		return true
	}
	var (
		acct    *warden.Account
		devices []*warden.MFADevice
		owners  map[string]*warden.User // serial number -> user it is enabled for
	)
	// One page of devices in key order from the one the marker names (the
	// first key of the page, sealed), and the users of those assigned:
	// MaxItems+1 devices and one GetMany of users, however many the account
	// holds. An AssignmentStatus of Assigned or
	// Unassigned reads that status's mfaassignment records (MaxItems+2) and
	// one GetMany of the devices instead, in the same order, so a status
	// few devices have reads no device of the other.
	err = s.view(ctx, func(tx warden.Tx) (err error) {
		if acct, err = s.loadAccount(ctx, tx, p.Account); err != nil {
			return err
		}
		devices = devices[:0]
		after := start
		if start != "" {
			if devices, err = markerEntity(ctx, tx, p.Account, start, keep); err != nil {
				return err
			}
		}
		var more []*warden.MFADevice
		switch in.AssignmentStatus {
		case warden.MFAAssigned, warden.MFAUnassigned:
			prefix := warden.IndexKey(in.AssignmentStatus, "")
			if after != "" {
				after = prefix + after
			}
			more, _, _, err = scanIndex[warden.MFADevice](ctx, tx, warden.KindMFAAssignment, p.Account, prefix, after, size+1-len(devices), nil)
		default:
			more, _, _, err = scan[warden.MFADevice](ctx, tx, p.Account, after, size+1-len(devices), keep)
		}
		if err != nil {
			return err
		}
		devices = append(devices, more...)
		owners, err = deviceOwners(ctx, tx, p.Account, devices[:min(len(devices), size)])
		return err
	})
	if err != nil {
		return nil, err
	}
	var pg page
	if len(devices) > size {
		pg = page{IsTruncated: true, Marker: sealMarker(deviceKey(devices[size]), "ListVirtualMFADevices", p.Account, "")}
		devices = devices[:size]
	}
	out := &listVirtualMFADevicesOutput{VirtualMFADevices: list[wVirtualMFADevice]{}, page: pg}
	for _, d := range devices {
		w := wVirtualMFADevice{SerialNumber: d.SerialNumber}
		if d.Assigned() {
			enabled := d.EnableDate
			w.EnableDate = &enabled
			// The root user is shown as GetUser shows it: no path or name.
			if d.UserName == warden.RootMFAUser {
				w.User = &wUser{UserID: acct.ID, Arn: acct.RootARN(), CreateDate: acct.CreateDate}
			} else if u := owners[d.SerialNumber]; u != nil {
				wu := userOut(u, false)
				w.User = &wu
			}
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, w)
	}
	return out, nil
}

// deviceOwners maps the serial numbers of those of devices enabled for an
// IAM user to the user, read with one GetMany by the devices' user names
// (kept through renames); a user no longer holding the device is left out.
func deviceOwners(ctx context.Context, tx warden.Tx, account string, devices []*warden.MFADevice) (map[string]*warden.User, error) {
	owners := map[string]*warden.User{}
	var keys []string
	for _, d := range devices {
		if d.Assigned() && d.UserName != warden.RootMFAUser && !slices.Contains(keys, warden.NameKey(d.UserName)) {
			keys = append(keys, warden.NameKey(d.UserName))
		}
	}
	users, err := warden.LoadPresent[warden.User](ctx, tx, account, keys)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		for _, sn := range u.MFADevices {
			owners[sn] = u
		}
	}
	return owners, nil
}

type getMFADeviceInput struct {
	SerialNumber string
	UserName     string
}

type getMFADeviceOutput struct {
	UserName     string    `xml:"UserName"`
	SerialNumber string    `xml:"SerialNumber"`
	EnableDate   time.Time `xml:"EnableDate"`
}

func (s *Service) getMFADevice(ctx context.Context, p *warden.Principal, in *getMFADeviceInput) (*getMFADeviceOutput, error) {
	var out *getMFADeviceOutput
	err := s.view(ctx, func(tx warden.Tx) error {
		o, err := s.mfaOwner(ctx, tx, p, "GetMFADevice", in.UserName)
		if err != nil {
			return err
		}
		d, err := s.ownedDevice(ctx, tx, p.Account, o, in.SerialNumber)
		if err != nil {
			return err
		}
		out = &getMFADeviceOutput{UserName: o.wireName(), SerialNumber: d.SerialNumber, EnableDate: d.EnableDate}
		return nil
	})
	return out, err
}

type tagMFADeviceInput struct {
	SerialNumber string
	Tags         []tagsInput
}

func (s *Service) tagMFADevice(ctx context.Context, p *warden.Principal, in *tagMFADeviceInput) error {
	tags := tagsIn(in.Tags)
	return s.store.Update(ctx, func(tx warden.Tx) error {
		d, err := s.deviceFor(ctx, tx, p, "TagMFADevice", in.SerialNumber, tagKeys(tags))
		if err != nil {
			return err
		}
		if d.Tags, err = mergeTags(d.Tags, tags, "MFADevice"); err != nil {
			return err
		}
		if err := warden.Save(ctx, tx, d); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "TagMFADevice", d.SerialNumber)
	})
}

type untagMFADeviceInput struct {
	SerialNumber string
	TagKeys      []string
}

func (s *Service) untagMFADevice(ctx context.Context, p *warden.Principal, in *untagMFADeviceInput) error {
	return s.store.Update(ctx, func(tx warden.Tx) error {
		d, err := s.deviceFor(ctx, tx, p, "UntagMFADevice", in.SerialNumber, map[string][]string{"aws:TagKeys": in.TagKeys})
		if err != nil {
			return err
		}
		d.Tags = removeTags(d.Tags, in.TagKeys)
		if err := warden.Save(ctx, tx, d); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "UntagMFADevice", d.SerialNumber)
	})
}

type listMFADeviceTagsInput struct {
	SerialNumber string
	Marker       string
	MaxItems     int
}

func (s *Service) listMFADeviceTags(ctx context.Context, p *warden.Principal, in *listMFADeviceTagsInput) (*listTagsOutput, error) {
	var d *warden.MFADevice
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		d, err = s.deviceFor(ctx, tx, p, "ListMFADeviceTags", in.SerialNumber, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagPage(d.Tags, in.Marker, in.MaxItems)
}

// EnableMFADevice enables a virtual MFA device for userName, or for the
// caller when userName is "". It is the operation EnableMFADevice for Go
// callers, and the way the root user enables its own device from the
// console: the Query API requires UserName, as AWS's does. Errors are those
// of the operation (NoSuchEntity, EntityAlreadyExists, LimitExceeded,
// InvalidAuthenticationCode, AccessDenied).
func (s *Service) EnableMFADevice(ctx context.Context, p *warden.Principal, userName, serialNumber, code1, code2 string) error {
	return s.enableMFADevice(ctx, p, &mfaCodesInput{UserName: userName, SerialNumber: serialNumber,
		AuthenticationCode1: code1, AuthenticationCode2: code2})
}

// DeactivateMFADevice deactivates a device of userName, or of the caller when
// userName is "" (see EnableMFADevice). The device stays, unassigned.
func (s *Service) DeactivateMFADevice(ctx context.Context, p *warden.Principal, userName, serialNumber string) error {
	return s.deactivateMFADevice(ctx, p, &deactivateMFADeviceInput{UserName: userName, SerialNumber: serialNumber})
}

// ResyncMFADevice resynchronizes a device of userName, or of the caller when
// userName is "" (see EnableMFADevice).
func (s *Service) ResyncMFADevice(ctx context.Context, p *warden.Principal, userName, serialNumber, code1, code2 string) error {
	return s.resyncMFADevice(ctx, p, &mfaCodesInput{UserName: userName, SerialNumber: serialNumber,
		AuthenticationCode1: code1, AuthenticationCode2: code2})
}

// CheckMFACode verifies a code of the enabled MFA device serialNumber of
// account, through the device's replay guard: reading the device, verifying
// the code against the last step used and recording the code's step happen in
// one transaction, so a code is accepted at most once even when it is used
// twice at the same moment, on one node or several.
//
// It does not check whom the device is enabled for; a caller acting for a
// principal (STS GetSessionToken, the console sign-in) should use
// CheckMFACodeFor, or else a user allowed to manage another user's MFA could
// sign in with a device enabled for that other user.
//
// Errors are *warden.Error with code AccessDenied and the messages of STS: one
// for a serial number that is not an enabled device of the account, one for
// a wrong, stale or replayed code. Other errors are storage failures.
func (s *Service) CheckMFACode(ctx context.Context, account, serialNumber, code string) error {
	return s.checkMFACode(ctx, account, nil, serialNumber, code)
}

// CheckMFACodeFor is CheckMFACode for a device that must be enabled for
// userName ("" for the account's root user); a device enabled for anyone else
// is refused like an unknown one.
func (s *Service) CheckMFACodeFor(ctx context.Context, account, userName, serialNumber, code string) error {
	return s.checkMFACode(ctx, account, &userName, serialNumber, code)
}

func (s *Service) checkMFACode(ctx context.Context, account string, owner *string, serial, code string) error {
	unknown := warden.Errorf(warden.CodeAccessDenied, "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.")
	return s.store.Update(ctx, func(tx warden.Tx) error {
		d, err := s.loadDevice(ctx, tx, account, serial)
		if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
			return unknown
		}
		if err != nil {
			return err
		}
		if !d.Assigned() {
			return unknown
		}
		if owner != nil {
			serials, err := s.serialsOf(ctx, tx, account, *owner)
			if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
				return unknown
			}
			if err != nil {
				return err
			}
			if !slices.Contains(serials, d.SerialNumber) {
				return unknown
			}
		}
		seed, err := s.box.Open(d.Seed, d.SerialNumber)
		if err != nil {
			return fmt.Errorf("open seed of %s: %w", d.SerialNumber, err)
		}
		step, ok := totp.Verify(seed, code, s.Now(), d.LastStep)
		if !ok {
			return warden.Errorf(warden.CodeAccessDenied, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		}
		d.LastStep = step
		return warden.Save(ctx, tx, d)
	})
}

// serialsOf returns the serial numbers of the devices enabled for userName
// ("" for the root user), or NoSuchEntity.
func (s *Service) serialsOf(ctx context.Context, tx warden.Tx, account, userName string) ([]string, error) {
	if userName == "" {
		acct, err := s.loadAccount(ctx, tx, account)
		if err != nil {
			return nil, err
		}
		return acct.RootMFADevices, nil
	}
	u, err := s.loadUser(ctx, tx, account, userName)
	if err != nil {
		return nil, err
	}
	return u.MFADevices, nil
}

// MFADevicesOf returns the MFA devices enabled for userName in account, or
// for the account's root user when userName is "", in serial number order;
// their seeds stay sealed. It authorizes nothing: it is for the console's
// sign-in and the security status, which act for Warden itself. Errors:
// NoSuchEntity for an unknown user or account, or a storage failure.
func (s *Service) MFADevicesOf(ctx context.Context, account, userName string) ([]*warden.MFADevice, error) {
	var devices []*warden.MFADevice
	err := s.view(ctx, func(tx warden.Tx) error {
		serials, err := s.serialsOf(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		devices, err = s.devicesOf(ctx, tx, account, serials)
		return err
	})
	return devices, err
}
