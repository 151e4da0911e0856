package trail

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/warden-iam/warden"
)

// hidden is what CloudTrail writes in place of a secret parameter.
const hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretNames are parameters and result elements that hold secrets
// (compared in lower case): they never reach a record.
var secretNames = map[string]bool{
	"password": true, "newpassword": true, "oldpassword": true, "secretaccesskey": true, "sessiontoken": true,
	"authenticationcode1": true, "authenticationcode2": true, "tokencode": true, "samlassertion": true,
	"webidentitytoken": true, "base32stringseed": true, "qrcodepng": true, "privatekey": true, "addprivatekey": true,
	"securitytoken": true, "servicepassword": true, "x-amz-security-token": true, "signature": true, "x-amz-signature": true,
}

// record is a CloudTrail event record, with CloudTrail's field names and
// order.
type record struct {
	EventVersion        string         `json:"eventVersion"`
	UserIdentity        identity       `json:"userIdentity"`
	EventTime           string         `json:"eventTime"`
	EventSource         string         `json:"eventSource"`
	EventName           string         `json:"eventName"`
	AWSRegion           string         `json:"awsRegion"`
	SourceIPAddress     string         `json:"sourceIPAddress"`
	UserAgent           string         `json:"userAgent"`
	ErrorCode           string         `json:"errorCode,omitempty"`
	ErrorMessage        string         `json:"errorMessage,omitempty"`
	RequestParameters   any            `json:"requestParameters"`
	ResponseElements    any            `json:"responseElements"`
	AdditionalEventData map[string]any `json:"additionalEventData,omitempty"`
	RequestID           string         `json:"requestID,omitempty"`
	EventID             string         `json:"eventID"`
	ReadOnly            bool           `json:"readOnly"`
	EventType           string         `json:"eventType"`
	ManagementEvent     bool           `json:"managementEvent"`
	RecipientAccountID  string         `json:"recipientAccountId"`
	EventCategory       string         `json:"eventCategory"`
}

type identity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *sessionContext `json:"sessionContext,omitempty"`
}

type sessionContext struct {
	SessionIssuer *sessionIssuer `json:"sessionIssuer,omitempty"`
	Attributes    sessionAttrs   `json:"attributes"`
}

type sessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

