package schema

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// OCSFVersion is the OCSF release the events conform to: the highest that Amazon Security Lake
// accepts from a custom source.
const OCSFVersion = "1.3.0"

// OCSF classes with objects of their own.
const (
	classBaseEvent        = 0
	classAccountChange    = 3001
	classAuthentication   = 3002
	classEntityManagement = 3004
	classUserAccess       = 3005
	classGroupManagement  = 3006
	classEmailActivity    = 4009
	classWebResources     = 6001
	classAppLifecycle     = 6002
	classAPIActivity      = 6003
	classDatastore        = 6005
)

// OCSF enum values the encoder writes itself.
const (
	activityOther     = 99
	authProtocolOIDC  = 4
	authProtocolSAML  = 5
	authProtocolOther = 99
)

// ocsfEncoder writes one OCSF event per line. Only NDJSON: OCSF consumers (Security Lake's
// conversion, SIEM collectors) read one event per line, and an array would have to be split
// again.
type ocsfEncoder struct {
	framing
}

func newOCSF() *ocsfEncoder {
	f := ndjsonFraming
	f.extension = ".ndjson"
	return &ocsfEncoder{framing: f}
}

// AppendRecord writes lr as an OCSF event. Keys are written in a fixed order, so the same record
// always gives the same bytes.
//
// A class outside OCSF's core categories (GoodData's own 99001-99007, which the ocsf processor
// keeps unless its id_mode is strict) cannot be written as that class and still be OCSF: the
// event is written as class 0 Base Event, activity 99 Other, with the record's ocsf.*
// attributes in unmapped, so that a strict consumer accepts the file and nothing is lost.
func (*ocsfEncoder) AppendRecord(buf []byte, lr plog.LogRecord) []byte {
	var r ocsfRecord
	r.load(lr)
	open := len(buf)
	buf = append(buf, '{')

	class, _ := r.id(ofClassUID)
	standard := isCoreClass(class)
	if standard {
		buf = r.appendClassification(buf, open, class)
	} else {
		buf = appendBaseEventClassification(buf, &r)
	}
	buf = appendKey(buf, open, "severity_id")
	sev, _ := r.id(ofSeverityID) // 0 Unknown when the processor gave none
	buf = strconv.AppendInt(buf, sev, 10)
	buf = appendKey(buf, open, "status_id")
	status, ok := r.id(ofStatusID)
	if ok {
		// status_id says what success said.
		r.used |= 1 << ofSuccess
	}
	buf = strconv.AppendInt(buf, status, 10)
	buf = appendKey(buf, open, "time")
	buf = strconv.AppendInt(buf, auditevent.EventTime(lr).UnixMilli(), 10)
	buf = r.appendString(buf, open, "message", ofDescription)
	buf = r.appendString(buf, open, "status_code", ofErrorCode)
	buf = r.appendMetadata(buf, open)
	if standard && class != classBaseEvent {
		buf = r.appendActor(buf, open, class)
		buf = r.appendSrcEndpoint(buf, open, class)
		buf = r.appendClassObjects(buf, open, class)
	}
	buf = r.appendUnmapped(buf, open)
	return append(buf, '}')
}

// isCoreClass tells whether class belongs to one of OCSF's core categories (1-8) or is the
// Base Event; extensions and vendor-specific ids do not.
func isCoreClass(class int64) bool {
	return class == classBaseEvent || (class >= 1000 && class < 9000)
}

// appendClassification writes the ids and names of a standard class. Ids the record lacks
// follow from the others by OCSF's rules (class_uid = category_uid*1000 + n, type_uid =
// class_uid*100 + activity_id) or are 0, Unknown.
func (r *ocsfRecord) appendClassification(buf []byte, open int, class int64) []byte {
	activity, _ := r.id(ofActivityID)
	category, ok := r.id(ofCategoryUID)
	if !ok {
		category = class / 1000
	}
	typ, ok := r.id(ofTypeUID)
	if !ok {
		typ = class*100 + activity
	}
	buf = appendKey(buf, open, "activity_id")
	buf = strconv.AppendInt(buf, activity, 10)
	buf = r.appendString(buf, open, "activity_name", ofActivityName)
	buf = appendKey(buf, open, "category_uid")
	buf = strconv.AppendInt(buf, category, 10)
	buf = r.appendString(buf, open, "category_name", ofCategoryName)
	buf = appendKey(buf, open, "class_uid")
	buf = strconv.AppendInt(buf, class, 10)
	buf = r.appendString(buf, open, "class_name", ofClassName)
	buf = appendKey(buf, open, "type_uid")
	buf = strconv.AppendInt(buf, typ, 10)
	return r.appendString(buf, open, "type_name", ofTypeName)
}

