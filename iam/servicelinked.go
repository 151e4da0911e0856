package iam

import (
	"context"
	"crypto/rand"
	"fmt"
	"regexp"
	"strings"

	"github.com/warden-iam/warden"
)

// linkedService is what IAM knows of a service that has service-linked
// roles: the role name it gets and whether CreateServiceLinkedRole may add a
// CustomSuffix to it.
type linkedService struct {
	roleName string
	noSuffix bool
}

// linkedServices names the roles of well-known services as AWS does. Other
// well-formed service principals get a name derived from the principal (see
// linkedRoleName), so that local stacks using newer services keep working.
var linkedServices = map[string]linkedService{
	"autoscaling.amazonaws.com":          {roleName: "AWSServiceRoleForAutoScaling"},
	"elasticbeanstalk.amazonaws.com":     {roleName: "AWSServiceRoleForElasticBeanstalk"},
	"ecs.amazonaws.com":                  {roleName: "AWSServiceRoleForECS", noSuffix: true},
	"es.amazonaws.com":                   {roleName: "AWSServiceRoleForAmazonElasticsearchService", noSuffix: true},
	"opensearchservice.amazonaws.com":    {roleName: "AWSServiceRoleForAmazonOpenSearchService", noSuffix: true},
	"eks.amazonaws.com":                  {roleName: "AWSServiceRoleForAmazonEKS", noSuffix: true},
	"eks-nodegroup.amazonaws.com":        {roleName: "AWSServiceRoleForAmazonEKSNodegroup", noSuffix: true},
	"elasticloadbalancing.amazonaws.com": {roleName: "AWSServiceRoleForElasticLoadBalancing", noSuffix: true},
	"rds.amazonaws.com":                  {roleName: "AWSServiceRoleForRDS", noSuffix: true},
	"spot.amazonaws.com":                 {roleName: "AWSServiceRoleForEC2Spot", noSuffix: true},
	"spotfleet.amazonaws.com":            {roleName: "AWSServiceRoleForEC2SpotFleet", noSuffix: true},
	"elasticache.amazonaws.com":          {roleName: "AWSServiceRoleForElastiCache", noSuffix: true},
	"redshift.amazonaws.com":             {roleName: "AWSServiceRoleForRedshift", noSuffix: true},
	"organizations.amazonaws.com":        {roleName: "AWSServiceRoleForOrganizations", noSuffix: true},
	"support.amazonaws.com":              {roleName: "AWSServiceRoleForSupport", noSuffix: true},
	"trustedadvisor.amazonaws.com":       {roleName: "AWSServiceRoleForTrustedAdvisor", noSuffix: true},
	"config.amazonaws.com":               {roleName: "AWSServiceRoleForConfig", noSuffix: true},
	"cloudtrail.amazonaws.com":           {roleName: "AWSServiceRoleForCloudTrail", noSuffix: true},
	"guardduty.amazonaws.com":            {roleName: "AWSServiceRoleForAmazonGuardDuty", noSuffix: true},
	"securityhub.amazonaws.com":          {roleName: "AWSServiceRoleForSecurityHub", noSuffix: true},
	"ssm.amazonaws.com":                  {roleName: "AWSServiceRoleForAmazonSSM", noSuffix: true},
	"sso.amazonaws.com":                  {roleName: "AWSServiceRoleForSSO", noSuffix: true},
	// Application Auto Scaling names one role per scalable target type
	// (docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html).
	"appstream.application-autoscaling.amazonaws.com":       {roleName: "AWSServiceRoleForApplicationAutoScaling_AppStreamFleet", noSuffix: true},
	"cassandra.application-autoscaling.amazonaws.com":       {roleName: "AWSServiceRoleForApplicationAutoScaling_CassandraTable", noSuffix: true},
	"comprehend.application-autoscaling.amazonaws.com":      {roleName: "AWSServiceRoleForApplicationAutoScaling_ComprehendEndpoint", noSuffix: true},
	"custom-resource.application-autoscaling.amazonaws.com": {roleName: "AWSServiceRoleForApplicationAutoScaling_CustomResource", noSuffix: true},
	"dynamodb.application-autoscaling.amazonaws.com":        {roleName: "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", noSuffix: true},
	"ec2.application-autoscaling.amazonaws.com":             {roleName: "AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest", noSuffix: true},
	"ecs.application-autoscaling.amazonaws.com":             {roleName: "AWSServiceRoleForApplicationAutoScaling_ECSService", noSuffix: true},
	"elasticache.application-autoscaling.amazonaws.com":     {roleName: "AWSServiceRoleForApplicationAutoScaling_ElastiCacheRG", noSuffix: true},
	"kafka.application-autoscaling.amazonaws.com":           {roleName: "AWSServiceRoleForApplicationAutoScaling_KafkaCluster", noSuffix: true},
	"lambda.application-autoscaling.amazonaws.com":          {roleName: "AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency", noSuffix: true},
	"rds.application-autoscaling.amazonaws.com":             {roleName: "AWSServiceRoleForApplicationAutoScaling_RDSCluster", noSuffix: true},
	"sagemaker.application-autoscaling.amazonaws.com":       {roleName: "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint", noSuffix: true},
	// Services whose role name is not their principal's (each service's
	// "Using service-linked roles" page names it).
	"access-analyzer.amazonaws.com":      {roleName: "AWSServiceRoleForAccessAnalyzer", noSuffix: true},
	"backup.amazonaws.com":               {roleName: "AWSServiceRoleForBackup", noSuffix: true},
	"dax.amazonaws.com":                  {roleName: "AWSServiceRoleForDAX", noSuffix: true},
	"elasticfilesystem.amazonaws.com":    {roleName: "AWSServiceRoleForAmazonElasticFileSystem", noSuffix: true},
	"elasticmapreduce.amazonaws.com":     {roleName: "AWSServiceRoleForEMRCleanup", noSuffix: true},
	"fsx.amazonaws.com":                  {roleName: "AWSServiceRoleForAmazonFSx", noSuffix: true},
	"globalaccelerator.amazonaws.com":    {roleName: "AWSServiceRoleForGlobalAccelerator", noSuffix: true},
	"inspector2.amazonaws.com":           {roleName: "AWSServiceRoleForAmazonInspector2", noSuffix: true},
	"kafka.amazonaws.com":                {roleName: "AWSServiceRoleForKafka", noSuffix: true},
	"lex.amazonaws.com":                  {roleName: "AWSServiceRoleForLexBots", noSuffix: true},
	"channels.lex.amazonaws.com":         {roleName: "AWSServiceRoleForLexChannels", noSuffix: true},
	"lexv2.amazonaws.com":                {roleName: "AWSServiceRoleForLexV2Bots"},
	"ops.apigateway.amazonaws.com":       {roleName: "AWSServiceRoleForAPIGateway", noSuffix: true},
	"replication.dynamodb.amazonaws.com": {roleName: "AWSServiceRoleForDynamoDBReplication", noSuffix: true},
	"transitgateway.amazonaws.com":       {roleName: "AWSServiceRoleForVPCTransitGateway", noSuffix: true},
	"ec2scheduled.amazonaws.com":         {roleName: "AWSServiceRoleForEC2Scheduled", noSuffix: true},
}

