package iam

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/authz"
)

// usageCounter counts API requests by account, month and service in memory;
// FlushUsage adds them to the store's Usage records, so that counting costs
// no write per request.
type usageCounter struct {
	mu     sync.Mutex
	counts map[usageKey]int64
}

type usageKey struct{ account, month, service string }

// maxUsageKeys bounds the counter between flushes.
const maxUsageKeys = 100000

// CountRequest notes one API request by a principal of account to service.
func (s *Service) CountRequest(account, service string) {
	if account == "" {
		return
	}
	k := usageKey{account, s.Now().UTC().Format("2006-01"), service}
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	if s.usage.counts == nil {
		s.usage.counts = map[usageKey]int64{}
	}
	if _, ok := s.usage.counts[k]; ok || len(s.usage.counts) < maxUsageKeys {
		s.usage.counts[k]++
	}
}

// FlushUsage adds the requests counted since the last flush to the store.
// Errors come from the store; the counts are kept for the next flush then.
func (s *Service) FlushUsage(ctx context.Context) error {
	s.usage.mu.Lock()
	counts := s.usage.counts
	s.usage.counts = nil
	s.usage.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	records := map[[2]string]map[string]int64{}
	for k, n := range counts {
		id := [2]string{k.account, k.month}
		if records[id] == nil {
			records[id] = map[string]int64{}
		}
		records[id][k.service] += n
	}
	err := s.store.Update(warden.Bookkeeping(ctx), func(tx warden.Tx) error {
		for id, add := range records {
			u, err := warden.Load[warden.Usage](ctx, tx, id[0], id[1])
			if warden.IsNotFound(err) {
				if err := warden.Insert(ctx, tx, &warden.Usage{Account: id[0], Month: id[1], Requests: add}); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if u.Requests == nil {
				u.Requests = map[string]int64{}
			}
			for svc, n := range add {
				u.Requests[svc] += n
			}
			if err := warden.Save(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.usage.mu.Lock()
		if s.usage.counts == nil {
			s.usage.counts = counts
		} else {
			for k, n := range counts {
				s.usage.counts[k] += n
			}
		}
		s.usage.mu.Unlock()
	}
	return err
}

// WatchUsage flushes the usage counts every interval until ctx ends, and
// once more then.
func (s *Service) WatchUsage(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.FlushUsage(context.WithoutCancel(ctx))
			return
		case <-t.C:
			s.FlushUsage(ctx)
		}
	}
}

type wUsageMonth struct {
	Month    string           `xml:"Month"`
	Services list[wUsageItem] `xml:"Services"`
	Total    int64            `xml:"Total"`
}

type wUsageItem struct {
	Service  string `xml:"Service"`
	Requests int64  `xml:"Requests"`
}

type getBillingSummaryOutput struct {
	Entities list[wUsageItem]  `xml:"Entities"`
	Usage    list[wUsageMonth] `xml:"Usage"`
}

// getBillingSummary is the account's "bill" as Warden can tell it: what the
// account holds and the API requests it made by month and service (the last
// twelve months). It is a billing action (aws-portal:ViewBilling), so IAM
// principals need both a policy allowing it and the account's billing-access
// setting on; root may always.
func (s *Service) getBillingSummary(ctx context.Context, p *warden.Principal, _ *emptyInput) (*getBillingSummaryOutput, error) {
	if err := s.authz.Authorize(ctx, p, authz.Request{Action: "aws-portal:ViewBilling", Resource: "*"}); err != nil {
		return nil, err
	}
	out := &getBillingSummaryOutput{}
	pending := map[string]map[string]int64{} // not yet flushed, this node
	s.usage.mu.Lock()
	for k, n := range s.usage.counts {
		if k.account == p.Account {
			if pending[k.month] == nil {
				pending[k.month] = map[string]int64{}
			}
			pending[k.month][k.service] += n
		}
	}
	s.usage.mu.Unlock()
	err := s.view(ctx, func(tx warden.Tx) error {
		for _, e := range []struct {
			name string
			kind warden.Kind
		}{{"Users", warden.KindUser}, {"Groups", warden.KindGroup}, {"Roles", warden.KindRole},
			{"Customer managed policies", warden.KindPolicy}, {"Instance profiles", warden.KindInstanceProfile}} {
			n, err := tx.Count(ctx, e.kind, p.Account)
			if err != nil {
				return err
			}
			out.Entities = append(out.Entities, wUsageItem{Service: e.name, Requests: int64(n)})
		}
		months, err := warden.LoadAll[warden.Usage](ctx, tx, p.Account, "", "", 0)
		if err != nil {
			return err
		}
		byMonth := map[string]map[string]int64{}
		for _, u := range months {
			byMonth[u.Month] = maps.Clone(u.Requests)
		}
		for m, add := range pending {
			if byMonth[m] == nil {
				byMonth[m] = map[string]int64{}
			}
			for svc, n := range add {
				byMonth[m][svc] += n
			}
		}
		keys := slices.Sorted(maps.Keys(byMonth))
		slices.Reverse(keys)
		for _, m := range keys[:min(12, len(keys))] {
			month := wUsageMonth{Month: m}
			for _, svc := range slices.Sorted(maps.Keys(byMonth[m])) {
				month.Services = append(month.Services, wUsageItem{Service: svc, Requests: byMonth[m][svc]})
				month.Total += byMonth[m][svc]
			}
			out.Usage = append(out.Usage, month)
		}
		return nil
	})
	return out, err
}
