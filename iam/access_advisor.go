package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
	"github.com/warden-iam/warden/servicedata"
)

// trackingPeriod is how far back the access advisor reports use: 400 days,
// as AWS.
const trackingPeriod = 400 * 24 * time.Hour

// actionLevelServices are the services whose actions the access advisor
// reports one by one (ACTION_LEVEL), as AWS does.
var actionLevelServices = map[string]bool{"iam": true, "s3": true, "ec2": true, "lambda": true}

// accessAdvisorOperations registers the access advisor's jobs.
func (s *Service) accessAdvisorOperations() map[string]operation {
	return map[string]operation{
		"GenerateServiceLastAccessedDetails":        op(s.generateServiceLastAccessedDetails),
		"GetServiceLastAccessedDetails":             op(s.getServiceLastAccessedDetails),
		"GetServiceLastAccessedDetailsWithEntities": op(s.getServiceLastAccessedDetailsWithEntities),
	}
}

// The report a job keeps, as JSON in warden.AccessJob.Report.
type advisorService struct {
	Namespace  string          `json:"ns"`
	Name       string          `json:"name"`
	Last       *time.Time      `json:"last,omitempty"`
	LastEntity string          `json:"lastEntity,omitempty"`
	Total      int             `json:"total"`
	Actions    []advisorAction `json:"actions,omitempty"`
	Entities   []advisorEntity `json:"entities"`
	tracked    bool
}

type advisorAction struct {
	Name   string    `json:"name"`
	Entity string    `json:"entity"`
	Time   time.Time `json:"time"`
}

type advisorEntity struct {
	ARN  string     `json:"arn"`
	Name string     `json:"name"`
	Type string     `json:"type"` // USER, ROLE, GROUP
	ID   string     `json:"id"`
	Path string     `json:"path"`
	Last *time.Time `json:"last,omitempty"`
}

// advisorSubject is one entity a report covers: whose use counts, and
// through which policies (counts nil: all of the entity's policies).
type advisorSubject struct {
	info    advisorEntity
	usageOf []string // IDs of the users and roles whose use is the entity's
	counts  func(policyName string) bool
}

type generateServiceLastAccessedDetailsInput struct {
	Arn         string
	Granularity string
}

type generateServiceLastAccessedDetailsOutput struct {
	JobID string `xml:"JobId"`
}

