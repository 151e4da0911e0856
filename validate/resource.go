package validate

import (
	"slices"
	"strconv"
	"strings"

	"github.com/warden-iam/warden/servicedata"
)

// partitions are the AWS partitions an ARN may name.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true, "aws-iso-e": true,
	"aws-iso-f": true, "aws-eusc": true,
}

// arnSections cuts an ARN pattern at its first five colons, ignoring those
// inside policy variables (${aws:username}). n is how many sections it has.
func arnSections(s string) (secs [6]string, n int) {
	start := 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				i += end
				continue
			}
		}
		if s[i] == ':' {
			secs[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	secs[n] = s[start:]
	return secs, n + 1
}

// literal reports whether an ARN section has neither wildcards nor
// variables.
func literal(sec string) bool { return !strings.ContainsAny(sec, "*?") && !strings.Contains(sec, "${") }

// resourceChecks checks the Resource or NotResource values of a statement.
func (c *checker) resourceChecks(s *statement) {
	ok := make([]bool, len(s.resources))
	for i, it := range s.resources {
		ok[i] = c.resource(it)
	}
	c.redundantResources(s, ok)
	c.resourceTypes(s, ok)
}

// resource checks one Resource value and reports whether it is an ARN that
// fits some resource type of its service (or of an unknown service).
func (c *checker) resource(it item) bool {
	r := it.text
	if r == "*" {
		return true
	}
	if !c.variables(it) {
		return false
	}
	if !strings.HasPrefix(r, "arn:") {
		c.report("INVALID_ARN_PREFIX", "Add the required prefix (arn) to the resource ARN.", it.at())
		return false
	}
	secs, n := arnSections(r)
	if n < 6 || secs[1] == "" || secs[2] == "" || secs[5] == "" {
		c.report("MISSING_ARN_FIELD", "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource", it.at())
		return false
	}
	partition, service, region, account := secs[1], secs[2], secs[3], secs[4]
	if !literal(service) {
		c.report("WILDCARD_IN_SERVICE_NAME", "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.", it.at())
		return true
	}
	if literal(partition) && !partitions[partition] {
		c.report("INVALID_PARTITION", "The resource ARN for the service "+service+" does not support the partition "+partition+
			". Use the supported values: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc", it.at())
		return false
	}
	if strings.ToLower(service) != service {
		c.report("INVALID_ARN_SERVICE_CASE", "Update the service name "+service+" in the resource ARN to use all lowercase letters.", it.at())
		return false
	}
	if c.ref == nil {
		return true
	}
	hasRegion, hasAccount, known := c.ref.ARNSections(service)
	if !known {
		return true // not a service of the reference: RESOURCE_TYPE_MISMATCH says more
	}
	good := true
	switch {
	case region == "" && hasRegion == servicedata.Always:
		c.report("MISSING_ARN_REGION", "Add a Region to the "+service+" resource ARN.", it.at())
		good = false
	case region != "" && literal(region) && hasRegion == servicedata.Never:
		c.report("ARN_REGION_NOT_ALLOWED", "The service "+service+" does not support specifying a Region in the resource ARN.", it.at())
		good = false
	case region != "" && literal(region) && !validRegion(region):
		c.report("INVALID_ARN_REGION", "The Region "+region+" is not valid for this resource. Update the resource ARN to include a supported Region.", it.at())
		good = false
	}
	switch {
	case account == "" && hasAccount == servicedata.Always:
		c.report("MISSING_ARN_ACCOUNT", "Add an account ID to the "+service+" resource ARN.", it.at())
		good = false
	case account != "" && literal(account) && hasAccount == servicedata.Never:
		c.report("ARN_ACCOUNT_NOT_ALLOWED", "The service "+service+" does not support specifying an account ID in the resource ARN.", it.at())
		good = false
	case account != "" && literal(account) && !isAccountID(account) && account != "aws":
		c.report("INVALID_ARN_ACCOUNT", "The resource ARN account ID "+account+" is not valid. Provide a 12-digit account ID.", it.at())
		good = false
	}
	if !good {
		return false
	}
	if len(c.ref.ResourceTypes(loose(secs))) == 0 {
		c.report("INVALID_ARN_RESOURCE", "Resource ARN does not match the expected ARN format. Update the resource portion of the ARN.", it.at())
		return false
	}
	return true
}

// loose is an ARN with its partition, region and account left open, for
// matching the resource part alone: the other sections have their own
// checks.
func loose(secs [6]string) string {
	return "arn:*:" + secs[2] + ":*:*:" + secs[5]
}

// validRegion reports whether s reads like an AWS Region code (us-east-1,
// us-gov-west-1, cn-north-1, eu-isoe-west-1).
func validRegion(s string) bool {
	if s == "aws-global" {
		return true
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < 'a' || p[i] > 'z' {
				return false
			}
		}
	}
	_, err := strconv.Atoi(parts[len(parts)-1])
	return err == nil
}

