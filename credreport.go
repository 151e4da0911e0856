package warden

import "time"

// KindCredentialReport holds an account's CredentialReport.
const KindCredentialReport Kind = "credreport"

// CredentialReport is the last credential report generated for an account:
// the CSV that GetCredentialReport returns, and when it was generated.
type CredentialReport struct {
	Account   string    `json:"account"`
	Generated time.Time `json:"generated"`
	Content   []byte    `json:"content"`
}

func (r *CredentialReport) recordID() (Kind, string, string) {
	return KindCredentialReport, r.Account, "report"
}
