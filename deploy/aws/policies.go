// Package aws holds the AWS policies an otelcol-audit deployment needs, as the JSON files of
// this directory (see README.md), and fills in their ${PLACEHOLDERS}. The files are embedded,
// so that the tests apply to a real S3 server exactly what customers are told to apply: there
// is no second copy of a policy in the code.
//
// Importers name the package deployaws, to keep it apart from the AWS SDK.
package aws

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The policy files of this directory.
const (
	// CollectorRolePolicy is the collector's own IAM role: assume customers' roles, write the
	// vendor's own buckets.
	CollectorRolePolicy = "collector-role-policy.json"
	// BucketPolicyFourPermissions is the bucket policy a customer applies, GoodData style:
	// s3:PutObject, s3:GetBucketLocation, s3:AbortMultipartUpload, s3:ListBucket.
	BucketPolicyFourPermissions = "bucket-policy-four-permissions.json"
	// CustomerRolePolicyFourPermissions is the same four permissions as an IAM policy of a
	// role in the customer's account.
	CustomerRolePolicyFourPermissions = "customer-role-policy-four-permissions.json"
	// CustomerRolePolicyPutObjectOnly is an Airkit-style role's IAM policy: s3:PutObject alone.
	CustomerRolePolicyPutObjectOnly = "customer-role-policy-putobject-only.json"
	// CustomerRoleTrustPolicy lets the vendor's collector role assume the customer's role
	// with an external id.
	CustomerRoleTrustPolicy = "customer-role-trust-policy.json"
)

//go:embed *.json
var files embed.FS

// placeholder is ${NAME} with an upper-case name; IAM's own policy variables (${aws:username})
// have a colon and are left alone.
var placeholder = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)\}`)

// Names lists the policy files.
func Names() []string {
	entries, _ := fs.Glob(files, "*.json")
	sort.Strings(entries)
	return entries
}

// Raw returns the file as it is, placeholders and all.
func Raw(name string) ([]byte, error) {
	return files.ReadFile(name)
}

// Placeholders lists the placeholders name uses, sorted.
func Placeholders(name string) ([]string, error) {
	raw, err := Raw(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out, nil
}

// Render returns the policy name with every placeholder replaced by its value in vars
// (values are JSON-escaped). A placeholder without a value is an error, as is a result that
// is not JSON.
func Render(name string, vars map[string]string) (string, error) {
	raw, err := Raw(name)
	if err != nil {
		return "", err
	}
	var missing []string
	out := placeholder.ReplaceAllStringFunc(string(raw), func(m string) string {
		key := m[2 : len(m)-1]
		v, ok := vars[key]
		if !ok {
			if !slices.Contains(missing, key) {
				missing = append(missing, key)
			}
			return m
		}
		quoted, _ := json.Marshal(v)
		return string(quoted[1 : len(quoted)-1])
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: no value for %s", name, strings.Join(missing, ", "))
	}
	if !json.Valid([]byte(out)) {
		return "", fmt.Errorf("%s: not JSON once rendered", name)
	}
	return out, nil
}

// AsBucketPolicy renders the IAM policy name and gives each of its statements principal, so
// that an identity policy can be tried as a bucket policy on an S3 server without IAM roles
// (versitygw in tests): the same actions on the same resources, for one principal.
func AsBucketPolicy(name, principal string, vars map[string]string) (string, error) {
	rendered, err := Render(name, vars)
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(rendered), &doc); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	statements, ok := doc["Statement"].([]any)
	if !ok {
		return "", fmt.Errorf("%s: Statement is not a list", name)
	}
	for _, s := range statements {
		st, ok := s.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%s: a statement is not an object", name)
		}
		if _, has := st["Principal"]; has {
			return "", errors.New(name + ": already has a Principal; it is a resource policy")
		}
		st["Principal"] = map[string]any{"AWS": principal}
	}
	out, err := json.Marshal(doc)
	return string(out), err
}
