package console

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/trail"
)

// The console's audit pages: the credential report (shown and downloaded)
// and the event history with filters. Both call the same operations as the
// API (GenerateCredentialReport/GetCredentialReport, LookupEvents), so the
// caller's policies decide what they show.

func (c *Console) auditRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /console/credential-report", c.authed(c.credentialReportPage))
	m.HandleFunc("GET /console/credential-report.csv", c.authed(c.credentialReportCSV))
	m.HandleFunc("GET /console/events", c.authed(c.eventsPage))
	m.HandleFunc("GET /console/access-advisor", c.authed(c.accessAdvisorPage))
}

type credReportResult struct {
	Content       string    `xml:"Content"`
	GeneratedTime time.Time `xml:"GeneratedTime"`
}

// credentialReport makes the report when there is none current, then
// returns its CSV.
func (c *Console) credentialReport(r *http.Request, v *visit) ([]byte, time.Time, error) {
	ctx := r.Context()
	if err := c.call(ctx, &v.p, "GenerateCredentialReport", nil, nil); err != nil {
		return nil, time.Time{}, err
	}
	var res credReportResult
	if err := c.call(ctx, &v.p, "GetCredentialReport", nil, &res); err != nil {
		return nil, time.Time{}, err
	}
	b, err := base64.StdEncoding.DecodeString(res.Content)
	return b, res.GeneratedTime, err
}

type credReportData struct {
	Generated time.Time
	Header    []string
	Rows      [][]string
	// InProgress says the report is being generated (in the background,
	// as on AWS): the page asks to be refreshed.
	InProgress bool
}

// reportInProgress is GetCredentialReport's answer while a report is made.
func reportInProgress(err error) bool { return warden.ErrorCode(err) == "ReportInProgress" }

func (c *Console) credentialReportPage(w http.ResponseWriter, r *http.Request, v *visit) {
	b, generated, err := c.credentialReport(r, v)
	if reportInProgress(err) {
		c.render(w, r, http.StatusOK, "credreport.html", &view{Title: "Credential report", Nav: "credreport", Who: whoOf(v),
			Data: credReportData{InProgress: true}})
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "credreport.html", &view{Title: "Credential report", Nav: "credreport", Who: whoOf(v),
		Data: credReportData{Generated: generated, Header: rows[0], Rows: rows[1:]}})
}

