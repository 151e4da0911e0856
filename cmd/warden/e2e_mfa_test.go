package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/warden-iam/warden"
	wiam "github.com/warden-iam/warden/iam"
	"github.com/warden-iam/warden/totp"
)

// mfaDevice is a virtual MFA device created through the API, with the seed
// an authenticator app would have scanned.
type mfaDevice struct {
	serial string
	seed   []byte
}

// mfaCreate creates a virtual MFA device and checks what comes back: the
// seed in base32 and a PNG QR code, both shown only here.
func mfaCreate(t *testing.T, c *iam.Client, path, name string) mfaDevice {
	t.Helper()
	in := &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := c.CreateVirtualMFADevice(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateVirtualMFADevice %s: %v", name, err)
	}
	v := out.VirtualMFADevice
	if !bytes.HasPrefix(v.QRCodePNG, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("QRCodePNG is not a PNG: % x", v.QRCodePNG[:min(8, len(v.QRCodePNG))])
	}
	img, err := png.Decode(bytes.NewReader(v.QRCodePNG))
	if err != nil {
		t.Fatalf("QRCodePNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
		t.Errorf("QR code is %v", b)
	}
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(v.Base32StringSeed))
	if err != nil || len(seed) != totp.SecretSize {
		t.Fatalf("Base32StringSeed %q: %d bytes, %v", v.Base32StringSeed, len(seed), err)
	}
	return mfaDevice{serial: aws.ToString(v.SerialNumber), seed: seed}
}

// codes returns the codes of two consecutive steps, the second the current
// one: whichever step the server is in when the request arrives (this one or
// the next), the pair is within its window.
func (d mfaDevice) codes() (string, string) {
	n := totp.Step(time.Now())
	return totp.CodeAt(d.seed, n-1), totp.CodeAt(d.seed, n)
}

// mfaEarlyStep returns the current time step once at least ten seconds of it
// are left, waiting for the next step if need be, so that codes of the steps
// just before it are still accepted when the request arrives.
func mfaEarlyStep(t *testing.T) int64 {
	t.Helper()
	now := time.Now()
	n := totp.Step(now)
	if end := time.Unix((n+1)*int64(totp.Period/time.Second), 0); end.Sub(now) < 10*time.Second {
		time.Sleep(end.Sub(now))
		n++
	}
	return n
}

