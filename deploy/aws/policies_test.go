package aws

import (
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sampleVars = map[string]string{
	"BUCKET":                  "acme-audit-logs",
	"VENDOR_PRINCIPAL":        "arn:aws:iam::999988887777:role/otelcol-audit",
	"VENDOR_ACCOUNT_ID":       "999988887777",
	"VENDOR_ROLE_NAME":        "otelcol-audit",
	"EXTERNAL_ID":             "acme-7f3c9e2a41d8",
	"CUSTOMER_ROLE_PATH":      "auditship/",
	"CUSTOMER_ROLE_TAG_KEY":   "audit-log-vendor",
	"CUSTOMER_ROLE_TAG_VALUE": "example-saas",
	"VENDOR_BUCKET":           "example-saas-audit",
}

type statement struct {
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func statements(t *testing.T, name string) []statement {
	t.Helper()
	out, err := Render(name, sampleVars)
	require.NoError(t, err)
	var doc struct {
		Version   string
		Statement []statement
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), name)
	assert.Equal(t, "2012-10-17", doc.Version, name)
	require.NotEmpty(t, doc.Statement, name)
	return doc.Statement
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

func actions(sts []statement) []string {
	var out []string
	for _, s := range sts {
		out = append(out, strs(s.Action)...)
	}
	sort.Strings(out)
	return out
}

func TestEveryFileRendersAndIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	names := Names()
	require.Len(t, names, 5)
	for _, name := range names {
		assert.Contains(t, string(readme), "("+name+")", "README links %s", name)
		ph, err := Placeholders(name)
		require.NoError(t, err)
		for _, p := range ph {
			assert.Contains(t, string(readme), "`${"+p+"}`", "README documents %s of %s", p, name)
			assert.Contains(t, sampleVars, p)
		}
		for _, s := range statements(t, name) {
			assert.Equal(t, "Allow", s.Effect, name)
			for _, a := range strs(s.Action) {
				assert.NotContains(t, []string{"s3:GetObject", "s3:PutObjectAcl", "s3:DeleteObject", "s3:*", "*"}, a, name)
			}
		}
	}
}

func TestBucketPolicyHasExactlyTheFourPermissions(t *testing.T) {
	sts := statements(t, BucketPolicyFourPermissions)
	assert.Equal(t, []string{"s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject"}, actions(sts))
	for _, s := range sts {
		assert.Equal(t, map[string]any{"AWS": sampleVars["VENDOR_PRINCIPAL"]}, s.Principal)
		for _, r := range strs(s.Resource) {
			assert.True(t, strings.HasPrefix(r, "arn:aws:s3:::acme-audit-logs"), r)
		}
	}
	assert.Equal(t, actions(sts), actions(statements(t, CustomerRolePolicyFourPermissions)), "the role policy grants the same four")
}

func TestPutObjectOnlyPolicy(t *testing.T) {
	sts := statements(t, CustomerRolePolicyPutObjectOnly)
	assert.Equal(t, []string{"s3:PutObject"}, actions(sts))
	assert.Equal(t, []string{"arn:aws:s3:::acme-audit-logs/*"}, strs(sts[0].Resource))
}

func TestTrustPolicyNeedsTheExternalID(t *testing.T) {
	sts := statements(t, CustomerRoleTrustPolicy)
	require.Len(t, sts, 1)
	assert.Equal(t, []string{"sts:AssumeRole"}, strs(sts[0].Action))
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::999988887777:role/otelcol-audit"}, sts[0].Principal)
	assert.Equal(t, "acme-7f3c9e2a41d8", sts[0].Condition["StringEquals"]["sts:ExternalId"])
}

func TestCollectorRolePolicy(t *testing.T) {
	sts := statements(t, CollectorRolePolicy)
	assert.True(t, slices.Contains(actions(sts), "sts:AssumeRole"))
	assume := sts[0]
	assert.Equal(t, []string{"arn:aws:iam::*:role/auditship/*"}, strs(assume.Resource))
	assert.Equal(t, "example-saas", assume.Condition["StringEquals"]["iam:ResourceTag/audit-log-vendor"])
}

func TestRenderRefusesMissingValues(t *testing.T) {
	_, err := Render(BucketPolicyFourPermissions, map[string]string{"BUCKET": "b"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "VENDOR_PRINCIPAL")
	out, err := Render(BucketPolicyFourPermissions, map[string]string{"BUCKET": "b", "VENDOR_PRINCIPAL": `a"b`})
	require.NoError(t, err, "values are escaped")
	assert.Contains(t, out, `a\"b`)
}

func TestAsBucketPolicy(t *testing.T) {
	out, err := AsBucketPolicy(CustomerRolePolicyPutObjectOnly, "WRITER", sampleVars)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Sid":"AuditshipPutAuditLogObjectsOnly","Effect":"Allow",`+
		`"Principal":{"AWS":"WRITER"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-audit-logs/*"}]}`, out)
	_, err = AsBucketPolicy(BucketPolicyFourPermissions, "WRITER", sampleVars)
	require.Error(t, err, "a bucket policy already names its principal")
}
