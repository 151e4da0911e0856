package iam

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/warden-iam/warden"
)

// TestPolicySubjects: the subjects of a managed policy's access report are
// the users, groups and roles it is attached to, each kind in name order,
// a group with its members' IDs, and none of the entities it is only a
// permissions boundary of or not attached to at all.
func TestPolicySubjects(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
	invoke(t, s, root, "CreatePolicy", "PolicyName", "p", "PolicyDocument", doc)
	pARN := "arn:aws:iam::" + testAccount + ":policy/p"
	ids := map[string]string{}
	for _, u := range []string{"Zed", "amy", "bo", "fenced", "idle"} {
		ids[u] = invoke(t, s, root, "CreateUser", "UserName", u).(*createUserOutput).User.UserID
	}
	for _, g := range []string{"team", "Other"} {
		invoke(t, s, root, "CreateGroup", "GroupName", g)
	}
	for _, r := range []string{"deploy", "bystander"} {
		invoke(t, s, root, "CreateRole", "RoleName", r, "AssumeRolePolicyDocument", trust)
	}
	invoke(t, s, root, "AttachUserPolicy", "UserName", "Zed", "PolicyArn", pARN)
	invoke(t, s, root, "AttachUserPolicy", "UserName", "amy", "PolicyArn", pARN)
	invoke(t, s, root, "PutUserPermissionsBoundary", "UserName", "fenced", "PermissionsBoundary", pARN)
	invoke(t, s, root, "AttachGroupPolicy", "GroupName", "team", "PolicyArn", pARN)
	invoke(t, s, root, "AddUserToGroup", "GroupName", "team", "UserName", "bo")
	invoke(t, s, root, "AddUserToGroup", "GroupName", "team", "UserName", "amy")
	invoke(t, s, root, "AddUserToGroup", "GroupName", "Other", "UserName", "idle")
	invoke(t, s, root, "AttachRolePolicy", "RoleName", "deploy", "PolicyArn", pARN)

	var subjects []advisorSubject
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		subjects, _, err = s.policySubjects(ctx, tx, root, "GenerateServiceLastAccessedDetails", pARN)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sub := range subjects {
		got = append(got, sub.info.Type+" "+sub.info.Name)
		if sub.counts == nil || !sub.counts(pARN) || sub.counts("arn:aws:iam::"+testAccount+":policy/q") {
			t.Errorf("%s %s counts use through other policies", sub.info.Type, sub.info.Name)
		}
	}
	if want := []string{"USER amy", "USER Zed", "GROUP team", "ROLE deploy"}; !slices.Equal(got, want) {
		t.Fatalf("subjects %q, want %q", got, want)
	}
	if want := []string{ids["amy"]}; !slices.Equal(subjects[0].usageOf, want) {
		t.Errorf("amy's usage of %q, want %q", subjects[0].usageOf, want)
	}
	if want := []string{ids["amy"], ids["bo"]}; !slices.Equal(subjects[2].usageOf, want) {
		t.Errorf("the group's usage of %q, want its members %q", subjects[2].usageOf, want)
	}
}

// TestNoticesByTopic: ReceiveDelegationNotices hands out a topic's notices
// oldest first, at most maxNotices at a time and each once, and none of
// another topic of the account, however the topic ARNs are spelled.
func TestNoticesByTopic(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	topic := "arn:aws:sns:us-east-1:" + testAccount + ":partner"
	other := topic + " b" // Warden checks a topic's account only
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		for i := range 200 {
			d := &warden.DelegationRequest{RequestorAccount: testAccount, NotificationChannel: topic}
			if i%3 == 0 {
				d.NotificationChannel = other
			}
			if err := s.notify(ctx, tx, d, fmt.Sprint(i), "message"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	subjects := func(topic string) []string {
		t.Helper()
		ns, err := s.ReceiveDelegationNotices(ctx, root, topic)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			if n.TopicARN != topic || n.Message != "message" {
				t.Errorf("notice %+v from %s", n, topic)
			}
			out = append(out, n.Subject)
		}
		return out
	}
	var want, wantOther []string
	for i := range 200 {
		if i%3 == 0 {
			wantOther = append(wantOther, fmt.Sprint(i))
		} else {
			want = append(want, fmt.Sprint(i))
		}
	}
	if got := subjects(other); !slices.Equal(got, wantOther) {
		t.Errorf("notices of %q = %q, want %q", other, got, wantOther)
	}
	got := append(subjects(topic), subjects(topic)...)
	if !slices.Equal(got, want) || len(want) <= maxNotices {
		t.Errorf("notices of %q in two collections = %q, want %q", topic, got, want)
	}
	if again := subjects(topic); len(again) != 0 {
		t.Errorf("a third collection: %q", again)
	}
}
