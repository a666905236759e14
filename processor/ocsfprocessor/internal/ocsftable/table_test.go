package ocsftable

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type seedEvent struct {
	name          string
	category, cls int64
}

// readGoodDataSeed returns the events of the table in GoodData's audit-log documentation, in
// order, as recorded in testdata/gooddata_seed_events.csv: the name and the category and class
// as the documentation prints them, run together ("33002"), split apart here.
func readGoodDataSeed(t *testing.T) []seedEvent {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gooddata_seed_events.csv"))
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	var events []seedEvent
	for _, rec := range records[1:] {
		cat, cls := splitRunTogether(t, rec[1])
		events = append(events, seedEvent{name: rec[0], category: cat, cls: cls})
	}
	return events
}

// splitRunTogether splits "33002" into 3 and 3002 and "9999001" into 99 and 99001, using OCSF's
// rule class_uid = category_uid*1000 + n: the class starts with the category and is three digits
// longer. Exactly one split fits.
func splitRunTogether(t *testing.T, s string) (int64, int64) {
	t.Helper()
	var cat, cls int64
	fits := 0
	for k := 1; k < len(s); k++ {
		if len(s)-k == k+3 && strings.HasPrefix(s[k:], s[:k]) {
			cat, _ = strconv.ParseInt(s[:k], 10, 64)
			cls, _ = strconv.ParseInt(s[k:], 10, 64)
			fits++
		}
	}
	require.Equal(t, 1, fits, "category/class %q must split exactly one way", s)
	return cat, cls
}

func TestGoodDataTableMatchesSeed(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	seed := readGoodDataSeed(t)
	require.Len(t, seed, 69, "the seed documents 69 events")
	require.Len(t, tables.GoodData, len(seed))
	for i, want := range seed {
		got := tables.GoodData[i]
		assert.Equal(t, want.name, got.EventName, "row %d", i)
		assert.Equal(t, want.category, got.CategoryUID, "%s category", want.name)
		assert.Equal(t, want.cls, got.ClassUID, "%s class", want.name)
	}
}

// readCSVRows reads a data file independently of the package's reader, keyed by header.
func readCSVRows(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("data", name))
	require.NoError(t, err)
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, h := range records[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "%q", s)
	return n
}

func TestAirkitTableRowForRow(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	rows := readCSVRows(t, "airkit_events.csv")
	require.Len(t, rows, 45)
	require.Len(t, tables.Airkit, 45)
	for i, row := range rows {
		got := tables.Airkit[i]
		name := row["event_type"]
		assert.Equal(t, name, got.EventName)
		assert.Equal(t, atoi(t, row["category_uid"]), got.CategoryUID, name)
		assert.Equal(t, atoi(t, row["class_uid"]), got.ClassUID, name)
		assert.Equal(t, atoi(t, row["activity_id"]), got.ActivityID, name)
		assert.Equal(t, row["activity_name"], got.ActivityName, name)
		assert.Equal(t, atoi(t, row["type_uid"]), got.TypeUID, name)
		assert.Equal(t, row["class_name"], got.ClassName, name)
		switch {
		case strings.HasPrefix(row["status_id"], "1 "):
			assert.Equal(t, [2]any{int64(1), true}, [2]any{got.StatusID, got.HasStatus}, name)
		case strings.HasPrefix(row["status_id"], "2 "):
			assert.Equal(t, [2]any{int64(2), true}, [2]any{got.StatusID, got.HasStatus}, name)
		default:
			assert.False(t, got.HasStatus, "%s: status %q is decided by the event", name, row["status_id"])
		}
	}
	invalid := find(tables.Airkit, "invalid_login")
	require.NotNil(t, invalid)
	assert.Equal(t, int64(2), invalid.StatusID, "invalid_login is a failed logon")
}

func TestAirkitTableCoversSeedEventTypes(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	// The event types listed in Airkit's audit-log documentation, one per line.
	data, err := os.ReadFile(filepath.Join("testdata", "airkit_seed_event_types.txt"))
	require.NoError(t, err)
	seed := strings.Fields(string(data))
	require.Len(t, seed, 45, "the Airkit seed lists 45 event types")
	var table []string
	for _, c := range tables.Airkit {
		table = append(table, c.EventName)
	}
	assert.ElementsMatch(t, seed, table)
}