type sessionAttrs struct {
	CreationDate     string `json:"creationDate,omitempty"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

const timeFormat = "2006-01-02T15:04:05Z"

// render turns a buffered *Call or *SignIn into an Event.
func (r *Recorder) render(v any) (warden.Event, error) {
	switch c := v.(type) {
	case *Call:
		return r.renderCall(c)
	case *SignIn:
		return r.renderSignIn(c)
	}
	return warden.Event{}, fmt.Errorf("trail: cannot record a %T", v)
}

// readOnlyAction reports whether an action only reads, as CloudTrail's
// readOnly says.
func readOnlyAction(action string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Lookup", "Simulate", "Decode", "Validate", "Check"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

func userIdentity(p *warden.Principal, accessKeyID string) (identity, string) {
	id := identity{PrincipalID: p.ID, ARN: p.ARN, AccountID: p.Account, AccessKeyID: accessKeyID}
	switch p.Type {
	case warden.PrincipalRoot:
		id.Type = "Root"
		return id, "root"
	case warden.PrincipalUser:
		id.Type, id.UserName = "IAMUser", p.Name
		return id, p.Name
	case warden.PrincipalAssumedRole, warden.PrincipalFederatedUser:
		id.Type = string(p.Type)
		mfa := "false"
		if p.MFAAuthenticated {
			mfa = "true"
		}
		sc := &sessionContext{Attributes: sessionAttrs{MFAAuthenticated: mfa}}
		if p.Type == warden.PrincipalAssumedRole {
			// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
			rest := p.ARN[strings.Index(p.ARN, "assumed-role/")+len("assumed-role/"):]
			role, _, _ := strings.Cut(rest, "/")
			roleID, _, _ := strings.Cut(p.ID, ":")
			sc.SessionIssuer = &sessionIssuer{Type: "Role", PrincipalID: roleID,
				ARN: "arn:aws:iam::" + p.Account + ":role/" + role, AccountID: p.Account, UserName: role}
		}
		id.SessionContext = sc
		return id, p.Name
	}
	// A request whose access key ID names no identity: CloudTrail's
	// Unknown, with only the key ID.
	id.Type, id.AccountID, id.PrincipalID, id.ARN = "Unknown", "", "", ""
	return id, p.Name
}

// maxEventName bounds the eventName of a call, whatever Action a client sent.
const maxEventName = 128

func (r *Recorder) renderCall(c *Call) (warden.Event, error) { return r.renderCallInto(c, nil) }

// renderCallInto renders c, appending its record to *arena when arena is
// set (Flush renders a whole batch into one buffer it reuses, instead of a
// buffer per event for the collector to sweep).
func (r *Recorder) renderCallInto(c *Call, arena *[]byte) (warden.Event, error) {
	e, _, err := r.renderCallSlots(c, r.NewID(c.Time), arena)
	return e, err
}

// renderCallSlots is renderCallInto with the event ID given, saying where
// the record's slots are.
func (r *Recorder) renderCallSlots(c *Call, eventID string, arena *[]byte) (warden.Event, recordSlots, error) {
	if len(c.Action) > maxEventName {
		cp := *c
		cp.Action = cp.Action[:maxEventName]
		c = &cp
	}
	ident, username := userIdentity(&c.Principal, c.AccessKeyID)
	readOnly := readOnlyAction(c.Action)
	rec := record{EventVersion: "1.08", UserIdentity: ident, EventTime: c.Time.UTC().Format(timeFormat),
		EventSource: c.Service + ".amazonaws.com", EventName: c.Action, AWSRegion: orRegion(c.Region, r.opts.Region),
		SourceIPAddress: c.Principal.SourceIP, UserAgent: c.Principal.UserAgent, ErrorCode: c.ErrorCode,
		ErrorMessage: c.ErrorMessage, RequestID: c.RequestID, EventID: eventID, ReadOnly: readOnly,
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: c.Principal.Account, EventCategory: "Management"}
	var params map[string]any
	if c.JSON != nil {
		params = redactJSON(c.JSON)
	} else {
		params = queryParams(c.Params)
	}
	if len(params) > 0 {
		rec.RequestParameters = params
	}
	if !readOnly && c.Result != nil && c.ErrorCode == "" {
		resp, err := xmlTree(c.Result)
		if err != nil {
			return warden.Event{}, recordSlots{}, err
		}
		rec.ResponseElements = resp
	}
	var buf []byte
	if arena != nil {
		buf = *arena
	} else {
		buf = make([]byte, 0, 1024)
	}
	start := len(buf)
	buf, slots, err := rec.appendJSONSlots(buf)
	if err != nil {
		return warden.Event{}, slots, err
	}
	data := buf[start:len(buf):len(buf)]
	if arena != nil {
		*arena = buf
	}
	e := warden.Event{ID: rec.EventID, Account: c.Principal.Account, Time: c.Time.UTC(), Source: rec.EventSource,
		Name: c.Action, Username: username, AccessKeyID: c.AccessKeyID, ReadOnly: readOnly, Record: data}
	e.ResourceType, e.ResourceName = resourceOf(params)
	return e, slots, nil
}

func orRegion(region, def string) string {
	if region == "" {
		return def
	}
	return region
}

// resourceOf picks the resource a request names, for LookupEvents'
// ResourceType and ResourceName.
func resourceOf(params map[string]any) (string, string) {
	for _, k := range []struct{ param, typ string }{
		{"userName", "AWS::IAM::User"}, {"roleName", "AWS::IAM::Role"}, {"groupName", "AWS::IAM::Group"},
		{"policyArn", "AWS::IAM::Policy"}, {"accessKeyId", "AWS::IAM::AccessKey"},
		{"instanceProfileName", "AWS::IAM::InstanceProfile"}, {"roleArn", "AWS::IAM::Role"},
		{"serialNumber", "AWS::IAM::MFADevice"}, {"virtualMFADeviceName", "AWS::IAM::MFADevice"},
	} {
		if v, ok := params[k.param].(string); ok && v != "" {
			return k.typ, v
		}
	}
	return "", ""
}

func (r *Recorder) renderSignIn(s *SignIn) (warden.Event, error) {
	ident := identity{Type: "IAMUser", ARN: s.ARN, AccountID: s.Account}
	username := ""
	switch {
	case s.ARN == "":
		ident.Type = "IAMUser"
		username = hidden
		ident.UserName = hidden
	case strings.HasSuffix(s.ARN, ":root"):
		ident.Type, ident.PrincipalID, username = "Root", s.Account, "root"
	default:
		i := strings.LastIndex(s.ARN, "/")
		username = s.ARN[i+1:]
		ident.UserName = username
	}
	outcome, mfa := "Failure", "No"
	if s.Success {
		outcome = "Success"
	}
	if s.MFAUsed {
		mfa = "Yes"
	}
	rec := record{EventVersion: "1.08", UserIdentity: ident, EventTime: s.Time.UTC().Format(timeFormat),
		EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", AWSRegion: r.opts.Region,
		SourceIPAddress: s.SourceIP, UserAgent: s.UserAgent, RequestID: s.RequestID, EventID: r.NewID(s.Time),
		ResponseElements:    map[string]any{"ConsoleLogin": outcome},
		AdditionalEventData: map[string]any{"LoginTo": "/console/", "MobileVersion": "No", "MFAUsed": mfa},
		EventType:           "AwsConsoleSignIn", ManagementEvent: true, RecipientAccountID: s.Account, EventCategory: "Management"}
	if !s.Success {
		rec.ErrorMessage = s.Failure
	}
	data, err := rec.appendJSON(make([]byte, 0, 1024))
	if err != nil {
		return warden.Event{}, err
	}
	return warden.Event{ID: rec.EventID, Account: s.Account, Time: s.Time.UTC(), Source: rec.EventSource,
		Name: "ConsoleLogin", Username: username, Record: data}, nil
}

// lowerFirst is CloudTrail's spelling of a parameter name: userName for
// UserName.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// A leading initialism is lowered whole: ARN -> arn, MFA... stays.
	return strings.ToLower(s[:1]) + s[1:]
}

// queryParams turns Query parameters into CloudTrail's requestParameters:
// names in lower camel case, member.N lists as arrays, secrets hidden.
// Action, Version and the signature's parameters are left out.
func queryParams(form url.Values) map[string]any {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Action" || k == "Version" || strings.HasPrefix(k, "X-Amz-") || len(form[k]) == 0 {
			continue
		}
		v := form[k][0]
		parts := strings.Split(k, ".")
		if secretNames[strings.ToLower(parts[len(parts)-1])] {
			v = hidden
		}
		node := root
		for i, p := range parts {
			if p == "member" || p == "entry" {
				continue
			}
			name := lowerFirst(p)
			if _, err := strconv.Atoi(p); err == nil {
				name = p
			}
			if i == len(parts)-1 {
				node[name] = v
				break
			}
			child, ok := node[name].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[name] = child
			}
			node = child
		}
	}
	return listify(root).(map[string]any)
}

// listify turns maps whose keys are all numbers into arrays in number order.
func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	numeric := len(m) > 0
	for k, c := range m {
		m[k] = listify(c)
		if _, err := strconv.Atoi(k); err != nil {
			numeric = false
		}
	}
	if !numeric {
		return m
	}
	idx := make([]int, 0, len(m))
	for k := range m {
		n, _ := strconv.Atoi(k)
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]any, len(idx))
	for i, n := range idx {
		out[i] = m[strconv.Itoa(n)]
	}
	return out
}

// redactJSON copies JSON parameters with secret members hidden.
func redactJSON(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if secretNames[strings.ToLower(k)] {
			out[k] = hidden
			continue
		}
		if m, ok := v.(map[string]any); ok {
			v = redactJSON(m)
		}
		out[lowerFirst(k)] = v
	}
	return out
}

// xmlTree renders an operation's XML-shaped result as CloudTrail's
// responseElements: elements in lower camel case, member lists as arrays,
// and secret elements (secret keys, session tokens, TOTP seeds) left out.
func xmlTree(result any) (any, error) {
	b, err := xml.Marshal(result)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	if _, err := d.Token(); err != nil { // the result's own element
		return nil, err
	}
	v, err := xmlChildren(d)
	if err == io.EOF {
		err = nil
	}
	return v, err
}

// xmlChildren reads the content of an element up to its end: text, a map of
// its children, or an array when the children are <member>s.
func xmlChildren(d *xml.Decoder) (any, error) {
	var text strings.Builder
	var m map[string]any
	var list []any
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			child, err := xmlChildren(d)
			if err != nil {
				return nil, err
			}
			name := t.Name.Local
			if name == "member" {
				list = append(list, child)
				continue
			}
			if secretNames[strings.ToLower(name)] {
				continue
			}
			if m == nil {
				m = map[string]any{}
			}
			m[lowerFirst(name)] = child
		case xml.EndElement:
			switch {
			case list != nil:
				return list, nil
			case m != nil:
				return m, nil
			}
			return strings.TrimSpace(text.String()), nil
		}
	}
}
