package audits3exporter

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// maxOrgIDLen bounds the org id that becomes one segment of an object key.
const maxOrgIDLen = 128

// tenantBatch is one tenant's share of a push: the body of the object it becomes, and the
// time that names the object.
type tenantBatch struct {
	orgID string
	// body holds the tenant's records as GoodData NDJSON, in the order they came.
	body []byte
	// earliest is the earliest ObservedTimestamp among the records (their Timestamp when a
	// record has none): it depends only on the records, so a retry of the same records gets
	// the same object name, which is what lets a retry find its own earlier upload.
	earliest pcommon.Timestamp
	records  int
}

// splitByTenant encodes ld's records into one batch per org id, in the order tenants first
// appear. Records without a valid org id cannot name an object: they are only counted.
func splitByTenant(ld plog.Logs) (batches []*tenantBatch, rejected int) {
	byOrg := make(map[string]*tenantBatch)
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				org := auditevent.OrgID(lr)
				if !validOrgID(org) {
					rejected++
					continue
				}
				b, ok := byOrg[org]
				if !ok {
					b = &tenantBatch{orgID: org}
					byOrg[org] = b
					batches = append(batches, b)
				}
				b.add(lr)
			}
		}
	}
	return batches, rejected
}

func (b *tenantBatch) add(lr plog.LogRecord) {
	b.body = auditevent.AppendGoodDataEntry(b.body, lr)
	b.body = append(b.body, '\n')
	ts := lr.ObservedTimestamp()
	if ts == 0 {
		ts = lr.Timestamp()
	}
	if ts != 0 && (b.earliest == 0 || ts < b.earliest) {
		b.earliest = ts
	}
	b.records++
}

// validOrgID accepts [A-Za-z0-9._-]{1,128} except "." and "..": an org id becomes one path
// segment of the object key, so it must not be able to climb out of the prefix or split into
// several segments.
func validOrgID(org string) bool {
	if org == "" || len(org) > maxOrgIDLen || org == "." || org == ".." {
		return false
	}
	for i := 0; i < len(org); i++ {
		c := org[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// logsOfTenants copies the records of ld whose org id is in orgs, keeping their resource and
// scope and their order, so that a retry encodes exactly the same bodies again.
func logsOfTenants(ld plog.Logs, orgs map[string]struct{}) plog.Logs {
	out := plog.NewLogs()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		var outRL plog.ResourceLogs
		haveRL := false
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			var outSL plog.ScopeLogs
			haveSL := false
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if _, ok := orgs[auditevent.OrgID(lr)]; !ok {
					continue
				}
				if !haveRL {
					outRL = out.ResourceLogs().AppendEmpty()
					rl.Resource().CopyTo(outRL.Resource())
					outRL.SetSchemaUrl(rl.SchemaUrl())
					haveRL = true
				}
				if !haveSL {
					outSL = outRL.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(outSL.Scope())
					outSL.SetSchemaUrl(sl.SchemaUrl())
					haveSL = true
				}
				lr.CopyTo(outSL.LogRecords().AppendEmpty())
			}
		}
	}
	return out
}