func mfaEnable(t *testing.T, c *iam.Client, user string, d mfaDevice) error {
	t.Helper()
	c1, c2 := d.codes()
	_, err := c.EnableMFADevice(context.Background(), &iam.EnableMFADeviceInput{UserName: aws.String(user),
		SerialNumber: aws.String(d.serial), AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
	return err
}

func mfaWant(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	if got := apiCode(t, err); got != code {
		t.Fatalf("error code = %s, want %s (%v)", got, code, err)
	}
}

func mfaCreateUser(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func virtualSerials(t *testing.T, c *iam.Client, status types.AssignmentStatusType) []string {
	t.Helper()
	var out []string
	pg := iam.NewListVirtualMFADevicesPaginator(c, &iam.ListVirtualMFADevicesInput{AssignmentStatus: status, MaxItems: aws.Int32(2)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.VirtualMFADevices {
			out = append(out, aws.ToString(v.SerialNumber))
		}
	}
	return out
}

func TestE2EVirtualMFADevice(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	mfaCreateUser(t, root, "alice")

	dev := mfaCreate(t, root, "/team/", "alice-phone")
	if want := "arn:aws:iam::" + testAccount + ":mfa/team/alice-phone"; dev.serial != want {
		t.Fatalf("serial = %s, want %s", dev.serial, want)
	}
	_, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{Path: aws.String("/team/"), VirtualMFADeviceName: aws.String("ALICE-PHONE")})
	mfaWant(t, err, "EntityAlreadyExists")
	other := mfaCreate(t, root, "", "alice-phone") // same name, another path
	if got := virtualSerials(t, root, types.AssignmentStatusTypeUnassigned); !slices.Equal(got, []string{other.serial, dev.serial}) {
		t.Errorf("unassigned = %v", got)
	}

	t.Run("wrong codes", func(t *testing.T) {
		c1, c2 := dev.codes()
		for _, codes := range [][2]string{{c2, c1}, {c2, c2}, {c1, c1}} {
			_, err := root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(dev.serial),
				AuthenticationCode1: aws.String(codes[0]), AuthenticationCode2: aws.String(codes[1])})
			mfaWant(t, err, "InvalidAuthenticationCode")
		}
		// Codes of another device's seed.
		c1, c2 = other.codes()
		_, err := root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(dev.serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		mfaWant(t, err, "InvalidAuthenticationCode")
		_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(dev.serial),
			AuthenticationCode1: aws.String("12345"), AuthenticationCode2: aws.String("123456")})
		mfaWant(t, err, "ValidationError")
	})

	if err := mfaEnable(t, root, "alice", dev); err != nil {
		t.Fatal(err)
	}
	mfaWant(t, mfaEnable(t, root, "alice", dev), "EntityAlreadyExists")
	mfaCreateUser(t, root, "bob")
	mfaWant(t, mfaEnable(t, root, "bob", dev), "EntityAlreadyExists")
	mfaWant(t, mfaEnable(t, root, "nobody", other), "NoSuchEntity")
	mfaWant(t, mfaEnable(t, root, "bob", mfaDevice{serial: "arn:aws:iam::" + testAccount + ":mfa/none", seed: dev.seed}), "NoSuchEntity")

	list, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.MFADevices) != 1 || aws.ToString(list.MFADevices[0].UserName) != "alice" ||
		aws.ToString(list.MFADevices[0].SerialNumber) != dev.serial || time.Since(aws.ToTime(list.MFADevices[0].EnableDate)) > time.Minute {
		t.Errorf("ListMFADevices = %+v", list.MFADevices)
	}
	assigned, err := root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	if err != nil {
		t.Fatal(err)
	}
	if len(assigned.VirtualMFADevices) != 1 {
		t.Fatalf("assigned = %+v", assigned.VirtualMFADevices)
	}
	a := assigned.VirtualMFADevices[0]
	if aws.ToString(a.SerialNumber) != dev.serial || a.User == nil || aws.ToString(a.User.UserName) != "alice" ||
		aws.ToString(a.User.Arn) != "arn:aws:iam::"+testAccount+":user/alice" || a.EnableDate == nil ||
		a.Base32StringSeed != nil || a.QRCodePNG != nil {
		t.Errorf("assigned device = %+v, user %+v", a, a.User)
	}
	if got := virtualSerials(t, root, types.AssignmentStatusTypeUnassigned); !slices.Equal(got, []string{other.serial}) {
		t.Errorf("unassigned = %v", got)
	}
	if got := virtualSerials(t, root, ""); len(got) != 2 {
		t.Errorf("any = %v", got)
	}

	t.Run("the user lists their own", func(t *testing.T) {
		_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own-mfa"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListMFADevices","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)})
		if err != nil {
			t.Fatal(err)
		}
		key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		alice := s.iamClient(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
		var own *iam.ListMFADevicesOutput
		for range 50 { // the authorization snapshot catches up with the new policy
			if own, err = alice.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(own.MFADevices) != 1 || aws.ToString(own.MFADevices[0].SerialNumber) != dev.serial {
			t.Errorf("own devices = %+v", own.MFADevices)
		}
		_, err = alice.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob")})
		mfaWant(t, err, "AccessDenied")
		_, err = alice.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{})
		mfaWant(t, err, "AccessDenied")
	})

	t.Run("resync", func(t *testing.T) {
		// The codes that enabled the device were used: they never pass again.
		c1, c2 := dev.codes()
		_, err := root.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(dev.serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		mfaWant(t, err, "InvalidAuthenticationCode")
		_, err = root.ResyncMFADevice(ctx, &iam.ResyncMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(dev.serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		mfaWant(t, err, "NoSuchEntity")

		// A device enabled with the codes of the two previous steps can be
		// resynchronized with those of this step and the next.
		d := mfaCreate(t, root, "", "alice-resync")
		n := mfaEarlyStep(t)
		_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.serial),
			AuthenticationCode1: aws.String(totp.CodeAt(d.seed, n-2)), AuthenticationCode2: aws.String(totp.CodeAt(d.seed, n-1))})
		if err != nil {
			t.Fatal(err)
		}
		resync := &iam.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.serial),
			AuthenticationCode1: aws.String(totp.CodeAt(d.seed, n)), AuthenticationCode2: aws.String(totp.CodeAt(d.seed, n+1))}
		if _, err := root.ResyncMFADevice(ctx, resync); err != nil {
			t.Fatal(err)
		}
		_, err = root.ResyncMFADevice(ctx, resync)
		mfaWant(t, err, "InvalidAuthenticationCode")
		if _, err := root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(d.serial)}); err != nil {
			t.Fatal(err)
		}
		if _, err := root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(d.serial)}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("tags", func(t *testing.T) {
		_, err := root.TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(dev.serial),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("kind"), Value: aws.String("phone")}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := root.UntagMFADevice(ctx, &iam.UntagMFADeviceInput{SerialNumber: aws.String(dev.serial), TagKeys: []string{"KIND"}}); err != nil {
			t.Fatal(err)
		}
		tags, err := root.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(dev.serial)})
		if err != nil {
			t.Fatal(err)
		}
		if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "a" {
			t.Errorf("tags = %+v", tags.Tags)
		}
		_, err = root.ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String("arn:aws:iam::" + testAccount + ":mfa/none")})
		mfaWant(t, err, "NoSuchEntity")
	})

	t.Run("delete conflicts", func(t *testing.T) {
		bobs := mfaCreate(t, root, "", "bob-phone")
		if err := mfaEnable(t, root, "bob", bobs); err != nil {
			t.Fatal(err)
		}
		_, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
		mfaWant(t, err, "DeleteConflict")
		_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(bobs.serial)})
		mfaWant(t, err, "DeleteConflict")
		_, err = root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(bobs.serial)})
		mfaWant(t, err, "NoSuchEntity")

		if _, err := root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(bobs.serial)}); err != nil {
			t.Fatal(err)
		}
		l, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob")})
		if err != nil || len(l.MFADevices) != 0 {
			t.Fatalf("after deactivating: %+v, %v", l, err)
		}
		if !slices.Contains(virtualSerials(t, root, types.AssignmentStatusTypeUnassigned), bobs.serial) {
			t.Error("a deactivated device is not listed as unassigned")
		}
		if _, err := root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(bobs.serial)}); err != nil {
			t.Fatal(err)
		}
		_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(bobs.serial)})
		mfaWant(t, err, "NoSuchEntity")
		if _, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("eight per user", func(t *testing.T) {
		mfaCreateUser(t, root, "carol")
		for i := range 8 {
			d := mfaCreate(t, root, "/carol/", "d"+string(rune('0'+i)))
			if err := mfaEnable(t, root, "carol", d); err != nil {
				t.Fatalf("device %d: %v", i, err)
			}
		}
		ninth := mfaCreate(t, root, "/carol/", "d8")
		mfaWant(t, mfaEnable(t, root, "carol", ninth), "LimitExceeded")
		var serials []string
		pg := iam.NewListMFADevicesPaginator(root, &iam.ListMFADevicesInput{UserName: aws.String("carol"), MaxItems: aws.Int32(3)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range page.MFADevices {
				serials = append(serials, aws.ToString(d.SerialNumber))
			}
		}
		if len(serials) != 8 || !slices.IsSorted(serials) {
			t.Errorf("carol's devices = %v", serials)
		}
	})

	t.Run("seeds are sealed at rest", func(t *testing.T) {
		var stored []byte
		entries, err := os.ReadDir(s.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "warden.db") {
				b, err := os.ReadFile(filepath.Join(s.Data, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				stored = append(stored, b...)
			}
		}
		if !bytes.Contains(stored, []byte(dev.serial)) {
			t.Fatal("the database files do not hold the device at all")
		}
		for _, d := range []mfaDevice{dev, other} {
			for form, secret := range map[string][]byte{
				"raw":    d.seed,
				"base32": []byte(totp.Base32(d.seed)),
				"base64": []byte(base64.StdEncoding.EncodeToString(d.seed)),
			} {
				if bytes.Contains(stored, secret) {
					t.Errorf("the %s seed of %s is in the database files", form, d.serial)
				}
			}
		}
	})
}

// TestE2EMFACheck drives CheckMFACode, which STS and the console sign-in call,
// through a second store handle on the server's data directory, as another
// node would.
func TestE2EMFACheck(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	mfaCreateUser(t, root, "dave")
	mfaCreateUser(t, root, "erin")
	dev := mfaCreate(t, root, "", "dave-phone")
	if err := mfaEnable(t, root, "dave", dev); err != nil {
		t.Fatal(err)
	}
	svc, done, err := localService(ctx, storeFlags{data: s.Data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer done()

	// Enabling used the current step's code; the next step's is still within
	// the window, whichever step the clock has reached meanwhile.
	code := totp.CodeAt(dev.seed, totp.Step(time.Now())+1)

	t.Run("one use of a code wins", func(t *testing.T) {
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = svc.CheckMFACode(ctx, testAccount, dev.serial, code)
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case warden.ErrorCode(err) != warden.CodeAccessDenied:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d parallel uses of one code passed, want exactly 1", ok, n)
		}
	})

	for _, tc := range []struct {
		name, serial, code string
	}{
		{"replayed", dev.serial, code},
		{"older than the last used", dev.serial, totp.Code(dev.seed, time.Now().Add(-totp.Period))},
		{"malformed", dev.serial, "12 456"},
		{"unknown device", "arn:aws:iam::" + testAccount + ":mfa/none", code},
		{"another account's serial", "arn:aws:iam::210987654321:mfa/dave-phone", code},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := svc.CheckMFACode(ctx, testAccount, tc.serial, tc.code); warden.ErrorCode(err) != warden.CodeAccessDenied {
				t.Errorf("CheckMFACode = %v, want AccessDenied", err)
			}
		})
	}

	t.Run("for its owner only", func(t *testing.T) {
		// Another device of dave's, since the first's newest code is used.
		dev := mfaCreate(t, root, "", "dave-tablet")
		if err := mfaEnable(t, root, "dave", dev); err != nil {
			t.Fatal(err)
		}
		next := totp.CodeAt(dev.seed, totp.Step(time.Now())+1)
		if err := svc.CheckMFACodeFor(ctx, testAccount, "erin", dev.serial, next); warden.ErrorCode(err) != warden.CodeAccessDenied {
			t.Fatalf("another user's device: %v", err)
		}
		if err := svc.CheckMFACodeFor(ctx, testAccount, "", dev.serial, next); warden.ErrorCode(err) != warden.CodeAccessDenied {
			t.Fatalf("a user's device for root: %v", err)
		}
		// The refusals above consumed nothing: the owner's use still passes.
		if err := svc.CheckMFACodeFor(ctx, testAccount, "DAVE", dev.serial, next); err != nil {
			t.Fatalf("owner: %v", err)
		}
	})

	t.Run("unassigned devices never pass", func(t *testing.T) {
		spare := mfaCreate(t, root, "", "spare")
		if err := svc.CheckMFACode(ctx, testAccount, spare.serial, totp.Code(spare.seed, time.Now())); warden.ErrorCode(err) != warden.CodeAccessDenied {
			t.Fatalf("unassigned: %v", err)
		}
	})

	t.Run("devices of", func(t *testing.T) {
		ds, err := svc.MFADevicesOf(ctx, testAccount, "dave")
		if err != nil || len(ds) != 2 || ds[0].SerialNumber != dev.serial || ds[0].UserName != "dave" {
			t.Fatalf("MFADevicesOf(dave) = %v, %v", ds, err)
		}
		if bytes.Contains(ds[0].Seed, dev.seed) {
			t.Error("MFADevicesOf returned the seed in clear")
		}
		if ds, err := svc.MFADevicesOf(ctx, testAccount, "erin"); err != nil || len(ds) != 0 {
			t.Fatalf("MFADevicesOf(erin) = %v, %v", ds, err)
		}
		if _, err := svc.MFADevicesOf(ctx, testAccount, "nobody"); warden.ErrorCode(err) != warden.CodeNoSuchEntity {
			t.Fatalf("MFADevicesOf(nobody) = %v", err)
		}
	})
}

