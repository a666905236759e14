package objectkey

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	// 2026-11-22 02:30:07.123 UTC, given in another zone to prove keys are in UTC.
	testUpload = time.Date(2026, 11, 21, 21, 30, 7, 123e6, time.FixedZone("EST", -5*3600))
	testEvent  = time.Date(2026, 11, 19, 23, 59, 59, 0, time.UTC)
	testValues = Values{OrgID: "acme-01", Upload: testUpload, Event: testEvent, Unique: "k3x7qa2mfe"}
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name     string
		template string
		values   Values
		want     string
	}{
		{"gooddata default", GoodDataKey, testValues, "auditlog/default/acme-01/20261122023007"},
		{"airkit default", AirkitKey, testValues, "airkit/acme-01/2026-11-22/20261122023007-k3x7qa2mfe"},
		{"ocsf default", OCSFKey, testValues, "auditlog/ocsf/acme-01/2026-11-22/20261122023007-k3x7qa2mfe"},
		{
			"upload parts", "{org_id}/{upload_year}/{upload_month}/{upload_day}/{upload_hour}/{unique}", testValues,
			"acme-01/2026/11/22/02/k3x7qa2mfe",
		},
		{"unix ms", "x/{org_id}/{upload_unix_ms}", testValues, "x/acme-01/1795314607123"},
		{
			"event parts", "{org_id}/{event_year}-{event_month}-{event_day}/{event_date}_{upload_ts14}", testValues,
			"acme-01/2026-11-19/2026-11-19_20261122023007",
		},
		{
			"hive style", "audit/org_id={org_id}/dt={upload_date}/{upload_ts14}-{unique}", testValues,
			"audit/org_id=acme-01/dt=2026-11-22/20261122023007-k3x7qa2mfe",
		},
		{
			"zero event time falls back to upload", "{org_id}/{event_date}/{upload_ts14}",
			Values{OrgID: "o", Upload: testUpload}, "o/2026-11-22/20261122023007",
		},
		{
			"single digits are padded", "{org_id}/{upload_month}{upload_day}{upload_hour}/{upload_ts14}",
			Values{OrgID: "o", Upload: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)}, "o/010203/20270102030405",
		},
		{
			"year before 1000 keeps four digits", "{org_id}/{upload_year}/{upload_ts14}",
			Values{OrgID: "o", Upload: time.Date(999, 1, 1, 0, 0, 0, 0, time.UTC)}, "o/0999/09990101000000",
		},
		{"org id twice", "{org_id}/{org_id}-{unique}", testValues, "acme-01/acme-01-k3x7qa2mfe"},
		{"safe punctuation", "a!b*c'(d)=e_f.g/{org_id}/x.{unique}", testValues, "a!b*c'(d)=e_f.g/acme-01/x.k3x7qa2mfe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Compile(tt.template)
			require.NoError(t, err)
			assert.Equal(t, tt.template, tpl.String())
			assert.Equal(t, tt.want, string(tpl.Append(nil, tt.values)))
			// Append appends: what the buffer held stays, and the caller adds the extension.
			got := append(tpl.Append([]byte("prefix:"), tt.values), ".json"...)
			assert.Equal(t, "prefix:"+tt.want+".json", string(got))
		})
	}
}

