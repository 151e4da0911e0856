package warden

import "time"

// KindCredentialReport holds an account's CredentialReport.
const KindCredentialReport Kind = "credreport"

// CredentialReport is the last credential report generated for an account:
// the CSV that GetCredentialReport returns, and when it was generated; and
// the generation running now, if any.
type CredentialReport struct {
	Account   string    `json:"account"`
	Generated time.Time `json:"generated"`
	Content   []byte    `json:"content"`
	// Started is when the generation running now began (on any node of a
	// deployment: the record is how nodes agree that one runs), zero when
	// none does.
	Started time.Time `json:"started,omitzero"`
}

func (r *CredentialReport) recordID() (Kind, string, string) {
	return KindCredentialReport, r.Account, "report"
}
