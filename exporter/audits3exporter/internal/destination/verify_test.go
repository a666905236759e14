package destination

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	const key = "airkit-verify-test-20261122101500"
	tests := []struct {
		name     string
		region   string
		fault    func(w http.ResponseWriter, op string) bool
		existing bool
		wantErr  []string // substrings; none means success
	}{
		{name: "writes the test object"},
		{name: "the key exists: write access is proven all the same", existing: true},
		{
			name: "denied",
			fault: func(w http.ResponseWriter, op string) bool {
				writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				return true
			},
			wantErr: []string{"verify s3://audit/" + key, "(region us-east-1)", "S3 answered AccessDenied (HTTP 403) to PutObject", "most likely missing: s3:PutObject"},
		},
		{
			name: "no such bucket",
			fault: func(w http.ResponseWriter, op string) bool {
				writeS3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
				return true
			},
			wantErr: []string{"S3 answered NoSuchBucket (HTTP 404)", "most likely missing: the bucket does not exist"},
		},
		{
			name:   "region auto, location denied",
			region: RegionAuto,
			fault: func(w http.ResponseWriter, op string) bool {
				if op != "GetBucketLocation" {
					return false
				}
				writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
				return true
			},
			wantErr: []string{"verify s3://audit/" + key + " (region auto)", "to GetBucketLocation", "most likely missing: s3:GetBucketLocation"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeS3(t)
			if tt.fault != nil {
				f.setFault(func(w http.ResponseWriter, _ *http.Request, op, _ string) bool { return tt.fault(w, op) })
			}
			if tt.existing {
				f.put(key, []byte("customer's own"))
			}
			cfg := f.config()
			cfg.Region = tt.region
			err := destOn(t, cfg).Verify(context.Background(), key)
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				body, ok := f.object(key)
				require.True(t, ok)
				if tt.existing {
					assert.Equal(t, "customer's own", string(body), "never overwritten")
				} else {
					assert.True(t, strings.HasPrefix(string(body), "auditship verify test object"), string(body))
				}
				put := f.requestsOf("PutObject")[0].header
				assert.Equal(t, "*", put.Get("If-None-Match"))
				assert.Empty(t, put.Get("X-Amz-Acl"))
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
			assert.Equal(t, Permanent, Classify(err).Kind)
		})
	}
}