func TestCompileRefuses(t *testing.T) {
	tests := []struct {
		name     string
		template string
		want     string // the whole error message
		offset   int    // -1 when the error has no place
	}{
		{"unknown placeholder", "auditlog/{orgid}/{upload_ts14}", "unknown placeholder {orgid} at offset 9", 9},
		{"placeholder case matters", "{ORG_ID}/{unique}", "unknown placeholder {ORG_ID} at offset 0", 0},
		{"verify placeholder in a key", "{org_id}/{timestamp}", "unknown placeholder {timestamp} at offset 9", 9},
		{"placeholder with space", "{org_id}/{ unique}", `unknown placeholder "{ unique}" at offset 9`, 9},
		{"empty placeholder", "{org_id}/{}{unique}", "empty placeholder {} at offset 9", 9},
		{"unclosed brace", "{org_id}/{unique", "unclosed '{' at offset 9", 9},
		{"nested brace", "{org_id}/{up{unique}}", "unclosed '{' at offset 9", 9},
		{"unmatched close", "{org_id}/unique}", "unmatched '}' at offset 15", 15},
		{"no org id", "auditlog/{upload_ts14}", "no {org_id}: a shared bucket keeps tenants apart by it", -1},
		{"org id in the file name", "logs/{org_id}-{upload_ts14}",
			orgFolderMsg(5), 5},
		{"org id shares its folder", "logs/{org_id}-{upload_date}/{upload_ts14}",
			orgFolderMsg(5), 5},
		{"placeholder before org id in its folder", "logs/{upload_year}{org_id}/{unique}",
			orgFolderMsg(18), 18},
		{"no second precision", "auditlog/{org_id}/{upload_date}",
			"none of {upload_ts14}, {upload_unix_ms} and {unique}: two batches of one tenant would get the same key", -1},
		{"hour is not enough", "auditlog/{org_id}/{upload_date}-{upload_hour}",
			"none of {upload_ts14}, {upload_unix_ms} and {unique}: two batches of one tenant would get the same key", -1},
		{"leading slash", "/auditlog/{org_id}/{upload_ts14}", "leading '/' at offset 0: keys are relative to the bucket", 0},
		{"trailing slash", "auditlog/{org_id}/{upload_ts14}/", "trailing '/' at offset 31: the template names an object, not a folder", 31},
		{"double slash", "auditlog//{org_id}/{upload_ts14}", `empty path segment "//" at offset 8`, 8},
		{"dot segment", "auditlog/./{org_id}/{upload_ts14}", `path segment "." at offset 9`, 9},
		{"dot dot segment", "auditlog/{org_id}/../{upload_ts14}", `path segment ".." at offset 18`, 18},
		{"leading dot dot", "../{org_id}/{upload_ts14}", `path segment ".." at offset 0`, 0},
		{"space", "audit log/{org_id}/{upload_ts14}", `character ' ' not allowed at offset 5: use letters, digits and / ! - _ . * ' ( ) =`, 5},
		{"percent", "a%2F/{org_id}/{upload_ts14}", `character '%' not allowed at offset 1: use letters, digits and / ! - _ . * ' ( ) =`, 1},
		{"backslash", `a\b/{org_id}/{upload_ts14}`, `character '\\' not allowed at offset 1: use letters, digits and / ! - _ . * ' ( ) =`, 1},
		{"unicode", "audït/{org_id}/{upload_ts14}", `character 'ï' not allowed at offset 3: use letters, digits and / ! - _ . * ' ( ) =`, 3},
		{"newline", "a\n/{org_id}/{upload_ts14}", `character '\n' not allowed at offset 1: use letters, digits and / ! - _ . * ' ( ) =`, 1},
		{"empty", "", "empty template", -1},
		// 868 bytes of literal, two slashes, an org id of 128 and 14 digits: 1012, over 1024 less 16.
		{"keys too long", strings.Repeat("a", 868) + "/{org_id}/{upload_ts14}",
			"keys of up to 1012 bytes (with an org id of 128): S3 takes keys of at most 1024 bytes, and 16 are kept for the file extension", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Compile(tt.template)
			require.Error(t, err)
			assert.Nil(t, tpl)
			assert.Equal(t, tt.want, err.Error())
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.offset, se.Offset)
		})
	}
}

func orgFolderMsg(offset int) string {
	return `{org_id} not in a folder of its own at offset ` + strconv.Itoa(offset) +
		`: write it as "{org_id}/" or "org={org_id}/", with no other placeholder in that path segment,` +
		` so that each tenant's keys have a prefix of their own`
}

func TestCompileReportsEveryProblemOfTheWhole(t *testing.T) {
	_, err := Compile("auditlog/{upload_date}")
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "no {org_id}")
	assert.Contains(t, msg, "none of {upload_ts14}, {upload_unix_ms} and {unique}")
}

