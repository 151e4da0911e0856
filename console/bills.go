package console

import "net/http"

// Bills: the account's usage, as Warden can tell it. It is a billing page:
// root may always open it; IAM users only when root has activated IAM access
// to billing information and their policies allow aws-portal:ViewBilling —
// the operation behind it decides, as on AWS.

type billsResult struct {
	Entities []struct {
		Name  string `xml:"Service"`
		Count int64  `xml:"Requests"`
	} `xml:"Entities>member"`
	Usage []struct {
		Month    string `xml:"Month"`
		Total    int64  `xml:"Total"`
		Services []struct {
			Service  string `xml:"Service"`
			Requests int64  `xml:"Requests"`
		} `xml:"Services>member"`
	} `xml:"Usage>member"`
}

func (c *Console) billsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	var res billsResult
	if err := c.call(r.Context(), &v.p, "GetBillingSummary", nil, &res); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "bills.html", &view{Title: "Bills", Nav: "bills", Who: whoOf(v), Data: res})
}