// appendBaseEventClassification writes a record of a non-OCSF class as Base Event, Other. The
// source's own label for what happened, its event name, becomes activity_name, as OCSF asks
// for activity 99.
func appendBaseEventClassification(buf []byte, r *ocsfRecord) []byte {
	r.used &^= 1 << ofClassUID // the record's class goes to unmapped
	buf = append(buf, `"activity_id":99,"activity_name":`...)
	buf = auditevent.AppendJSONString(buf, r.lr.EventName())
	buf = append(buf, `,"category_uid":0,"category_name":"Uncategorized","class_uid":0,"class_name":"Base Event","type_uid":`...)
	return strconv.AppendInt(buf, classBaseEvent*100+activityOther, 10)
}

// ocsfProduct names metadata.product for a record that arrived in format: the two seeds by
// their own names; another source by the format it arrived in, the only name we have for it;
// "unknown" when the record does not say, for OCSF requires a vendor_name.
func ocsfProduct(format string) (name, vendor string) {
	switch format {
	case auditevent.FormatGoodData:
		return "GoodData", "GoodData"
	case auditevent.FormatAirkit:
		return "Airkit", "Airkit"
	case "":
		return "unknown", "unknown"
	}
	return format, format
}

// appendMetadata writes metadata: the product that reported the event (the source the receiver
// decoded it from), our event id, the source's event name and the tenant.
func (r *ocsfRecord) appendMetadata(buf []byte, open int) []byte {
	buf = appendKey(buf, open, "metadata")
	mOpen := len(buf)
	buf = append(buf, `{"version":"`+OCSFVersion+`","product":{"name":`...)
	name, vendor := ocsfProduct(r.str(ofSourceFormat))
	r.used |= 1 << ofSourceFormat
	buf = auditevent.AppendJSONString(buf, name)
	buf = append(buf, `,"vendor_name":`...)
	buf = auditevent.AppendJSONString(buf, vendor)
	buf = append(buf, '}')
	buf = r.appendString(buf, mOpen, "uid", ofEventID)
	if name := r.lr.EventName(); name != "" {
		buf = appendKey(buf, mOpen, "event_code")
		buf = auditevent.AppendJSONString(buf, name)
	}
	buf = r.appendString(buf, mOpen, "tenant_uid", ofOrgID)
	return append(buf, '}')
}

// eventUserIsSubject tells whether user.id and user.email describe the class's `user`, the user
// acted on: in Authentication, where the user who logs on is that user; in Account Change and
// User Access Management when the source names no other (target). Then user.email is written
// there, not in actor.
func (r *ocsfRecord) eventUserIsSubject(class int64) bool {
	switch class {
	case classAuthentication:
		return true
	case classAccountChange, classUserAccess:
		return !r.has(ofTarget)
	}
	return false
}

// hasActor tells the classes that define actor in 1.3.0: the IAM classes, API and Datastore
// Activity. Elsewhere (Email, Web Resources, Application Lifecycle, Base Event) only a profile
// would bring it, so the user stays in unmapped.
func hasActor(class int64) bool {
	return class/1000 == 3 || class == classAPIActivity || class == classDatastore
}

// appendActor writes actor, the user who acted and the credential of the session, in the
// classes that have one. API and Datastore Activity require it, so there it is written even
// when empty.
func (r *ocsfRecord) appendActor(buf []byte, open int, class int64) []byte {
	if !hasActor(class) {
		return buf
	}
	var aOpen, uOpen, sOpen int
	start := len(buf)
	buf, aOpen = openObject(buf, open, "actor")
	// In Authentication the actor is the user who logs on: `user` says it once.
	if class != classAuthentication {
		uStart := len(buf)
		buf, uOpen = openObject(buf, aOpen, "user")
		buf = r.appendString(buf, uOpen, "uid", ofUserID)
		if !r.eventUserIsSubject(class) {
			buf = r.appendString(buf, uOpen, "email_addr", ofUserEmail)
		}
		buf = closeObject(buf, uStart, uOpen, false)
	}
	if r.has(ofSessionID) {
		sStart := len(buf)
		buf, sOpen = openObject(buf, aOpen, "session")
		buf = r.appendString(buf, sOpen, "credential_uid", ofSessionID)
		buf = closeObject(buf, sStart, sOpen, false)
	}
	return closeObject(buf, start, aOpen, class == classAPIActivity || class == classDatastore)
}

// appendSrcEndpoint writes where the request came from, in every class that has the attribute
// (all here but Application Lifecycle); required, and so written even when empty, in API and
// Datastore Activity.
func (r *ocsfRecord) appendSrcEndpoint(buf []byte, open int, class int64) []byte {
	if class == classAppLifecycle {
		return buf
	}
	var eOpen int
	start := len(buf)
	buf, eOpen = openObject(buf, open, "src_endpoint")
	buf = r.appendString(buf, eOpen, "ip", ofClientAddress)
	return closeObject(buf, start, eOpen, class == classAPIActivity || class == classDatastore)
}