func TestCompileAccepts(t *testing.T) {
	for _, tpl := range []string{
		GoodDataKey,
		AirkitKey,
		OCSFKey,
		"{org_id}/{upload_unix_ms}",
		"{org_id}/{unique}",
		"tenant-{org_id}/x/{upload_ts14}",
		"{upload_date}/{org_id}/{upload_ts14}", // a date-first layout still gives each tenant a folder per day
		"{org_id}/{org_id}-{unique}",
		"a/{org_id}-{upload_date}/{org_id}/{unique}", // one {org_id} in a folder of its own is enough
		"...x/{org_id}/..{unique}",                   // only "." and ".." whole segments are special
	} {
		_, err := Compile(tpl)
		assert.NoError(t, err, tpl)
	}
}

func TestMustCompile(t *testing.T) {
	assert.Equal(t, GoodDataKey, MustCompile(GoodDataKey).String())
	assert.PanicsWithValue(t, `objectkey: "{orgid}": unknown placeholder {orgid} at offset 0`, func() { MustCompile("{orgid}") })
}

func TestSyntaxErrorIsMatchable(t *testing.T) {
	_, err := Compile("{org_id}/{nope}")
	var se *SyntaxError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, "unknown placeholder {nope}", se.Msg)
}

func TestAppendDoesNotAllocate(t *testing.T) {
	for _, text := range []string{GoodDataKey, AirkitKey, "{org_id}/{upload_unix_ms}/{event_date}/{upload_hour}"} {
		tpl := MustCompile(text)
		buf := make([]byte, 0, 256)
		allocs := testing.AllocsPerRun(100, func() {
			buf = tpl.Append(buf[:0], testValues)
		})
		assert.Zero(t, allocs, text)
	}
}

func TestAppendIsSafeForConcurrentUse(t *testing.T) {
	tpl := MustCompile(AirkitKey)
	want := string(tpl.Append(nil, testValues))
	done := make(chan string)
	for range 8 {
		go func() {
			var buf []byte
			for range 100 {
				buf = tpl.Append(buf[:0], testValues)
			}
			done <- string(buf)
		}()
	}
	for range 8 {
		assert.Equal(t, want, <-done)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, bm := range []struct{ name, template string }{
		{"gooddata", GoodDataKey},
		{"airkit", AirkitKey},
		{"all_placeholders", "p/{org_id}/{upload_year}/{upload_month}/{upload_day}/{upload_hour}/{upload_date}/" +
			"{event_year}{event_month}{event_day}{event_date}/{upload_ts14}-{upload_unix_ms}-{unique}"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			tpl := MustCompile(bm.template)
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf = tpl.Append(buf[:0], testValues)
			}
			if !strings.Contains(string(buf), "acme-01") {
				b.Fatal(string(buf))
			}
		})
	}
}

func TestLongestKeyFits(t *testing.T) {
	// The longest template accepted makes keys that S3 takes, with the longest extension and
	// the last name's suffix.
	tpl := MustCompile(strings.Repeat("a", 853) + "/{org_id}/{upload_ts14}-{unique}")
	key := tpl.Append(nil, Values{OrgID: strings.Repeat("o", MaxOrgIDLen), Upload: time.Now(), Unique: NewUnique() + "-59"})
	key = append(key, ".ndjson.zst"...)
	assert.LessOrEqual(t, len(key), MaxKeyBytes)
	_, err := Compile(strings.Repeat("a", 854) + "/{org_id}/{upload_ts14}-{unique}")
	assert.Error(t, err, "one byte more")
}

func TestSpacing(t *testing.T) {
	for _, tc := range []struct {
		template string
		want     time.Duration
	}{
		{GoodDataKey, time.Second},
		{AirkitKey, 0},
		{"logs/{org_id}/{upload_unix_ms}.json", time.Millisecond},
		{"logs/{org_id}/{upload_ts14}-{upload_unix_ms}", time.Millisecond},
		{"logs/{org_id}/{upload_ts14}-{unique}", 0},
	} {
		t.Run(tc.template, func(t *testing.T) {
			assert.Equal(t, tc.want, MustCompile(tc.template).Spacing())
		})
	}
}