func newJobID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("iam: no randomness: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// generateServiceLastAccessedDetails makes the access advisor report of a
// user, group, role or managed policy: for every service its policies grant,
// when it was last used within the tracking period, by which entity, and
// (ACTION_LEVEL) which tracked actions. Warden builds the report at once, so
// the job is COMPLETED when GetServiceLastAccessedDetails first asks.
func (s *Service) generateServiceLastAccessedDetails(ctx context.Context, p *warden.Principal, in *generateServiceLastAccessedDetailsInput) (*generateServiceLastAccessedDetailsOutput, error) {
	const action = "GenerateServiceLastAccessedDetails"
	granularity := in.Granularity
	if granularity == "" {
		granularity = "SERVICE_LEVEL"
	}
	if s.FlushAccessAdvisor != nil {
		if err := s.FlushAccessAdvisor(ctx); err != nil {
			return nil, err
		}
	}
	now := s.now()
	var report []advisorService
	err := s.view(ctx, func(tx warden.Tx) error {
		subjects, policies, err := s.advisorSubjects(ctx, tx, p, action, in.Arn)
		if err != nil {
			return err
		}
		report, err = s.advisorReport(ctx, tx, p.Account, subjects, policies, granularity == "ACTION_LEVEL", now)
		return err
	})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(report)
	if err != nil {
		return nil, err
	}
	job := &warden.AccessJob{Account: p.Account, ID: newJobID(), ARN: in.Arn, Granularity: granularity, Created: now,
		Completed: now, Report: body}
	if err := s.update(ctx, p, action, in.Arn, func(tx warden.Tx) error { return warden.Insert(ctx, tx, job) }); err != nil {
		return nil, err
	}
	return &generateServiceLastAccessedDetailsOutput{JobID: job.ID}, nil
}

// advisorSubjects resolves the ARN of a report to the entities it covers and
// the policies whose services it lists, authorizing action on the ARN.
func (s *Service) advisorSubjects(ctx context.Context, tx warden.Tx, p *warden.Principal, action, target string) ([]advisorSubject, []grantingPolicy, error) {
	if strings.Contains(target, ":policy/") {
		return s.policySubjects(ctx, tx, p, action, target)
	}
	account, kind, path, name, ok := splitIdentityARN(target)
	if !ok {
		return nil, nil, invalidInput("ARN %s is not valid.", target)
	}
	if account != p.Account {
		if err := s.authorize(ctx, p, action, target, nil); err != nil {
			return nil, nil, err
		}
		return nil, nil, noSuchEntity("The %s with name %s cannot be found.", kind, name)
	}
	switch kind {
	case "user":
		u, err := s.userFor(ctx, tx, p, action, name, nil)
		if err != nil {
			return nil, nil, err
		}
		if u.Path != path {
			return nil, nil, noSuchEntity("The user with name %s cannot be found.", name)
		}
		policies, err := s.grantingPolicies(ctx, tx, p.Account, "USER", u.Name, u.InlinePolicies, u.AttachedPolicies, nil)
		if err != nil {
			return nil, nil, err
		}
		for _, gname := range u.Groups {
			g, err := s.loadGroup(ctx, tx, p.Account, gname)
			if warden.ErrorCode(err) == warden.CodeNoSuchEntity {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			if policies, err = s.grantingPolicies(ctx, tx, p.Account, "GROUP", g.Name, g.InlinePolicies, g.AttachedPolicies, policies); err != nil {
				return nil, nil, err
			}
		}
		return []advisorSubject{{info: userEntity(u), usageOf: []string{u.ID}}}, policies, nil
	case "role":
		r, err := s.roleFor(ctx, tx, p, action, name, nil)
		if err != nil {
			return nil, nil, err
		}
		if r.Path != path {
			return nil, nil, noSuchEntity("The role with name %s cannot be found.", name)
		}
		policies, err := s.grantingPolicies(ctx, tx, p.Account, "ROLE", r.Name, r.InlinePolicies, r.AttachedPolicies, nil)
		if err != nil {
			return nil, nil, err
		}
		return []advisorSubject{{info: advisorEntity{ARN: r.ARN(), Name: r.Name, Type: "ROLE", ID: r.ID, Path: r.Path},
			usageOf: []string{r.ID}}}, policies, nil
	default: // group: its members' use through the group's policies
		g, err := s.groupFor(ctx, tx, p, action, name)
		if err != nil {
			return nil, nil, err
		}
		if g.Path != path {
			return nil, nil, noSuchEntity("The group with name %s cannot be found.", name)
		}
		policies, err := s.grantingPolicies(ctx, tx, p.Account, "GROUP", g.Name, g.InlinePolicies, g.AttachedPolicies, nil)
		if err != nil {
			return nil, nil, err
		}
		users, err := members(ctx, tx, p.Account, g.Name)
		if err != nil {
			return nil, nil, err
		}
		counts := func(pol string) bool {
			return strings.HasPrefix(pol, "group/"+g.Name+"/") || slices.Contains(g.AttachedPolicies, pol)
		}
		var subjects []advisorSubject
		for _, u := range users {
			subjects = append(subjects, advisorSubject{info: userEntity(u), usageOf: []string{u.ID}, counts: counts})
		}
		return subjects, policies, nil
	}
}

func userEntity(u *warden.User) advisorEntity {
	return advisorEntity{ARN: u.ARN(), Name: u.Name, Type: "USER", ID: u.ID, Path: u.Path}
}

// policySubjects covers the users, groups and roles a managed policy is
// attached to, counting their use through that policy.
func (s *Service) policySubjects(ctx context.Context, tx warden.Tx, p *warden.Principal, action, target string) ([]advisorSubject, []grantingPolicy, error) {
	mp, err := s.loadPolicy(ctx, tx, p.Account, target)
	if err != nil {
		if aerr := s.authorize(ctx, p, action, target, nil); aerr != nil {
			return nil, nil, aerr
		}
		return nil, nil, err
	}
	if err := s.authorize(ctx, p, action, mp.ARN(), nil); err != nil {
		return nil, nil, err
	}
	var policies []grantingPolicy
	if v := mp.Default(); v != nil {
		policies = append(policies, grantingPolicy{doc: v.Document})
	}
	arnOf := mp.ARN()
	counts := func(pol string) bool { return pol == arnOf }
	// The entities the attachment index names, each kind in name order: as
	// many records as the report has subjects (and group members).
	attached := func(typ string) string { return warden.IndexKey(arnOf, warden.UsagePolicy, typ, "") }
	users, err := loadAllIndexed[warden.User](ctx, tx, warden.KindAttachment, p.Account, attached("user"))
	if err != nil {
		return nil, nil, err
	}
	var subjects []advisorSubject
	for _, u := range users {
		subjects = append(subjects, advisorSubject{info: userEntity(u), usageOf: []string{u.ID}, counts: counts})
	}
	groups, err := loadAllIndexed[warden.Group](ctx, tx, warden.KindAttachment, p.Account, attached("group"))
	if err != nil {
		return nil, nil, err
	}
	for _, g := range groups {
		sub := advisorSubject{info: advisorEntity{ARN: g.ARN(), Name: g.Name, Type: "GROUP", ID: g.ID, Path: g.Path}, counts: counts}
		in, err := members(ctx, tx, p.Account, g.Name)
		if err != nil {
			return nil, nil, err
		}
		for _, u := range in {
			sub.usageOf = append(sub.usageOf, u.ID)
		}
		subjects = append(subjects, sub)
	}
	roles, err := loadAllIndexed[warden.Role](ctx, tx, warden.KindAttachment, p.Account, attached("role"))
	if err != nil {
		return nil, nil, err
	}
	for _, r := range roles {
		subjects = append(subjects, advisorSubject{info: advisorEntity{ARN: r.ARN(), Name: r.Name, Type: "ROLE", ID: r.ID, Path: r.Path},
			usageOf: []string{r.ID}, counts: counts})
	}
	return subjects, policies, nil
}

// advisorReport lists the services the policies grant, with the subjects'
// use of each within the tracking period.
func (s *Service) advisorReport(ctx context.Context, tx warden.Tx, account string, subjects []advisorSubject,
	policies []grantingPolicy, actionLevel bool, now time.Time) ([]advisorService, error) {
	ref, _ := servicedata.Load()
	parsed := make([]*policy.Policy, 0, len(policies))
	for _, gp := range policies {
		if pol, err := policy.Parse([]byte(gp.doc), policy.Identity); err == nil {
			parsed = append(parsed, pol)
		}
	}
	byNS := map[string]*advisorService{}
	var order []string
	if ref != nil {
		for _, svc := range ref.Services() {
			if slices.ContainsFunc(parsed, func(pol *policy.Policy) bool { return grantsService(ref, pol, svc.Prefix) }) {
				byNS[svc.Prefix] = &advisorService{Namespace: svc.Prefix, Name: svc.Name}
				order = append(order, svc.Prefix)
			}
		}
	}
	since := now.Add(-trackingPeriod)
	for _, sub := range subjects {
		lastBy := map[string]time.Time{} // service -> this subject's last use
		for _, id := range sub.usageOf {
			uses, err := warden.LoadAll[warden.ServiceAccess](ctx, tx, account, id+"/", "", 0)
			if err != nil {
				return nil, err
			}
			for _, u := range uses {
				last := u.Last
				if sub.counts != nil {
					last = time.Time{}
					for pol, t := range u.Policies {
						if sub.counts(pol) && t.After(last) {
							last = t
						}
					}
				}
				if last.Before(since) || last.IsZero() {
					continue
				}
				svc := byNS[u.Service]
				if svc == nil {
					continue // used through a policy that no longer grants it
				}
				if last.After(lastBy[u.Service]) {
					lastBy[u.Service] = last
				}
				if svc.Last == nil || last.After(*svc.Last) {
					t := last
					svc.Last, svc.LastEntity = &t, sub.info.ARN
				}
				if actionLevel && actionLevelServices[u.Service] {
					for name, t := range u.Actions {
						if t.Before(since) {
							continue
						}
						i := slices.IndexFunc(svc.Actions, func(a advisorAction) bool { return a.Name == name })
						switch {
						case i < 0:
							svc.Actions = append(svc.Actions, advisorAction{Name: name, Entity: u.EntityARN, Time: t})
						case t.After(svc.Actions[i].Time):
							svc.Actions[i] = advisorAction{Name: name, Entity: u.EntityARN, Time: t}
						}
					}
				}
			}
		}
		for _, ns := range order {
			e := sub.info
			if t, ok := lastBy[ns]; ok {
				e.Last = &t
				byNS[ns].Total++
			}
			byNS[ns].Entities = append(byNS[ns].Entities, e)
		}
	}
	out := make([]advisorService, 0, len(order))
	for _, ns := range order {
		svc := byNS[ns]
		slices.SortFunc(svc.Actions, func(a, b advisorAction) int { return strings.Compare(a.Name, b.Name) })
		svc.tracked = actionLevel && actionLevelServices[ns]
		out = append(out, *svc)
	}
	return out, nil
}

type jobInput struct {
	JobId    string
	MaxItems int
	Marker   string
}

type wTrackedAction struct {
	ActionName         string     `xml:"ActionName"`
	LastAccessedEntity string     `xml:"LastAccessedEntity,omitempty"`
	LastAccessedTime   *time.Time `xml:"LastAccessedTime,omitempty"`
	LastAccessedRegion string     `xml:"LastAccessedRegion,omitempty"`
}

type wServiceLastAccessed struct {
	ServiceName                string                `xml:"ServiceName"`
	LastAuthenticated          *time.Time            `xml:"LastAuthenticated,omitempty"`
	ServiceNamespace           string                `xml:"ServiceNamespace"`
	LastAuthenticatedEntity    string                `xml:"LastAuthenticatedEntity,omitempty"`
	LastAuthenticatedRegion    string                `xml:"LastAuthenticatedRegion,omitempty"`
	TotalAuthenticatedEntities int                   `xml:"TotalAuthenticatedEntities"`
	TrackedActionsLastAccessed *list[wTrackedAction] `xml:"TrackedActionsLastAccessed,omitempty"`
}

type getServiceLastAccessedDetailsOutput struct {
	JobStatus            string                     `xml:"JobStatus"`
	JobType              string                     `xml:"JobType"`
	JobCreationDate      time.Time                  `xml:"JobCreationDate"`
	ServicesLastAccessed list[wServiceLastAccessed] `xml:"ServicesLastAccessed"`
	JobCompletionDate    time.Time                  `xml:"JobCompletionDate"`
	page
}

// loadJob returns a job of p's account and its report. Errors: NoSuchEntity
// for an unknown job ID.
func (s *Service) loadJob(ctx context.Context, p *warden.Principal, action, id string) (*warden.AccessJob, []advisorService, error) {
	if err := s.authorize(ctx, p, action, "*", nil); err != nil {
		return nil, nil, err
	}
	var job *warden.AccessJob
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		job, err = warden.Load[warden.AccessJob](ctx, tx, p.Account, id)
		return notFoundAs(err, noSuchEntity("No job found with id %s.", id))
	})
	if err != nil {
		return nil, nil, err
	}
	var report []advisorService
	if err := json.Unmarshal(job.Report, &report); err != nil {
		return nil, nil, fmt.Errorf("decode access job %s: %w", id, err)
	}
	return job, report, nil
}