// servicePrincipal is the shape of an AWS service principal:
// name.amazonaws.com, where name may itself be dotted
// (dynamodb.application-autoscaling.amazonaws.com).
var servicePrincipal = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com$`)

// linkedRoleName returns the service-linked role name of a service principal,
// without suffix, and whether the service takes a CustomSuffix.
func linkedRoleName(service string) (name string, suffixOK bool, ok bool) {
	if ls, known := linkedServices[service]; known {
		return ls.roleName, !ls.noSuffix, true
	}
	if !servicePrincipal.MatchString(service) {
		return "", false, false
	}
	// elastic-foo.bar.amazonaws.com -> AWSServiceRoleForElasticFooBar
	var b strings.Builder
	b.WriteString("AWSServiceRoleFor")
	for _, part := range strings.FieldsFunc(strings.TrimSuffix(service, ".amazonaws.com"), func(r rune) bool { return r == '.' || r == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	name = b.String()
	if len(name) > 64 {
		return "", false, false
	}
	return name, true, true
}

// linkedTrustPolicy lets the service, and only it, assume its role.
func linkedTrustPolicy(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service +
		`"},"Action":"sts:AssumeRole"}]}`
}

type createServiceLinkedRoleInput struct {
	AWSServiceName string
	Description    string
	CustomSuffix   string
}

