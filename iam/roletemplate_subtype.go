package iam

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	awsarn "github.com/warden-iam/warden/arn"
)

// Parameter sub types. The model's ParameterDefinition.SubType is a free
// string ("an optional subtype that further constrains the values that are
// allowed for the parameter", at most 256 characters) and AWS publishes no
// list of its values, so the set below is Warden's own, kept small and
// checked at start: a template naming a sub type Warden does not know is
// refused then, rather than letting every value through at AcquireRole.
//
//   - String, StringList: AccountId (12 digits), Region (us-east-1),
//     RoleName (an IAM role name), ServicePrincipal (lambda.amazonaws.com);
//   - Number, NumberList: Integer (a whole number);
//   - Arn, ArnList: SERVICE or SERVICE:RESOURCE-TYPE, such as s3, sqs,
//     iam:role or kms:key: the ARN's service, and the resource type its
//     resource starts with (iam:role takes arn:aws:iam::…:role/…).

// maxSubType is the model's length limit of ParameterDefinition.SubType.
const maxSubType = 256

var (
	accountIDRE        = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE           = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	roleNameValueRE    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	servicePrincipalRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com(\.cn)?$`)
	arnSubTypeRE       = regexp.MustCompile(`^([a-z0-9][a-z0-9-]*)(:([A-Za-z0-9][A-Za-z0-9-]*))?$`)
)

// subType is a parsed SubType: what a value must be, said for messages.
type subType struct {
	name  string
	what  string // "12-digit account IDs", for "Parameter X takes …"
	check func(string) bool
}

// stringSubTypes are the sub types of String and StringList parameters.
var stringSubTypes = map[string]subType{
	"AccountId":        {"AccountId", "12-digit AWS account IDs", accountIDRE.MatchString},
	"Region":           {"Region", "Region names such as us-east-1", regionRE.MatchString},
	"RoleName":         {"RoleName", "IAM role names (1 to 64 of the characters [A-Za-z0-9_+=,.@-])", roleNameValueRE.MatchString},
	"ServicePrincipal": {"ServicePrincipal", "service principals such as lambda.amazonaws.com", servicePrincipalRE.MatchString},
}

// parseSubType checks the SubType of d against its Type; "" has no
// constraint. The error says which sub types the type takes.
func parseSubType(d *ParameterDefinition) (*subType, error) {
	if d.SubType == "" {
		return nil, nil
	}
	if len(d.SubType) > maxSubType {
		return nil, fmt.Errorf("parameter %s: SubType is longer than %d characters", d.Name, maxSubType)
	}
	switch d.Type {
	case paramString, paramStringList:
		if st, ok := stringSubTypes[d.SubType]; ok {
			return &st, nil
		}
		return nil, fmt.Errorf("parameter %s: SubType %q is not one of AccountId, Region, RoleName, ServicePrincipal (the sub types of %s)", d.Name, d.SubType, d.Type)
	case paramNumber, paramNumberList:
		if d.SubType == "Integer" {
			return &subType{name: "Integer", what: "whole numbers", check: isInteger}, nil
		}
		return nil, fmt.Errorf("parameter %s: SubType %q is not Integer (the sub type of %s)", d.Name, d.SubType, d.Type)
	default: // Arn, ArnList
		m := arnSubTypeRE.FindStringSubmatch(d.SubType)
		if m == nil {
			return nil, fmt.Errorf("parameter %s: SubType %q of %s must be SERVICE or SERVICE:RESOURCE-TYPE, such as s3 or iam:role", d.Name, d.SubType, d.Type)
		}
		service, resourceType := m[1], m[3]
		what := "ARNs of the service " + service + " (arn:PARTITION:" + service + ":…)"
		if resourceType != "" {
			what = "ARNs of " + service + " " + resourceType + " resources (arn:PARTITION:" + service + ":REGION:ACCOUNT:" + resourceType + "/… or :…)"
		}
		return &subType{name: d.SubType, what: what, check: func(v string) bool {
			a, err := awsarn.Parse(v)
			if err != nil || a.Service != service {
				return false
			}
			if resourceType == "" {
				return true
			}
			rest, ok := strings.CutPrefix(a.Resource, resourceType)
			return ok && len(rest) > 1 && (rest[0] == '/' || rest[0] == ':')
		}}, nil
	}
}

func isInteger(v string) bool {
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}

// subTypeSample is a value of d's sub type for checking a template at
// start, or "" when d has none.
func subTypeSample(d *ParameterDefinition) string {
	switch d.SubType {
	case "":
		return ""
	case "AccountId":
		return "111111111111"
	case "Region":
		return "us-east-1"
	case "RoleName":
		return "sample-role"
	case "ServicePrincipal":
		return "ec2.amazonaws.com"
	case "Integer":
		return "1"
	}
	service, resourceType, _ := strings.Cut(d.SubType, ":")
	region, account := "us-east-1", "111111111111"
	switch service {
	case "iam", "sts", "organizations", "route53", "cloudfront":
		region = "" // global services
	case "s3":
		region, account = "", ""
	}
	resource := "sample"
	if resourceType != "" {
		resource = resourceType + "/sample"
	}
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}