func TestGoodDataTableRowForRow(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	rows := readCSVRows(t, "gooddata_events.csv")
	require.Len(t, tables.GoodData, len(rows))
	for i, row := range rows {
		got := tables.GoodData[i]
		name := row["eventName"]
		assert.Equal(t, name, got.EventName)
		assert.Equal(t, atoi(t, row["category_uid"]), got.CategoryUID, name)
		assert.Equal(t, atoi(t, row["class_uid"]), got.ClassUID, name)
		if row["activity_id"] == "" {
			// GoodData's own classes: no OCSF activity, so 99 Other labelled with the event name.
			assert.Equal(t, ActivityOther, got.ActivityID, name)
			assert.Equal(t, name, got.ActivityName, name)
			assert.Equal(t, CustomCategoryName, got.CategoryName, name)
			assert.Equal(t, row["class_name"], got.ClassName, name)
			assert.Equal(t, got.ClassUID*100+99, got.TypeUID, name)
			continue
		}
		assert.Equal(t, atoi(t, row["activity_id"]), got.ActivityID, name)
		assert.Equal(t, row["activity_name"], got.ActivityName, name)
		assert.Equal(t, atoi(t, row["type_uid"]), got.TypeUID, name)
		assert.Equal(t, row["class_name"], got.ClassName, name)
		assert.False(t, got.HasStatus, name)
	}
}

func TestClassesAndCustomClasses(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	base, ok := tables.Class(BaseEventClassUID)
	require.True(t, ok)
	assert.Equal(t, "Base Event", base.Name)
	assert.Equal(t, "Uncategorized", base.CategoryName)
	for uid := int64(99001); uid <= 99007; uid++ {
		c, ok := tables.Class(uid)
		require.True(t, ok, "GoodData class %d", uid)
		assert.True(t, c.Custom)
		assert.Equal(t, CustomCategoryUID, c.CategoryUID)
		assert.Equal(t, CustomCategoryName, c.CategoryName)
	}
	auth, ok := tables.Class(3002)
	require.True(t, ok)
	assert.False(t, auth.Custom)
	name, ok := auth.ActivityName(1)
	assert.True(t, ok)
	assert.Equal(t, "Logon", name)
	// Unknown and Other exist in every class, listed or not.
	fs, ok := tables.Class(1001)
	require.True(t, ok)
	for _, id := range []int64{ActivityUnknown, ActivityOther} {
		_, ok := fs.ActivityName(id)
		assert.True(t, ok, "class 1001 activity %d", id)
	}
	_, ok = tables.Class(3099)
	assert.False(t, ok)
}

