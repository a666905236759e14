package schema

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// ocsfField is a record attribute that the OCSF encoder maps to an OCSF attribute.
type ocsfField uint8

const (
	ofUserID ocsfField = iota
	ofUserEmail
	ofClientAddress
	ofDescription
	ofTarget
	ofErrorCode
	ofSuccess
	ofSessionType
	ofSessionID
	ofOrgID
	ofEventID
	ofSourceFormat
	ofLoginType
	ofService
	ofServiceRevision
	ofRoleID
	ofAppID
	ofDatastoreID
	ofResourceType
	ofResourceID
	ofAdapterID
	ofNotifierID
	ofSAMLID
	ofWebhookID
	ofEmbedID
	ofDomain
	ofCategoryUID
	ofCategoryName
	ofClassUID
	ofClassName
	ofActivityID
	ofActivityName
	ofTypeUID
	ofTypeName
	ofSeverityID
	ofStatusID
	ocsfFieldCount
)

// The fields must fit in a uint64 bit set.
var _ [64 - ocsfFieldCount]struct{}

// ocsfFieldOf returns the field the attribute key holds, or -1: a switch rather than a map, as
// in auditevent, for it runs for every attribute of every record.
func ocsfFieldOf(key string) int {
	switch key {
	case auditevent.AttrUserID:
		return int(ofUserID)
	case auditevent.AttrUserEmail:
		return int(ofUserEmail)
	case auditevent.AttrClientAddress:
		return int(ofClientAddress)
	case auditevent.AttrDescription:
		return int(ofDescription)
	case auditevent.AttrTarget:
		return int(ofTarget)
	case auditevent.AttrErrorCode:
		return int(ofErrorCode)
	case auditevent.AttrSuccess:
		return int(ofSuccess)
	case auditevent.AttrSessionContextType:
		return int(ofSessionType)
	case auditevent.AttrSessionContextIdentifier:
		return int(ofSessionID)
	case auditevent.AttrOrgID:
		return int(ofOrgID)
	case auditevent.AttrEventID:
		return int(ofEventID)
	case auditevent.AttrSourceFormat:
		return int(ofSourceFormat)
	case auditevent.AttrLoginType:
		return int(ofLoginType)
	case auditevent.AttrService:
		return int(ofService)
	case auditevent.AttrServiceRevision:
		return int(ofServiceRevision)
	case auditevent.AttrRoleID:
		return int(ofRoleID)
	case auditevent.AttrAppID:
		return int(ofAppID)
	case auditevent.AttrDatastoreID:
		return int(ofDatastoreID)
	case auditevent.AttrResourceType:
		return int(ofResourceType)
	case auditevent.AttrResourceID:
		return int(ofResourceID)
	case auditevent.AttrAdapterID:
		return int(ofAdapterID)
	case auditevent.AttrNotifierID:
		return int(ofNotifierID)
	case auditevent.AttrSAMLID:
		return int(ofSAMLID)
	case auditevent.AttrWebhookID:
		return int(ofWebhookID)
	case auditevent.AttrEmbedID:
		return int(ofEmbedID)
	case auditevent.AttrDomain:
		return int(ofDomain)
	case auditevent.AttrOCSFCategoryUID:
		return int(ofCategoryUID)
	case auditevent.AttrOCSFCategoryName:
		return int(ofCategoryName)
	case auditevent.AttrOCSFClassUID:
		return int(ofClassUID)
	case auditevent.AttrOCSFClassName:
		return int(ofClassName)
	case auditevent.AttrOCSFActivityID:
		return int(ofActivityID)
	case auditevent.AttrOCSFActivityName:
		return int(ofActivityName)
	case auditevent.AttrOCSFTypeUID:
		return int(ofTypeUID)
	case auditevent.AttrOCSFTypeName:
		return int(ofTypeName)
	case auditevent.AttrOCSFSeverityID:
		return int(ofSeverityID)
	case auditevent.AttrOCSFStatusID:
		return int(ofStatusID)
	}
	return -1
}

// ocsfRecord is a record's mapped attributes, read in one pass, and which of them the event
// has written so far: the rest go to unmapped, so that nothing the record carries is lost.
type ocsfRecord struct {
	lr            plog.LogRecord
	values        [ocsfFieldCount]pcommon.Value
	present, used uint64
}

func (r *ocsfRecord) load(lr plog.LogRecord) {
	r.lr = lr
	for k, v := range lr.Attributes().All() {
		i := ocsfFieldOf(k)
		if i < 0 || r.present&(1<<i) != 0 {
			continue
		}
		// Null and the empty string say nothing an OCSF attribute could hold; left unused, they
		// still reach unmapped.
		if v.Type() == pcommon.ValueTypeEmpty || (v.Type() == pcommon.ValueTypeStr && v.Str() == "") {
			continue
		}
		r.values[i] = v
		r.present |= 1 << i
	}
}

func (r *ocsfRecord) has(f ocsfField) bool { return r.present&(1<<f) != 0 }

// take returns field f and marks it written.
func (r *ocsfRecord) take(f ocsfField) (pcommon.Value, bool) {
	if !r.has(f) {
		return pcommon.Value{}, false
	}
	r.used |= 1 << f
	return r.values[f], true
}

// id reads an OCSF id, which the processor writes as an integer and a hand-made record may
// hold as a string of digits. Anything else is no id: it stays in unmapped, untouched.
func (r *ocsfRecord) id(f ocsfField) (int64, bool) {
	if !r.has(f) {
		return 0, false
	}
	v := r.values[f]
	switch v.Type() {
	case pcommon.ValueTypeInt:
		r.used |= 1 << f
		return v.Int(), true
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseInt(v.Str(), 10, 64)
		if err != nil {
			return 0, false
		}
		r.used |= 1 << f
		return n, true
	}
	return 0, false
}

// str is field f as text, without marking it: for values that only steer the mapping.
func (r *ocsfRecord) str(f ocsfField) string {
	if !r.has(f) || r.values[f].Type() != pcommon.ValueTypeStr {
		return ""
	}
	return r.values[f].Str()
}
