package awsquery_test

import (
	"bytes"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.xml with the responses the handler gives now")

// policyDocument has white space, quotes, a wildcard and a slash, all of which
// GetPolicyVersion must return URL-encoded as IAM does.
const policyDocument = `{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "ReadReports", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
    "Resource": "arn:aws:s3:::reports/*"}]
}`

type goldenCase struct {
	name   string
	setup  []url.Values // made first as root; each must succeed
	req    url.Values
	creds  creds
	status int
}

func goldenCases() []goldenCase {
	createAlice := form("iam", "CreateUser", "UserName", "alice", "Path", "/engineering/",
		"Tags.member.1.Key", "team", "Tags.member.1.Value", "platform",
		"Tags.member.2.Key", "site", "Tags.member.2.Value", "Zürich = HQ")
	aliceKeyID, aliceSecret := userKey(1)
	return []goldenCase{
		{
			name:   "CreateUser",
			req:    createAlice,
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name:   "GetUser",
			setup:  []url.Values{createAlice},
			req:    form("iam", "GetUser", "UserName", "alice"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name:   "GetUser_root",
			req:    form("iam", "GetUser"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name: "ListUsers_truncated",
			setup: []url.Values{
				form("iam", "CreateUser", "UserName", "carol"),
				createAlice,
				form("iam", "CreateUser", "UserName", "Bob", "Tags.member.1.Key", "not-listed", "Tags.member.1.Value", "x"),
			},
			req:    form("iam", "ListUsers", "MaxItems", "2"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name: "ListUsers_lastPage",
			setup: []url.Values{
				form("iam", "CreateUser", "UserName", "carol"),
				createAlice,
				form("iam", "CreateUser", "UserName", "Bob"),
			},
			req:    form("iam", "ListUsers", "MaxItems", "2", "Marker", "fhh2TD5X1Ghib2I"), // the Marker ListUsers_truncated returns
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name: "CreatePolicy",
			req: form("iam", "CreatePolicy", "PolicyName", "ReadReports", "Path", "/reports/",
				"Description", "Read the reports bucket", "PolicyDocument", policyDocument,
				"Tags.member.1.Key", "owner", "Tags.member.1.Value", "finance"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name:   "GetPolicyVersion",
			setup:  []url.Values{form("iam", "CreatePolicy", "PolicyName", "ReadReports", "PolicyDocument", policyDocument)},
			req:    form("iam", "GetPolicyVersion", "PolicyArn", "arn:aws:iam::123456789012:policy/ReadReports", "VersionId", "v1"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name: "GetAccountSummary",
			setup: []url.Values{
				createAlice,
				form("iam", "CreateUser", "UserName", "bob"),
				form("iam", "CreateGroup", "GroupName", "admins"),
				form("iam", "CreatePolicy", "PolicyName", "ReadReports", "PolicyDocument", policyDocument),
			},
			req:    form("iam", "GetAccountSummary"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name:   "CreateAccessKey",
			setup:  []url.Values{createAlice},
			req:    form("iam", "CreateAccessKey", "UserName", "alice"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name:   "DeleteUser",
			setup:  []url.Values{createAlice},
			req:    form("iam", "DeleteUser", "UserName", "alice"),
			creds:  rootCreds("iam"),
			status: http.StatusOK,
		},
		{
			name:   "GetCallerIdentity_root",
			req:    form("sts", "GetCallerIdentity"),
			creds:  rootCreds("sts"),
			status: http.StatusOK,
		},
		{
			name:   "GetCallerIdentity_user",
			setup:  []url.Values{createAlice, form("iam", "CreateAccessKey", "UserName", "alice")},
			req:    form("sts", "GetCallerIdentity"),
			creds:  creds{aliceKeyID, aliceSecret, "sts"},
			status: http.StatusOK,
		},

		// Errors.
		{
			name:   "error_NoSuchEntity",
			req:    form("iam", "GetUser", "UserName", "nobody"),
			creds:  rootCreds("iam"),
			status: http.StatusNotFound,
		},
		{
			name:   "error_ValidationError",
			req:    form("iam", "CreateUser", "UserName", "no spaces allowed", "Path", "missing-slashes"),
			creds:  rootCreds("iam"),
			status: http.StatusBadRequest,
		},
		{
			name:   "error_InvalidAction",
			req:    form("iam", "Frobnicate"),
			creds:  rootCreds("iam"),
			status: http.StatusBadRequest,
		},
		{
			name:   "error_MissingAuthenticationToken",
			req:    form("iam", "ListUsers"),
			status: http.StatusForbidden,
		},
		{
			name:   "error_SignatureDoesNotMatch",
			req:    form("iam", "ListUsers"),
			creds:  creds{rootKeyID, "goldenRootSecretKey/0123456789WRONGWRONG", "iam"},
			status: http.StatusForbidden,
		},
		{
			name:   "error_InvalidClientTokenId",
			req:    form("sts", "GetCallerIdentity"),
			creds:  creds{"AKIAUNKNOWNKEY000001", rootSecret, "sts"},
			status: http.StatusForbidden,
		},
		{
			name:   "error_EntityAlreadyExists",
			setup:  []url.Values{createAlice},
			req:    form("iam", "CreateUser", "UserName", "ALICE"),
			creds:  rootCreds("iam"),
			status: http.StatusConflict,
		},
		{
			name:   "error_DeleteConflict",
			setup:  []url.Values{createAlice, form("iam", "CreateAccessKey", "UserName", "alice")},
			req:    form("iam", "DeleteUser", "UserName", "alice"),
			creds:  rootCreds("iam"),
			status: http.StatusConflict,
		},
		{
			name:   "error_AccessDenied",
			setup:  []url.Values{createAlice, form("iam", "CreateAccessKey", "UserName", "alice")},
			req:    form("iam", "ListUsers"),
			creds:  creds{aliceKeyID, aliceSecret, "iam"},
			status: http.StatusForbidden,
		},
	}
}

// TestGolden compares whole responses, status and body, with
// testdata/NAME.golden.xml. Run `go test ./awsquery -run TestGolden -update`
// after an intended change of the wire format, and review the diff.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t)
			for _, f := range tc.setup {
				s.mustDo(t, f)
			}
			w := s.do(t, tc.req, tc.creds)
			body := w.Body.Bytes()
			if w.Code != tc.status {
				t.Errorf("status = %d, want %d", w.Code, tc.status)
			}
			if err := checkXML(body); err != nil {
				t.Errorf("malformed XML: %v\n%s", err, body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/xml" {
				t.Errorf("Content-Type = %q, want text/xml", ct)
			}
			if id := w.Header().Get("x-amzn-RequestId"); id == "" || !bytes.Contains(body, []byte("<RequestId>"+id+"</RequestId>")) {
				t.Errorf("x-amzn-RequestId %q is not the body's RequestId", id)
			}

			path := filepath.Join("testdata", tc.name+".golden.xml")
			if *update {
				if err := os.WriteFile(path, body, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(body, want) {
				t.Errorf("response differs from %s (run with -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, body, want)
			}
		})
	}
}