func TestClassify(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	tests := []struct {
		name         string
		class        int64
		activity     int64
		activityName string
		want         Classification
		wantErr      error
	}{
		{
			name: "listed activity", class: 3002, activity: 1,
			want: Classification{EventName: "listed activity", CategoryUID: 3, CategoryName: "Identity & Access Management", ClassUID: 3002, ClassName: "Authentication", ActivityID: 1, ActivityName: "Logon", TypeUID: 300201, TypeName: "Authentication: Logon"},
		},
		{
			name: "listed activity with its own caption", class: 3002, activity: 2, activityName: "Logoff",
			want: Classification{EventName: "listed activity with its own caption", CategoryUID: 3, CategoryName: "Identity & Access Management", ClassUID: 3002, ClassName: "Authentication", ActivityID: 2, ActivityName: "Logoff", TypeUID: 300202, TypeName: "Authentication: Logoff"},
		},
		{
			name: "other takes the event name", class: 6003, activity: 99,
			want: Classification{EventName: "other takes the event name", CategoryUID: 6, CategoryName: "Application Activity", ClassUID: 6003, ClassName: "API Activity", ActivityID: 99, ActivityName: "other takes the event name", TypeUID: 600399, TypeName: "API Activity: Other"},
		},
		{
			name: "other with a label", class: 6003, activity: 99, activityName: "Replay",
			want: Classification{EventName: "other with a label", CategoryUID: 6, CategoryName: "Application Activity", ClassUID: 6003, ClassName: "API Activity", ActivityID: 99, ActivityName: "Replay", TypeUID: 600399, TypeName: "API Activity: Other"},
		},
		{
			name: "unlisted activity with a name", class: 1001, activity: 3, activityName: "Update",
			want: Classification{EventName: "unlisted activity with a name", CategoryUID: 1, CategoryName: "System Activity", ClassUID: 1001, ClassName: "File System Activity", ActivityID: 3, ActivityName: "Update", TypeUID: 100103, TypeName: "File System Activity: Update"},
		},
		{
			name: "GoodData class", class: 99002, activity: 99,
			want: Classification{EventName: "GoodData class", CategoryUID: 99, CategoryName: CustomCategoryName, ClassUID: 99002, ClassName: "GoodData-specific 99002", ActivityID: 99, ActivityName: "GoodData class", TypeUID: 9900299, TypeName: "GoodData-specific 99002: Other"},
		},
		{name: "unknown class", class: 3099, activity: 1, wantErr: ErrUnknownClass},
		{name: "activity out of range", class: 3002, activity: 100, wantErr: ErrActivity},
		{name: "negative activity", class: 3002, activity: -1, wantErr: ErrActivity},
		{name: "unlisted activity without a name", class: 1001, activity: 3, wantErr: ErrActivity},
		{name: "activity not in a listed class", class: 3002, activity: 42, activityName: "Guess", wantErr: ErrActivity},
		{name: "name contradicts caption", class: 3002, activity: 1, activityName: "Login", wantErr: ErrActivityName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tables.Classify(tt.name, tt.class, tt.activity, tt.activityName)
			if tt.wantErr != nil {
				require.Error(t, err)
				assert.True(t, errors.Is(err, tt.wantErr), "got %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func find(cs []Classification, name string) *Classification {
	for i := range cs {
		if cs[i].EventName == name {
			return &cs[i]
		}
	}
	return nil
}

func TestGoodDataStrictRowForRow(t *testing.T) {
	tables, err := Load()
	require.NoError(t, err)
	rows := readCSVRows(t, "gooddata_events.csv")
	require.Len(t, tables.GoodDataStrict, len(rows))
	alternatives := 0
	for i, row := range rows {
		got := tables.GoodDataStrict[i]
		name := row["eventName"]
		assert.Equal(t, name, got.EventName)
		class, ok := tables.Class(got.ClassUID)
		require.True(t, ok, name)
		assert.False(t, class.Custom, "%s: strict ids are OCSF's", name)
		if row["std_alt_class_uid"] == "" {
			assert.Equal(t, tables.GoodData[i], got, "%s: an event in an OCSF class keeps its classification", name)
			continue
		}
		alternatives++
		assert.Equal(t, atoi(t, row["std_alt_class_uid"]), got.ClassUID, name)
		assert.Equal(t, atoi(t, row["std_alt_activity_id"]), got.ActivityID, name)
		assert.Equal(t, got.ClassUID*100+got.ActivityID, got.TypeUID, name)
		assert.True(t, strings.HasPrefix(row["std_alt_type_name"], got.TypeName), name)
	}
	assert.Equal(t, 40, alternatives, "the 40 events in GoodData's own classes have a standard alternative")
	cache := find(tables.GoodDataStrict, "DATASOURCE_CACHE_INVALIDATE")
	require.NotNil(t, cache)
	assert.Equal(t, "Cache invalidated", cache.ActivityName, "the label the table gives for activity Other")
}

func TestSplitAltTypeName(t *testing.T) {
	for _, tt := range []struct{ in, typeName, label string }{
		{"Entity Management: Create", "Entity Management: Create", ""},
		{"Entity Management: Other (activity_name='Cache invalidated')", "Entity Management: Other", "Cache invalidated"},
		{"Entity Management: Other (activity_name='x'", "Entity Management: Other (activity_name='x'", ""},
	} {
		typeName, label := splitAltTypeName(tt.in)
		assert.Equal(t, [2]string{tt.typeName, tt.label}, [2]string{typeName, label}, tt.in)
	}
}

// sharedReference is where the project keeps the OCSF reference tables that data/ copies.
const sharedReference = "/work/shared/ocsf"

// The embedded tables must be the shared reference tables, byte for byte: a fix made in one place
// and not the other would classify differently from what the reference documents.
func TestDataIsTheSharedReference(t *testing.T) {
	if _, err := os.Stat(sharedReference); err != nil {
		t.Skipf("shared OCSF reference tables not available at %s (%v); nothing to compare data/ with", sharedReference, err)
	}
	entries, err := dataFS.ReadDir("data")
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		embedded, err := dataFS.ReadFile("data/" + e.Name())
		require.NoError(t, err)
		shared, err := os.ReadFile(filepath.Join(sharedReference, e.Name()))
		require.NoError(t, err, "data/%s has no counterpart in %s", e.Name(), sharedReference)
		assert.Equal(t, string(shared), string(embedded), "data/%s differs from %s; copy it again", e.Name(), sharedReference)
	}
}
