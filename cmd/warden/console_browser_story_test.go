package main

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"

	"github.com/warden-iam/warden/totp"
)

// shot saves a screenshot of the page at 1366 px and at 390 px wide (the
// page is laid out again, not reloaded), then goes back to 1366 px.
func (p *tab) shot(name string) {
	p.t.Helper()
	p.do(chromedp.EmulateViewport(1366, 900))
	p.screenshot("story-" + name + "-1366")
	p.do(chromedp.EmulateViewport(390, 844))
	p.screenshot("story-" + name + "-390")
	p.do(chromedp.EmulateViewport(1366, 900))
}

// TestConsoleSeedStory walks the story IAM is known for, in the console
// only, in headless Chromium: root signs in and enables virtual MFA (codes
// computed from the seed the page shows); creates a daily admin user with a
// console password; creates the group S3Admins with AmazonS3FullAccess,
// found by searching its name; adds the user; creates an access key for the
// user (the secret is shown once, and reloading creates no second key); sets
// an account alias; activates IAM access to billing; gives the user a
// billing policy with the inline-policy editor; and the user signs in at
// /signin/<alias> and opens the Bills page.
func TestConsoleSeedStory(t *testing.T) {
	s := startServer(t, nil, nil)
	p := newTab(t, s.URL)
	p.do(chromedp.EmulateViewport(1366, 900))
	const alias = "seed-story"
	const adminPass = "Daily-Admin-Passw0rd!"

	// Root signs in and takes the offer to assign an MFA device.
	p.signIn("root@warden.local", rootPass, true, "#offer-assign")
	p.click("#offer-assign", `form[action="/console/root/mfa"] button`)
	p.click(`form[action="/console/root/mfa"] button`, "#mfa-qr")
	p.shot("root-mfa-enrol")
	seed, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(p.text("#mfa-seed"))
	if err != nil {
		t.Fatal(err)
	}
	step := totp.Step(time.Now())
	p.fill("#code1", totp.CodeAt(seed, step-1), "#code2", totp.CodeAt(seed, step))
	p.click("#mfa-enable", "#mfa")
	p.contains("The MFA device was assigned.")
	p.open("/console/", "#security-status")
	p.contains("Root user has MFA")
	p.shot("dashboard")

	// The daily admin user, with a console password of its own.
	p.open("/console/users/new", "#name")
	p.fill("#name", "admin")
	runIn(p, chromedp.Evaluate[bool](`document.querySelector("#console").checked = true;
		document.querySelector("#password-custom").checked = true;
		document.querySelector("#reset").checked = false;
		true`))
	p.fill("#password", adminPass)
	p.click("#create-user-submit", "#new-user")
	p.contains("Console sign-in URL")
	p.shot("user-created")

	// The group S3Admins, with AmazonS3FullAccess found by its name.
	p.open("/console/groups", "#group-name")
	p.fill("#group-name", "S3Admins")
	p.click("#create-group", "#find-policy")
	p.click("#find-policy", "#policy-search")
	p.fill("#policy-search", "AmazonS3FullAccess")
	p.click(`form[role=search] button`, `input[value="arn:aws:iam::aws:policy/AmazonS3FullAccess"] ~ button`)
	p.shot("policy-search")
	p.click(`input[value="arn:aws:iam::aws:policy/AmazonS3FullAccess"] ~ button`, "#members")
	p.contains("AmazonS3FullAccess")
	p.do(chromedp.SetValue(chromedp.CSS("#add-member"), "admin"))
	p.click("#add-member-submit", "#members")
	if members := p.text("#members"); !strings.Contains(members, "admin") {
		t.Fatalf("S3Admins members: %q", members)
	}
	p.shot("group")

	// An access key for the user: shown once; a reload creates no second one.
	p.open("/console/users/admin", "#create-key")
	p.click("#create-key", "#new-secret")
	keyID, secret := p.text("#new-key-id"), p.text("#new-secret")
	p.shot("key-created")
	p.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#already-shown")))
	if strings.Contains(p.html(), secret) {
		t.Fatal("the reloaded page shows the secret")
	}
	p.shot("key-already-shown")
	p.open("/console/users/admin", "#access-keys")
	if ids := distinctKeyIDs(p.html()); len(ids) != 1 || ids[0] != keyID {
		t.Fatalf("the user's keys are %v, want just %s", ids, keyID)
	}
	id, err := sts.NewFromConfig(s.config(keyID, secret, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL) }).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/admin") {
		t.Fatalf("the new key: %v, %v", id, err)
	}
	// The user's key works for S3Admins' policy: the simulator agrees.
	sim, err := iam.NewFromConfig(s.config(rootKeyID, rootSecret, ""), func(o *iam.Options) { o.BaseEndpoint = aws.String(s.URL) }).
		SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: id.Arn, ActionNames: []string{"s3:PutObject"}})
	if err != nil || len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != "allowed" {
		t.Fatalf("s3:PutObject for admin: %+v, %v", sim, err)
	}

	// The account alias.
	p.open("/console/", "#alias")
	p.fill("#alias", alias)
	p.click(`form[action="/console/alias"] button`, "#alias-url")
	p.contains("/signin/" + alias)

	// Root activates IAM access to billing.
	p.open("/console/billing", "#billing-state")
	p.do(chromedp.Click(chromedp.CSS(`input[name=enabled]`)))
	p.click(`form[action="/console/billing"] button`, "#billing-state")
	if st := p.text("#billing-state"); st != "Activated" {
		t.Fatalf("billing access: %q", st)
	}
	p.shot("billing-access")

	// A billing policy for the user, through the inline-policy editor.
	p.open("/console/users/admin", "#inline-editor")
	p.do(chromedp.Click(chromedp.CSS("#inline-editor summary")))
	p.fill("#inline-name", "billing")
	p.do(chromedp.SetValue(chromedp.CSS("#inline-document"),
		`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["aws-portal:ViewBilling", "aws-portal:ViewUsage"], "Resource": "*"}]}`))
	p.click("#inline-check", "#inline-document-check")
	p.contains("aws-portal")
	p.shot("inline-policy-check")
	p.click("#inline-save", "#permissions")
	p.contains("Your changes were saved.")
	p.click(`form[action="/console/signout"] button`, "#username")

	// The user signs in at the alias's address and opens the bills.
	p.open("/signin/"+alias, "#username")
	p.fill("#username", "admin", "#password", adminPass)
	p.click("#signin-submit", "#security-status")
	p.open("/console/bills", "#usage")
	p.contains("What the account holds")
	p.shot("bills-as-user")
}
