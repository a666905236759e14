// Package benchcompare measures the mask processor against the contrib redaction processor
// (v0.164.1) configured the way a user masks credentials with it today: allow_all_keys, blocked
// key patterns for the credential terms the mask processor's README lists, and blocked value
// regexes for the value shapes of issue 5 (AWS key ids, JWTs, PEM private keys, Bearer/Basic,
// URL credentials, connection strings, GitHub/GitLab/Slack/Stripe/Google tokens). It is a nested
// module so that the redaction processor's dependency tree (DataDog's obfuscator among others)
// stays out of the main module; it holds no production code.
//
// BenchmarkMask gives each processor, built through its factory with that configuration, the
// same batches of 1000 records made by the receiver's code (auditevent): typical (a fifth carry
// secrets), clean (none do) and secret (all do). Every batch is a fresh copy, made with the timer
// stopped after a GC, so the figures are the processor's alone. TestRedactionMisses runs the
// corpus under ../../testdata/corpus (or a built-in list while it is absent) through both
// processors and reports, per kind, what each caught.
//
// The redaction processor runs every key through each blocked key pattern and every string
// value through each blocked value regex: with about 26 keys and 22 string values per record
// (TestRecordShape) that is over 400 regex matches per record, each a few hundred nanoseconds
// here, so it measures far above issue 5's reference of 4.4 µs per record; the summary gives the
// ratio to both.
//
// Run: make bench, or here: go test -run '^Test(RedactionMisses|RecordShape)$' -v -bench . -benchmem
package benchcompare

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// batchRecords is the size of a batch; per-record figures divide by it.
const batchRecords = 1000

// Which records of a batch carry secrets.
const (
	mixTypical = "typical" // one record in five, as in issue 5
	mixClean   = "clean"   // none
	mixSecret  = "secret"  // every one
)

var mixes = []string{mixTypical, mixClean, mixSecret}

// eventNames are GoodData event names, as GoodData's files write them (lower case).
var eventNames = []string{
	"datasource_create", "datasource_update", "user_login", "dashboard_update",
	"workspace_create", "auth_provider_update", "api_token_create", "export_tabular",
}

// secretParameters are the parameters of the records that carry secrets, one shape per kind,
// in turn: by key (flat and as GoodData's name/value pairs), in a connection URL, AWS keys,
// an Authorization header with a JWT, a GitHub token under a key naming no credential, a
// JSON-encoded string, an ODBC connection string, a Slack token in free text and a PEM private
// key. %[1]d is the record's index, so that no two secrets are alike.
var secretParameters = []string{
	`{"username":"svc-%[1]d","password":"Pw-%[1]d-x7!q","clientId":"client-7","clientSecret":"cs-%[1]d-9f8e7d6c5b4a"}`,
	`[{"name":"username","value":"svc-%[1]d"},{"name":"password","value":"Pw-%[1]d-x7!q"},{"name":"warehouse","value":"wh-1"}]`,
	`{"url":"postgres://svc-%[1]d:Pg-%[1]d-Secret@db-1.internal:5432/sales","schema":"sales"}`,
	`{"region":"eu-west-1","accessKeyId":"AKIA4Q7ZK2M9XW3R%04[1]d","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCY%010[1]d"}`,
	`{"headers":{"Authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LSVkIn0.c2lnLTEyMzQ1Njc4OTAxMjM0NTY3%04[1]d"},"method":"POST"}`,
	`{"webhook":"https://hooks.example.com/notify","note":"rotated ghp_R8mT2xQ9vL4kP7nW1sZ6cY3bH5jD0fG%04[1]d"}`,
	`{"config":"{\"user\":\"svc-%[1]d\",\"password\":\"Js-%[1]d-Secret\",\"host\":\"db-1.internal\"}"}`,
	`{"connection":"Server=sql-1.internal;Database=sales;User Id=svc-%[1]d;Password=Od-%[1]d-Secret;"}`,
	`{"message":"slack notifier set up with xoxb-1234567890-%010[1]d-AbCdEfGhIjKlMnOp"}`,
	`{"privateKey":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC%06[1]d\n-----END PRIVATE KEY-----","keyId":"k-1"}`,
}

// cleanParameters are the parameters of a record without secrets: ids, a JDBC URL without
// credentials, hashes and a UUID, the lookalikes a masker must leave alone.
const cleanParameters = `{"warehouse":"wh-%[1]d","schema":"sales","username":"svc-%[1]d","url":"jdbc:snowflake://acme.snowflakecomputing.com/?db=sales","apiKeyId":"key-%[1]d","checksum":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","traceId":"0b6c1f5e-2a43-4f7e-9d51-3c8a7e2f%04[1]d"}`

// recordBatch returns batchRecords GoodData-shaped records, made as the receiver makes them,
// with the ocsf attributes the ocsf processor adds before the mask processor in a pipeline:
// about fifteen attributes and a map body holding details, with nested parameters.
func recordBatch(mix string) (plog.Logs, error) {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	var line []byte
	for i := range batchRecords {
		secret := mix == mixSecret || (mix == mixTypical && i%5 == 0)
		line = fmt.Appendf(line[:0], `{"eventName":"%s","description":"benchmark event","ts":"2026-11-22T02:30:00.123Z","orgId":"org-%d","workspaceId":"ws-%d","userId":"user-%d","target":"dashboard-%d","source":"203.0.113.%d","sessionContextType":"OIDC","sessionContextIdentifier":"session-%d","success":%t,"type":"audit","eventId":"bench-%d"`,
			eventNames[i%len(eventNames)], i%7, i%97, i%503, i%211, i%250, i%1000, i%13 != 0, i)
		if i%13 == 0 {
			line = append(line, `,"errorCode":"ACCESS_DENIED"`...)
		}
		line = fmt.Appendf(line, `,"details":{"requestId":"req-%d","changed":["title","layout"],"parameters":`, i)
		if secret {
			k := i / 5
			if mix == mixSecret {
				k = i
			}
			p := secretParameters[k%len(secretParameters)]
			line = fmt.Appendf(line, p, i)
		} else {
			line = fmt.Appendf(line, cleanParameters, i)
		}
		line = append(line, "}}"...)
		entry := pcommon.NewMap()
		if err := auditevent.ParseJSONObject(line, entry); err != nil {
			return ld, fmt.Errorf("record %d: %w: %s", i, err, line)
		}
		lr := lrs.AppendEmpty()
		if err := auditevent.GoodDataToRecord(entry, lr); err != nil {
			return ld, fmt.Errorf("record %d: %w", i, err)
		}
		a := lr.Attributes()
		a.PutInt(auditevent.AttrOCSFClassUID, 3001)
		a.PutStr(auditevent.AttrOCSFClassName, "Account Change")
		a.PutStr(auditevent.AttrOCSFActivityName, "Update")
		a.PutInt(auditevent.AttrOCSFSeverityID, 1)
	}
	return ld, nil
}
