package warden

// KindUsage holds Usage records: API requests by service, per account and
// month, keyed "YYYY-MM". They decide no access.
const KindUsage Kind = "usage"

// Usage counts the API requests an account's principals made in one month,
// by service (iam, sts, ...), for the billing pages.
type Usage struct {
	Account  string           `json:"account"`
	Month    string           `json:"month"` // YYYY-MM, UTC
	Requests map[string]int64 `json:"requests"`
}

func (u *Usage) recordID() (Kind, string, string) { return KindUsage, u.Account, u.Month }