// appendClassObjects writes the objects a class requires, with what the record knows of them.
// A required object the record knows nothing of is still written, empty, as OCSF asks for
// missing data ("the object with only what is known"); ids that are unknown are 0.
func (r *ocsfRecord) appendClassObjects(buf []byte, open int, class int64) []byte {
	switch class {
	case classAccountChange, classUserAccess:
		// The user acted on: the target when the source names one, else the user of the event.
		buf = r.appendUser(buf, open, class, ofTarget)
		if class == classUserAccess {
			buf = appendKey(buf, open, "privileges")
			buf = append(buf, '[')
			if v, ok := r.take(ofRoleID); ok {
				buf = appendStringValue(buf, v)
			}
			buf = append(buf, ']')
		}
	case classAuthentication:
		buf = r.appendUser(buf, open, class, ofUserID)
		buf = r.appendAuthProtocol(buf, open)
		var sOpen int
		start := len(buf)
		buf, sOpen = openObject(buf, open, "service")
		buf = r.appendString(buf, sOpen, "name", ofService)
		buf = r.appendString(buf, sOpen, "version", ofServiceRevision)
		buf = closeObject(buf, start, sOpen, false)
	case classEntityManagement:
		buf = r.appendEntity(buf, open)
	case classGroupManagement:
		buf = r.appendUIDObject(buf, open, "group", ofTarget)
	case classEmailActivity:
		// The direction and the addresses are not in either source.
		buf = append(buf, `,"direction_id":0,"email":{}`...)
	case classWebResources:
		buf = appendKey(buf, open, "web_resources")
		buf = append(buf, '[')
		if r.has(ofTarget) {
			buf = append(buf, `{"uid":`...)
			buf = appendStringValue(buf, r.values[ofTarget])
			r.used |= 1 << ofTarget
			buf = append(buf, '}')
		}
		buf = append(buf, ']')
	case classAppLifecycle:
		buf = r.appendUIDObject(buf, open, "app", ofAppID)
	case classAPIActivity:
		// The source's event name is the operation it reports.
		buf = append(buf, `,"api":{"operation":`...)
		buf = auditevent.AppendJSONString(buf, r.lr.EventName())
		buf = append(buf, '}')
	case classDatastore:
		buf = appendKey(buf, open, "database")
		dOpen := len(buf)
		buf = append(buf, '{')
		if r.has(ofDatastoreID) {
			buf = r.appendString(buf, dOpen, "uid", ofDatastoreID)
		} else {
			buf = r.appendString(buf, dOpen, "uid", ofTarget)
		}
		buf = appendKey(buf, dOpen, "type_id")
		buf = append(buf, '0', '}')
	}
	return buf
}

// appendUser writes the required `user`: uid from the field uid (falling back to user.id), and
// user.email when it is this user's.
func (r *ocsfRecord) appendUser(buf []byte, open int, class int64, uid ocsfField) []byte {
	buf = appendKey(buf, open, "user")
	uOpen := len(buf)
	buf = append(buf, '{')
	if !r.has(uid) {
		uid = ofUserID
	}
	buf = r.appendString(buf, uOpen, "uid", uid)
	if r.eventUserIsSubject(class) {
		buf = r.appendString(buf, uOpen, "email_addr", ofUserEmail)
	}
	return append(buf, '}')
}

// appendUIDObject writes {"uid":...} under key: a required object of which the record knows
// at most the uid.
func (r *ocsfRecord) appendUIDObject(buf []byte, open int, key string, uid ocsfField) []byte {
	buf = appendKey(buf, open, key)
	oOpen := len(buf)
	buf = append(buf, '{')
	buf = r.appendString(buf, oOpen, "uid", uid)
	return append(buf, '}')
}

// appendAuthProtocol writes how the user authenticated: GoodData's session context type, else
// Airkit's login type, as auth_protocol with OCSF's id for it.
func (r *ocsfRecord) appendAuthProtocol(buf []byte, open int) []byte {
	f := ofSessionType
	if !r.has(f) {
		f = ofLoginType
	}
	label := r.str(f)
	if label == "" {
		return buf
	}
	id := authProtocolOther
	switch {
	case strings.EqualFold(label, "OIDC"), strings.EqualFold(label, "OpenID"):
		id = authProtocolOIDC
	case strings.EqualFold(label, "SAML"):
		id = authProtocolSAML
	}
	buf = appendKey(buf, open, "auth_protocol_id")
	buf = strconv.AppendInt(buf, int64(id), 10)
	return r.appendString(buf, open, "auth_protocol", f)
}