// redundantResources reports resources that another resource of the
// statement already covers.
func (c *checker) redundantResources(s *statement, ok []bool) {
	if len(s.resources) > maxCompared {
		return
	}
	var redundant []item
	for i, a := range s.resources {
		if !ok[i] {
			continue
		}
		for j, b := range s.resources {
			if i == j || !ok[j] || !arnSubset(a.text, b.text) {
				continue
			}
			if !arnSubset(b.text, a.text) || j < i {
				redundant = append(redundant, a)
				break
			}
		}
	}
	if len(redundant) == 0 {
		return
	}
	locs := make([]at, len(redundant))
	for i, it := range redundant {
		locs[i] = it.at()
	}
	c.report("REDUNDANT_RESOURCE", "The "+strconv.Itoa(len(redundant))+
		" resource ARN(s) are redundant because they reference the same resource. Review the use of wildcards (*)", locs...)
}

// arnSubset reports whether every ARN that pattern a matches is matched by
// pattern b too, section by section as IAM matches ARNs. It may answer false
// for a subset that only a cleverer comparison would find; never true for one
// that is not.
func arnSubset(a, b string) bool {
	if b == "*" {
		return true
	}
	if a == "*" {
		return false
	}
	as, an := arnSections(a)
	bs, bn := arnSections(b)
	if an != 6 || bn != 6 {
		return a == b
	}
	for i := range as {
		if !globSubset(as[i], bs[i]) {
			return false
		}
	}
	return true
}

// globSubset reports whether every string matching pattern a also matches
// pattern b, where '*' matches any run and '?' one character. A '*' of a can
// only be matched by a '*' of b; a '?' of a by '?' or '*'. Policy variables
// are compared as literal text.
func globSubset(a, b string) bool {
	if (len(a)+1)*(len(b)+1) > 1<<20 {
		return a == b // too long to compare cleverly
	}
	w := len(b) + 1
	memo := make([]int8, (len(a)+1)*w) // 0 unknown, 1 true, 2 false
	var sub func(i, j int) bool
	sub = func(i, j int) bool {
		k := i*w + j
		if memo[k] != 0 {
			return memo[k] == 1
		}
		var r bool
		switch {
		case j == len(b):
			r = i == len(a)
		case b[j] == '*':
			// b's star absorbs nothing, or one more element of a.
			r = sub(i, j+1) || i < len(a) && sub(i+1, j)
		case i == len(a):
			r = false
		case b[j] == '?':
			r = a[i] != '*' && sub(i+1, j+1)
		default:
			r = a[i] == b[j] && sub(i+1, j+1)
		}
		if r {
			memo[k] = 1
		} else {
			memo[k] = 2
		}
		return r
	}
	return sub(0, 0)
}

// resourceTypes reports resources that fit no resource type of the
// statement's actions, so that the statement never applies to them.
func (c *checker) resourceTypes(s *statement, ok []bool) {
	if c.ref == nil || s.notAction() || s.notResource() || len(s.actions) == 0 || len(s.resources) > maxCompared {
		return
	}
	types := map[*servicedata.ResourceType]bool{}
	var actions []string
	for _, it := range s.actions {
		if it.text == "*" {
			return
		}
		prefix, name, _ := strings.Cut(it.text, ":")
		svc := c.ref.Service(prefix)
		if svc == nil {
			continue
		}
		matched := svc.Match(name)
		for _, a := range matched {
			for _, ar := range a.Resources {
				types[ar.Type] = true
			}
		}
		if len(matched) > 0 {
			actions = append(actions, it.text)
		}
	}
	if len(actions) == 0 {
		return // no known action: INVALID_ACTION said it all
	}
	for i, it := range s.resources {
		if !ok[i] || it.text == "*" {
			continue
		}
		secs, n := arnSections(it.text)
		if n != 6 {
			continue
		}
		p, compiled := servicedata.CompileARN("arn:" + secs[1] + ":" + secs[2] + ":*:*:" + secs[5])
		if !compiled {
			continue
		}
		fits := false
		for rt := range types {
			if rt.MatchesPattern(p) {
				fits = true
				break
			}
		}
		if fits {
			continue
		}
		if len(types) == 0 {
			c.report("RESOURCE_TYPE_MISMATCH", "The resource "+it.text+" does not apply to "+list(actions)+
				": they act on no resource type and need \"Resource\": \"*\". The statement never allows them on this resource.", it.at())
			continue
		}
		c.report("RESOURCE_TYPE_MISMATCH", "The resource "+it.text+" does not match any resource type of "+list(actions)+
			" ("+typeNames(types)+"). The statement never applies to it: check the resource ARN or the actions.", it.at())
	}
}

// list writes up to three names, then how many more.
func list(names []string) string {
	const most = 3
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:most], ", ") + " and " + strconv.Itoa(len(names)-most) + " more"
}

// typeNames lists resource types as service:type, sorted, up to five.
func typeNames(types map[*servicedata.ResourceType]bool) string {
	var names []string
	for rt := range types {
		names = append(names, rt.Service.Prefix+" "+rt.Name)
	}
	slices.Sort(names)
	const most = 5
	if len(names) > most {
		return strings.Join(names[:most], ", ") + " and " + strconv.Itoa(len(names)-most) + " more"
	}
	return strings.Join(names, ", ")
}