func (c *Console) credentialReportCSV(w http.ResponseWriter, r *http.Request, v *visit) {
	b, generated, err := c.credentialReport(r, v)
	if reportInProgress(err) {
		http.Redirect(w, r, "/console/credential-report", http.StatusSeeOther) // which says to come back
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="credential-report-`+generated.UTC().Format("20060102T150405Z")+`.csv"`)
	w.Write(b)
}

type eventRow struct {
	Time     time.Time
	Name     string
	Source   string
	Username string
	ReadOnly bool
	Error    string
	JSON     string
}

type eventsData struct {
	User, Name, From, To, ReadOnly string
	Events                         []eventRow
	Next                           string
}

// eventsPage shows the event history, newest first, filtered by user name,
// event name, read-only and a time range (UTC, 2006-01-02T15:04), 50 a page.
func (c *Console) eventsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	if c.Events == nil {
		c.renderError(w, r, v, http.StatusNotFound, "Event history is off", "This Warden records no event history.")
		return
	}
	q := r.URL.Query()
	d := eventsData{User: clip(q.Get("user"), 128), Name: clip(q.Get("name"), 128), From: clip(q.Get("from"), 32),
		To: clip(q.Get("to"), 32), ReadOnly: clip(q.Get("readonly"), 8)}
	in := &trail.Lookup{NextToken: clip(q.Get("token"), 512)}
	// One attribute per lookup, as in CloudTrail: the first filter given.
	switch {
	case d.User != "":
		in.Attributes = []trail.Attribute{{Key: "Username", Value: d.User}}
	case d.Name != "":
		in.Attributes = []trail.Attribute{{Key: "EventName", Value: d.Name}}
	case d.ReadOnly == "true" || d.ReadOnly == "false":
		in.Attributes = []trail.Attribute{{Key: "ReadOnly", Value: d.ReadOnly}}
	}
	for _, f := range []struct {
		s   string
		dst **time.Time
	}{{d.From, &in.StartTime}, {d.To, &in.EndTime}} {
		if f.s == "" {
			continue
		}
		t, err := time.Parse("2006-01-02T15:04", f.s)
		if err != nil {
			c.renderError(w, r, v, http.StatusBadRequest, "Bad time", "Times are written 2006-01-02T15:04 (UTC).")
			return
		}
		*f.dst = &t
	}
	page, err := c.Events.LookupEvents(r.Context(), &v.p, in)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	for _, e := range page.Events {
		var pretty bytes.Buffer
		json.Indent(&pretty, e.Record, "", "  ")
		var rec struct {
			ErrorCode string `json:"errorCode"`
		}
		json.Unmarshal(e.Record, &rec)
		d.Events = append(d.Events, eventRow{Time: e.Time, Name: e.Name, Source: e.Source, Username: e.Username,
			ReadOnly: e.ReadOnly, Error: rec.ErrorCode, JSON: pretty.String()})
	}
	if page.NextToken != "" {
		next := r.URL.Query()
		next.Set("token", page.NextToken)
		d.Next = "/console/events?" + next.Encode()
	}
	c.render(w, r, http.StatusOK, "events.html", &view{Title: "Event history", Nav: "events", Who: whoOf(v), Data: d})
}

// eventUser is what the events page shows for the hidden user name of a
// sign-in with an unknown user.
func eventUser(s string) string {
	if s == "" || strings.HasPrefix(s, "HIDDEN_") {
		return "-"
	}
	return s
}

type advisorService struct {
	ServiceName                string     `xml:"ServiceName"`
	ServiceNamespace           string     `xml:"ServiceNamespace"`
	LastAuthenticated          *time.Time `xml:"LastAuthenticated"`
	LastAuthenticatedEntity    string     `xml:"LastAuthenticatedEntity"`
	TotalAuthenticatedEntities int        `xml:"TotalAuthenticatedEntities"`
	Actions                    []struct {
		ActionName       string     `xml:"ActionName"`
		LastAccessedTime *time.Time `xml:"LastAccessedTime"`
	} `xml:"TrackedActionsLastAccessed>member"`
}

type advisorResult struct {
	JobCreationDate time.Time        `xml:"JobCreationDate"`
	Services        []advisorService `xml:"ServicesLastAccessed>member"`
	pager
}

type advisorData struct {
	ARN       string
	Entity    entity
	Generated time.Time
	Services  []advisorService
}

// accessAdvisorPage is the Access Advisor tab of a user, group or policy:
// for each service its policies grant, when it was last used, or "Not
// accessed in the tracking period", with the tracked actions.
func (c *Console) accessAdvisorPage(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	target := clip(r.URL.Query().Get("arn"), 2048)
	var job struct {
		JobId string `xml:"JobId"`
	}
	if err := c.call(ctx, &v.p, "GenerateServiceLastAccessedDetails", form("Arn", target, "Granularity", "ACTION_LEVEL"), &job); err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := advisorData{ARN: target, Entity: entityOf(target)}
	services, err := callAll(ctx, c, &v.p, "GetServiceLastAccessedDetails", form("JobId", job.JobId),
		func() *advisorResult { return &advisorResult{} }, func(res *advisorResult) []advisorService {
			d.Generated = res.JobCreationDate
			return res.Services
		})
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	d.Services = services
	nav := map[string]string{"user": "users", "group": "groups", "role": "roles", "policy": "policies"}[d.Entity.Kind]
	c.render(w, r, http.StatusOK, "advisor.html", &view{Title: "Access Advisor", Nav: nav, Who: whoOf(v), Data: d})
}
