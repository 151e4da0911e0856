package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// auditRetentionInterval is how often serve prunes audit events older than
// --audit-retention.
const auditRetentionInterval = time.Hour

// retention is the value of --audit-retention: a number of days ("90d"), a
// Go duration ("36h"), or 0 to keep audit events forever.
type retention time.Duration

func (r *retention) String() string {
	d := time.Duration(*r)
	if d == 0 {
		return "0"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func (r *retention) Set(s string) error {
	var d time.Duration
	switch {
	case s == "0":
	case strings.HasSuffix(s, "d"):
		n, err := strconv.ParseUint(strings.TrimSuffix(s, "d"), 10, 16)
		if err != nil {
			return fmt.Errorf("audit retention %q: want days (90d), a duration (36h) or 0", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	default:
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return fmt.Errorf("audit retention %q: want days (90d), a duration (36h) or 0", s)
		}
	}
	*r = retention(d)
	return nil
}