func (s *Service) createServiceLinkedRole(ctx context.Context, p *warden.Principal, in *createServiceLinkedRoleInput) (*roleOutput, error) {
	name, suffixOK, ok := linkedRoleName(in.AWSServiceName)
	if !ok {
		return nil, invalidInput("Invalid service name: %s. The name must be the service principal of an AWS service, such as elasticbeanstalk.amazonaws.com.", in.AWSServiceName)
	}
	if in.CustomSuffix != "" {
		if !suffixOK {
			return nil, invalidInput("Custom suffix is not allowed for %s", in.AWSServiceName)
		}
		name += "_" + in.CustomSuffix
		if len(name) > 64 {
			return nil, invalidInput("The role name %s formed with the custom suffix is longer than 64 characters.", name)
		}
	}
	path := serviceRolePath + in.AWSServiceName + "/"
	target := arn(p.Account, "role", path, name)
	if err := s.authorize(ctx, p, "CreateServiceLinkedRole", target, map[string][]string{"iam:AWSServiceName": {in.AWSServiceName}}); err != nil {
		return nil, err
	}
	r := &warden.Role{Account: p.Account, ID: s.NewID("AROA", 21), Name: name, Path: path, CreateDate: s.now(),
		AssumeRolePolicyDocument: linkedTrustPolicy(in.AWSServiceName), Description: in.Description,
		MaxSessionDuration: warden.DefaultMaxSessionDuration, ServiceName: in.AWSServiceName}
	err := s.update(ctx, p, "CreateServiceLinkedRole", target, func(tx warden.Tx) error {
		err := s.insertRole(ctx, tx, r)
		if warden.ErrorCode(err) == warden.CodeEntityAlreadyExists {
			return invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &roleOutput{Role: roleOut(r, roleCreated)}, nil
}

type deleteServiceLinkedRoleOutput struct {
	DeletionTaskID string `xml:"DeletionTaskId"`
}

// deleteServiceLinkedRole runs the deletion at once and records the outcome
// for GetServiceLinkedRoleDeletionStatus: the role goes unless its service
// still uses it, which for Warden means an instance profile still holds it.
func (s *Service) deleteServiceLinkedRole(ctx context.Context, p *warden.Principal, in *roleNameInput) (*deleteServiceLinkedRoleOutput, error) {
	var task *warden.RoleDeletion
	err := s.store.Update(ctx, func(tx warden.Tx) error {
		r, err := s.roleFor(ctx, tx, p, "DeleteServiceLinkedRole", in.RoleName, nil)
		if err != nil {
			return err
		}
		if !r.ServiceLinked() {
			return noSuchEntity("Role %s is not a service-linked role.", r.Name)
		}
		task = &warden.RoleDeletion{Account: p.Account, ID: "task" + r.Path + r.Name + "/" + newUUID(), RoleName: r.Name,
			Status: warden.DeletionSucceeded, CreateDate: s.now()}
		profiles, err := profilesOf(ctx, tx, p.Account, r.Name)
		if err != nil {
			return err
		}
		if len(profiles) > 0 {
			task.Status = warden.DeletionFailed
			task.Reason = fmt.Sprintf("The service-linked role %s is still in use by %d instance profile(s). Remove the role from them and try again.", r.Name, len(profiles))
			for _, ip := range profiles {
				task.Resources = append(task.Resources, ip.ARN())
			}
		} else {
			if err := s.removeRole(ctx, tx, r); err != nil {
				return err
			}
		}
		if err := warden.Insert(ctx, tx, task); err != nil {
			return err
		}
		return s.auditIn(ctx, tx, p, "DeleteServiceLinkedRole", r.ARN())
	})
	if err != nil {
		return nil, err
	}
	return &deleteServiceLinkedRoleOutput{DeletionTaskID: task.ID}, nil
}

// newUUID returns a random (version 4) UUID, the last part of a deletion task ID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

type deletionStatusInput struct {
	DeletionTaskId string
}

type wRoleUsage struct {
	Region    string       `xml:"Region"`
	Resources list[string] `xml:"Resources"`
}

type wDeletionFailure struct {
	Reason        string           `xml:"Reason,omitempty"`
	RoleUsageList list[wRoleUsage] `xml:"RoleUsageList"`
}

type deletionStatusOutput struct {
	Status string            `xml:"Status"`
	Reason *wDeletionFailure `xml:"Reason,omitempty"`
}

// usageRegion is the region reported for resources that hold a
// service-linked role: instance profiles, like all of IAM, are global, and
// AWS reports IAM's global resources in us-east-1.
const usageRegion = "us-east-1"

func (s *Service) getServiceLinkedRoleDeletionStatus(ctx context.Context, p *warden.Principal, in *deletionStatusInput) (*deletionStatusOutput, error) {
	// task/aws-service-role/<service>/<role>/<uuid>: the role's ARN is
	// the resource the caller must be allowed to read the status of.
	rest, ok := strings.CutPrefix(in.DeletionTaskId, "task"+serviceRolePath)
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, invalidInput("Invalid deletion task id: %s", in.DeletionTaskId)
	}
	target := arn(p.Account, "role", serviceRolePath+parts[0]+"/", parts[1])
	if err := s.authorize(ctx, p, "GetServiceLinkedRoleDeletionStatus", target, nil); err != nil {
		return nil, err
	}
	var task *warden.RoleDeletion
	err := s.view(ctx, func(tx warden.Tx) (err error) {
		task, err = warden.Load[warden.RoleDeletion](ctx, tx, p.Account, in.DeletionTaskId)
		return notFoundAs(err, noSuchEntity("Deletion task %s cannot be found.", in.DeletionTaskId))
	})
	if err != nil {
		return nil, err
	}
	out := &deletionStatusOutput{Status: string(task.Status)}
	if task.Status == warden.DeletionFailed {
		out.Reason = &wDeletionFailure{Reason: task.Reason, RoleUsageList: list[wRoleUsage]{}}
		if len(task.Resources) > 0 {
			out.Reason.RoleUsageList = append(out.Reason.RoleUsageList, wRoleUsage{Region: usageRegion, Resources: task.Resources})
		}
	}
	return out, nil
}
