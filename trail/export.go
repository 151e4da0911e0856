package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/warden-iam/warden"
)

// exportPeriod is how much time one log file covers, per account: CloudTrail
// delivers a file about every five minutes.
const exportPeriod = 5 * time.Minute

// exportDelay is how long after a window ends it is exported, so that the
// events other nodes buffered for it have been written.
const exportDelay = time.Minute

// window returns the start of the five-minute window holding t.
func window(t time.Time) time.Time { return t.UTC().Truncate(exportPeriod) }

// exportDue exports every finished window since the last one exported.
func (r *Recorder) exportDue(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	from := r.exported
	r.mu.Unlock()
	for w := from; !w.Add(exportPeriod + exportDelay).After(now); w = w.Add(exportPeriod) {
		if _, err := r.Export(ctx, w); err != nil {
			return err
		}
		r.mu.Lock()
		r.exported = w.Add(exportPeriod)
		r.mu.Unlock()
	}
	return nil
}

// Export writes the CloudTrail log files of the five-minute window starting
// at start into ExportDir, one gzip JSON file ({"Records":[...]}) per account
// with events in it, at CloudTrail's path
// AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_ID.json.gz.
// File names depend only on account and window, so nodes exporting the same
// window write the same file. It returns the paths written.
func (r *Recorder) Export(ctx context.Context, start time.Time) ([]string, error) {
	start = window(start)
	end := start.Add(exportPeriod)
	byAccount := map[string][]json.RawMessage{}
	var order []string
	q := warden.EventQuery{Start: start, End: end, Oldest: true, Limit: 5000}
	for {
		events, err := r.log.LookupEvents(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if _, ok := byAccount[e.Account]; !ok {
				order = append(order, e.Account)
			}
			byAccount[e.Account] = append(byAccount[e.Account], e.Record)
		}
		if len(events) < q.Limit {
			break
		}
		last := events[len(events)-1]
		q.AfterTime, q.AfterID = last.Time, last.ID
	}
	var paths []string
	for _, account := range order {
		if account == "" {
			continue
		}
		path, err := r.writeLogFile(account, start, byAccount[account])
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func (r *Recorder) writeLogFile(account string, start time.Time, records []json.RawMessage) (string, error) {
	region := r.opts.Region
	sum := sha256.Sum256([]byte(account + start.Format(time.RFC3339)))
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, start.Format("20060102T1504Z"),
		hex.EncodeToString(sum[:8]))
	dir := filepath.Join(r.opts.ExportDir, "AWSLogs", account, "CloudTrail", region, start.Format("2006"),
		start.Format("01"), start.Format("02"))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(struct {
		Records []json.RawMessage `json:"Records"`
	}{records}); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".export-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body.Bytes()); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(0o640); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}