func (s *Service) getServiceLastAccessedDetails(ctx context.Context, p *warden.Principal, in *jobInput) (*getServiceLastAccessedDetailsOutput, error) {
	job, report, err := s.loadJob(ctx, p, "GetServiceLastAccessedDetails", in.JobId)
	if err != nil {
		return nil, err
	}
	items, pg, err := paginate(report, func(a advisorService) string { return a.Namespace }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &getServiceLastAccessedDetailsOutput{JobStatus: "COMPLETED", JobType: job.Granularity, JobCreationDate: job.Created,
		JobCompletionDate: job.Completed, ServicesLastAccessed: list[wServiceLastAccessed]{}, page: pg}
	for _, svc := range items {
		w := wServiceLastAccessed{ServiceName: svc.Name, ServiceNamespace: svc.Namespace, LastAuthenticated: svc.Last,
			LastAuthenticatedEntity: svc.LastEntity, TotalAuthenticatedEntities: svc.Total}
		if svc.Last != nil {
			w.LastAuthenticatedRegion = "us-east-1"
		}
		if job.Granularity == "ACTION_LEVEL" && actionLevelServices[svc.Namespace] {
			acts := list[wTrackedAction]{}
			for _, a := range svc.Actions {
				t := a.Time
				acts = append(acts, wTrackedAction{ActionName: a.Name, LastAccessedEntity: a.Entity, LastAccessedTime: &t,
					LastAccessedRegion: "us-east-1"})
			}
			w.TrackedActionsLastAccessed = &acts
		}
		out.ServicesLastAccessed = append(out.ServicesLastAccessed, w)
	}
	return out, nil
}

type withEntitiesInput struct {
	JobId            string
	ServiceNamespace string
	MaxItems         int
	Marker           string
}

type wEntityInfo struct {
	Arn  string `xml:"Arn"`
	Name string `xml:"Name"`
	Type string `xml:"Type"`
	ID   string `xml:"Id"`
	Path string `xml:"Path,omitempty"`
}

type wEntityDetails struct {
	EntityInfo        wEntityInfo `xml:"EntityInfo"`
	LastAuthenticated *time.Time  `xml:"LastAuthenticated,omitempty"`
}

type withEntitiesOutput struct {
	JobStatus         string               `xml:"JobStatus"`
	JobCreationDate   time.Time            `xml:"JobCreationDate"`
	JobCompletionDate time.Time            `xml:"JobCompletionDate"`
	EntityDetailsList list[wEntityDetails] `xml:"EntityDetailsList"`
	page
}

// getServiceLastAccessedDetailsWithEntities lists, for one service of a
// job's report, the entities the report covers and when each last used the
// service. A namespace the report does not list answers an empty list.
func (s *Service) getServiceLastAccessedDetailsWithEntities(ctx context.Context, p *warden.Principal, in *withEntitiesInput) (*withEntitiesOutput, error) {
	job, report, err := s.loadJob(ctx, p, "GetServiceLastAccessedDetailsWithEntities", in.JobId)
	if err != nil {
		return nil, err
	}
	var entities []advisorEntity
	for _, svc := range report {
		if strings.EqualFold(svc.Namespace, in.ServiceNamespace) {
			entities = svc.Entities
		}
	}
	items, pg, err := paginate(entities, func(e advisorEntity) string { return e.ARN }, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &withEntitiesOutput{JobStatus: "COMPLETED", JobCreationDate: job.Created, JobCompletionDate: job.Completed,
		EntityDetailsList: list[wEntityDetails]{}, page: pg}
	for _, e := range items {
		out.EntityDetailsList = append(out.EntityDetailsList, wEntityDetails{
			EntityInfo: wEntityInfo{Arn: e.ARN, Name: e.Name, Type: e.Type, ID: e.ID, Path: e.Path}, LastAuthenticated: e.Last})
	}
	return out, nil
}
