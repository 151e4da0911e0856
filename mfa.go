package warden

import (
	"strings"
	"time"
)

// RootMFAUser is the UserName of an MFA device enabled for an account's root
// user. It is the spelling IAM credential reports use for the root user, and
// no IAM user can be named so ('<' and '>' are outside IAM's name pattern), so
// a device of the root can never be mistaken for a device of a user.
const RootMFAUser = "<root_account>"

// MFADevice is a virtual MFA device: a TOTP seed that an authenticator app
// holds. It is created unassigned, then enabled for one IAM user (or for the
// account's root user) once two consecutive codes prove the app has the seed.
//
// Who the device is enabled for is decided by the owner's list of devices
// (User.MFADevices or Account.RootMFADevices); UserName is the owner's name
// when it was enabled, kept so that a device alone tells whether it is
// assigned.
type MFADevice struct {
	Account      string `json:"account"`
	SerialNumber string `json:"serial"` // arn:aws:iam::ACCOUNT:mfa/PATH/NAME
	Path         string `json:"path"`
	Name         string `json:"name"`
	// Seed is the TOTP secret sealed under the master key with the serial
	// number as context; it is shown in clear only in the response that
	// creates the device.
	Seed       []byte    `json:"seed"`
	UserName   string    `json:"user,omitempty"` // "" when unassigned, RootMFAUser for the root user
	EnableDate time.Time `json:"enabled,omitzero"`
	// LastStep is the TOTP time step of the last code accepted: codes of this
	// step or an earlier one are never accepted again (the replay guard).
	LastStep   int64     `json:"lastStep,omitempty"`
	Tags       []Tag     `json:"tags,omitempty"`
	CreateDate time.Time `json:"created"`
}

func (d *MFADevice) recordID() (Kind, string, string) {
	return KindMFADevice, d.Account, MFADeviceKey(d.Path, d.Name)
}

// Assigned reports whether the device is enabled for a user or the root user.
func (d *MFADevice) Assigned() bool { return d.UserName != "" }

// MFADeviceKey is the storage key of the virtual MFA device with path and
// name: device names are unique within a path, regardless of case.
func MFADeviceKey(path, name string) string { return NameKey(path + name) }

// MFASerialNumber is the serial number (the ARN) of a virtual MFA device.
func MFASerialNumber(account, path, name string) string {
	return "arn:aws:iam::" + account + ":mfa" + path + name
}

// ParseMFASerialNumber returns the storage key of the virtual MFA device of
// account with the given serial number, and false when the serial number is
// not the ARN of a virtual MFA device of that account (a hardware token's
// serial, another account's device, anything else).
func ParseMFASerialNumber(account, serial string) (key string, ok bool) {
	rest, found := strings.CutPrefix(serial, "arn:"+Partition+":iam::"+account+":mfa/")
	if !found || rest == "" || strings.HasSuffix(rest, "/") {
		return "", false
	}
	return NameKey("/" + rest), true
}