// entityIDs are Airkit's ids of configuration objects, in the order the encoder looks for the
// entity of an Entity Management event, with the type each names. An event carries APP_ID as
// context as well, so the app comes last.
var entityIDs = [...]struct {
	field ocsfField
	kind  string
}{
	{ofAdapterID, "adapter"},
	{ofNotifierID, "notifier"},
	{ofSAMLID, "saml"},
	{ofWebhookID, "webhook"},
	{ofEmbedID, "embed"},
	{ofDomain, "domain"},
	{ofAppID, "app"},
}

// appendEntity writes the managed entity: GoodData's target; else Airkit's resource (typed by
// RESOURCE_TYPE); else the first of Airkit's object ids, typed by the column it came from.
func (r *ocsfRecord) appendEntity(buf []byte, open int) []byte {
	buf = appendKey(buf, open, "entity")
	eOpen := len(buf)
	buf = append(buf, '{')
	switch {
	case r.has(ofTarget):
		buf = r.appendString(buf, eOpen, "uid", ofTarget)
	case r.has(ofResourceID) || r.has(ofResourceType):
		buf = r.appendString(buf, eOpen, "uid", ofResourceID)
		buf = r.appendString(buf, eOpen, "type", ofResourceType)
	default:
		for _, e := range entityIDs {
			if r.has(e.field) {
				buf = r.appendString(buf, eOpen, "uid", e.field)
				buf = appendKey(buf, eOpen, "type")
				buf = auditevent.AppendJSONString(buf, e.kind)
				break
			}
		}
	}
	return append(buf, '}')
}

// unmappedBodyKey holds the record's body (GoodData's details) in unmapped.
const unmappedBodyKey = "details"

// appendUnmapped writes what the record carries and no OCSF attribute holds: the body, under
// details, and every attribute not written above, under its own name. Bookkeeping stays out,
// but for the processor's classification when the event could not use it (a Base Event's
// original class, an id that is not a number): it says what the event was.
func (r *ocsfRecord) appendUnmapped(buf []byte, open int) []byte {
	var uOpen int
	start := len(buf)
	buf, uOpen = openObject(buf, open, "unmapped")
	body := r.lr.Body()
	hasBody := !(body.Type() == pcommon.ValueTypeEmpty || (body.Type() == pcommon.ValueTypeMap && body.Map().Len() == 0))
	if hasBody {
		buf = appendKey(buf, uOpen, unmappedBodyKey)
		buf = auditevent.AppendJSONValue(buf, body)
	}
	for k, v := range r.lr.Attributes().All() {
		i := ocsfFieldOf(k)
		if (i >= 0 && r.used&(1<<i) != 0) || (i < 0 && auditevent.IsBookkeepingAttr(k)) {
			continue
		}
		if hasBody && k == unmappedBodyKey {
			// A JSON object with a key twice is read differently by different readers: the body
			// keeps the name.
			continue
		}
		if len(buf) > uOpen+1 {
			buf = append(buf, ',')
		}
		buf = auditevent.AppendJSONString(buf, k)
		buf = append(buf, ':')
		buf = auditevent.AppendJSONValue(buf, v)
	}
	return closeObject(buf, start, uOpen, false)
}

// appendString writes field f as the string member key, when the record has it.
func (r *ocsfRecord) appendString(buf []byte, open int, key string, f ocsfField) []byte {
	v, ok := r.take(f)
	if !ok {
		return buf
	}
	buf = appendKey(buf, open, key)
	return appendStringValue(buf, v)
}

// appendStringValue writes v as a JSON string: OCSF types uids and names as strings even when
// the source gave a number.
func appendStringValue(buf []byte, v pcommon.Value) []byte {
	if v.Type() == pcommon.ValueTypeStr {
		return auditevent.AppendJSONString(buf, v.Str())
	}
	return auditevent.AppendJSONString(buf, v.AsString())
}

// appendKey appends `"key":` as a member of the object whose brace is at buf[open], with a comma
// unless it is the first. Keys are the encoder's own constants, which need no escaping.
func appendKey(buf []byte, open int, key string) []byte {
	if len(buf) > open+1 {
		buf = append(buf, ',')
	}
	buf = append(buf, '"')
	buf = append(buf, key...)
	return append(buf, '"', ':')
}

// openObject starts the object member key and returns where its brace is.
func openObject(buf []byte, open int, key string) ([]byte, int) {
	buf = appendKey(buf, open, key)
	brace := len(buf)
	return append(buf, '{'), brace
}

// closeObject ends the object member that started at start, with its brace at oOpen. An
// optional object that got no members is taken out again.
func closeObject(buf []byte, start, oOpen int, required bool) []byte {
	if !required && len(buf) == oOpen+1 {
		return buf[:start]
	}
	return append(buf, '}')
}