// TestE2ERootMFA enables a device for the root user the way the console does
// (the Query API requires a user name, as AWS's does), then sees it through
// the API.
func TestE2ERootMFA(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, nil, nil)
	root := s.root()
	dev := mfaCreate(t, root, "", "root-account-mfa-device")
	svc, done, err := localService(ctx, storeFlags{data: s.Data}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	accounts, err := svc.Accounts(ctx)
	if err != nil || len(accounts) != 1 {
		t.Fatalf("accounts: %v, %v", accounts, err)
	}
	rootP := wiam.RootPrincipal(accounts[0])
	c1, c2 := dev.codes()
	if err := svc.EnableMFADevice(ctx, &rootP, "", dev.serial, c1, c2); err != nil {
		t.Fatal(err)
	}

	list, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.MFADevices) != 1 || aws.ToString(list.MFADevices[0].SerialNumber) != dev.serial ||
		aws.ToString(list.MFADevices[0].UserName) != testAccount {
		t.Errorf("root's devices = %+v", list.MFADevices)
	}
	v, err := root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAssigned})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.VirtualMFADevices) != 1 || v.VirtualMFADevices[0].User == nil ||
		aws.ToString(v.VirtualMFADevices[0].User.Arn) != "arn:aws:iam::"+testAccount+":root" ||
		aws.ToString(v.VirtualMFADevices[0].User.UserId) != testAccount || v.VirtualMFADevices[0].User.UserName != nil {
		t.Errorf("assigned = %+v", v.VirtualMFADevices)
	}
	mfaCreateUser(t, root, "frank")
	mfaWant(t, mfaEnable(t, root, "frank", dev), "EntityAlreadyExists")

	next := totp.CodeAt(dev.seed, totp.Step(time.Now())+1)
	if err := svc.CheckMFACodeFor(ctx, testAccount, "frank", dev.serial, next); warden.ErrorCode(err) != warden.CodeAccessDenied {
		t.Fatalf("root's device for a user: %v", err)
	}
	if err := svc.CheckMFACodeFor(ctx, testAccount, "", dev.serial, next); err != nil {
		t.Fatalf("root's device for root: %v", err)
	}
	if ds, err := svc.MFADevicesOf(ctx, testAccount, ""); err != nil || len(ds) != 1 || ds[0].UserName != warden.RootMFAUser {
		t.Fatalf("MFADevicesOf(root) = %v, %v", ds, err)
	}

	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(dev.serial)})
	mfaWant(t, err, "DeleteConflict")
	if err := svc.DeactivateMFADevice(ctx, &rootP, "", dev.serial); err != nil {
		t.Fatal(err)
	}
	if list, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err != nil || len(list.MFADevices) != 0 {
		t.Fatalf("after deactivating: %+v, %v", list, err)
	}
	if _, err := root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(dev.serial)}); err != nil {
		t.Fatal(err)
	}
}
