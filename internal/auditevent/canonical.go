package auditevent

import (
	"math/bits"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/objectkey"
)

// Field is a canonical field of the contract: what a source's field becomes in a record,
// whatever the source calls it. Configuration names fields by Name (required fields, mappings).
type Field uint8

// The canonical fields, in the order problems with them are reported.
const (
	FieldEventName Field = iota
	FieldTime
	FieldOrgID
	FieldEventID
	FieldUserID
	FieldUserEmail
	FieldClientAddress
	FieldDescription
	FieldWorkspaceID
	FieldTarget
	FieldErrorCode
	FieldSuccess
	FieldType
	FieldSessionContextType
	FieldSessionContextIdentifier
	FieldCategoryUID
	FieldClassUID
	FieldRootScopeUserID
	FieldAppID
	FieldBranchID
	FieldDeployID
	FieldSavepointID
	FieldSavepointRevision
	FieldResourceType
	FieldResourceID
	FieldDomain
	FieldDatastoreID
	FieldAPIKeyID
	FieldNotifierID
	FieldSAMLID
	FieldWebhookID
	FieldAdapterID
	FieldEmbedID
	FieldRoleID
	FieldService
	FieldServiceRevision
	FieldLoginType
	fieldCount
)

// fieldKind is what a field's value must be, and where the record keeps it.
type fieldKind uint8

const (
	kindString    fieldKind = iota // a string attribute
	kindEventName                  // the record's event name
	kindTime                       // the record's timestamp
	kindBool                       // a boolean attribute
	kindInt                        // an integer attribute, also given as a string of digits
)

type fieldSpec struct {
	name string
	attr string
	kind fieldKind
}

var fieldSpecs = [fieldCount]fieldSpec{
	FieldEventName:                {name: "event_name", kind: kindEventName},
	FieldTime:                     {name: "time", kind: kindTime},
	FieldOrgID:                    {name: "org_id", attr: AttrOrgID},
	FieldEventID:                  {name: "event_id", attr: AttrEventID},
	FieldUserID:                   {name: "user_id", attr: AttrUserID},
	FieldUserEmail:                {name: "user_email", attr: AttrUserEmail},
	FieldClientAddress:            {name: "client_address", attr: AttrClientAddress},
	FieldDescription:              {name: "description", attr: AttrDescription},
	FieldWorkspaceID:              {name: "workspace_id", attr: AttrWorkspaceID},
	FieldTarget:                   {name: "target", attr: AttrTarget},
	FieldErrorCode:                {name: "error_code", attr: AttrErrorCode},
	FieldSuccess:                  {name: "success", attr: AttrSuccess, kind: kindBool},
	FieldType:                     {name: "type", attr: AttrType},
	FieldSessionContextType:       {name: "session_context_type", attr: AttrSessionContextType},
	FieldSessionContextIdentifier: {name: "session_context_identifier", attr: AttrSessionContextIdentifier},
	FieldCategoryUID:              {name: "category_uid", attr: AttrOCSFCategoryUID, kind: kindInt},
	FieldClassUID:                 {name: "class_uid", attr: AttrOCSFClassUID, kind: kindInt},
	FieldRootScopeUserID:          {name: "root_scope_user_id", attr: AttrRootScopeUserID},
	FieldAppID:                    {name: "app_id", attr: AttrAppID},
	FieldBranchID:                 {name: "branch_id", attr: AttrBranchID},
	FieldDeployID:                 {name: "deploy_id", attr: AttrDeployID},
	FieldSavepointID:              {name: "savepoint_id", attr: AttrSavepointID},
	FieldSavepointRevision:        {name: "savepoint_revision", attr: AttrSavepointRevision},
	FieldResourceType:             {name: "resource_type", attr: AttrResourceType},
	FieldResourceID:               {name: "resource_id", attr: AttrResourceID},
	FieldDomain:                   {name: "domain", attr: AttrDomain},
	FieldDatastoreID:              {name: "datastore_id", attr: AttrDatastoreID},
	FieldAPIKeyID:                 {name: "api_key_id", attr: AttrAPIKeyID},
	FieldNotifierID:               {name: "notifier_id", attr: AttrNotifierID},
	FieldSAMLID:                   {name: "saml_id", attr: AttrSAMLID},
	FieldWebhookID:                {name: "webhook_id", attr: AttrWebhookID},
	FieldAdapterID:                {name: "adapter_id", attr: AttrAdapterID},
	FieldEmbedID:                  {name: "embed_id", attr: AttrEmbedID},
	FieldRoleID:                   {name: "role_id", attr: AttrRoleID},
	FieldService:                  {name: "service", attr: AttrService},
	FieldServiceRevision:          {name: "service_revision", attr: AttrServiceRevision},
	FieldLoginType:                {name: "login_type", attr: AttrLoginType},
}

// Name is the field's name in configuration, such as org_id.
func (f Field) Name() string { return fieldSpecs[f].name }

// FieldByName returns the canonical field called name in configuration.
func FieldByName(name string) (Field, bool) {
	for f := range fieldCount {
		if fieldSpecs[f].name == name {
			return f, true
		}
	}
	return 0, false
}

// FieldSet is a set of canonical fields.
type FieldSet uint64

// The fields must fit in a FieldSet.
var _ [64 - fieldCount]struct{}

// NewFieldSet returns the set of fields.
func NewFieldSet(fields ...Field) FieldSet {
	var s FieldSet
	for _, f := range fields {
		s |= 1 << f
	}
	return s
}

// Has tells whether f is in s.
func (s FieldSet) Has(f Field) bool { return s&(1<<f) != 0 }

// Rules are what every event must satisfy whatever its shape, and what fills in for a missing
// time. The zero value requires nothing and refuses an event without a time.
type Rules struct {
	// Required fields must be present, not null and not empty. Without DefaultTimeReceived,
	// an event without a time is refused whether or not FieldTime is listed.
	Required FieldSet
	// DefaultTimeReceived gives an event without a time the time it was received.
	DefaultTimeReceived bool
	// TimeUnit is how a time given as a number is read.
	TimeUnit TimeUnit
}

// DefaultRules require an event name, a time and an organisation, and read numeric times by
// their magnitude.
var DefaultRules = Rules{Required: NewFieldSet(FieldEventName, FieldTime, FieldOrgID)}

// presence notes, as putField meets them, the canonical fields an event gives a value and
// those it gives as an empty string, to check the required fields in one step at the end.
type presence struct {
	given, blank FieldSet
}

// fieldNames are a shape's names for the canonical fields, for problems.
type fieldNames = [fieldCount]string

// canonicalNames names each field as configuration does: the names of a shape that has no
// field of its own for some canonical field.
var canonicalNames = func() (names fieldNames) {
	for f := range fieldCount {
		names[f] = fieldSpecs[f].name
	}
	return names
}()

// finishRecord applies the rules once a converter has filled lr: the time of receipt for a
// missing time when the rules say so, the required fields (the first missing one in field
// order is reported under the shape's name for it), and a generated event id.
func finishRecord(lr plog.LogRecord, p presence, rules *Rules, received pcommon.Timestamp, names *fieldNames) error {
	required := rules.Required
	if lr.Timestamp() != 0 {
		p.given |= 1 << FieldTime
	} else if rules.DefaultTimeReceived {
		lr.SetTimestamp(received)
		p.given |= 1 << FieldTime
	} else {
		required |= 1 << FieldTime
	}
	if missing := required &^ p.given; missing != 0 {
		f := Field(bits.TrailingZeros64(uint64(missing)))
		if p.blank.Has(f) {
			return fieldErr(names[f], "must not be empty")
		}
		return fieldErr(names[f], reasonRequired)
	}
	// An id the event gave is a string that is not empty (putField refuses any other): only
	// without one are the attributes searched for an id the record held before.
	if !p.given.Has(FieldEventID) {
		ensureEventID(lr)
	}
	return nil
}

// putField stores v, the source field called name, as the canonical field f of the record w
// fills, and notes in seen whether the event gives f (see presence). Strings are moved, not
// copied, leaving v empty. A null stores nothing. textHint names the forms a time may take,
// for the reason when it takes none of them. With intsAsText, an integer is accepted where a
// string is expected and stored as its decimal text: sources other than the two seeds often
// number their users and tenants.
func putField(f Field, name string, v *fieldValue, w *recordWriter, rules *Rules, seen *presence, timeHint string, intsAsText bool) error {
	typ := v.typ
	if typ == pcommon.ValueTypeEmpty {
		return nil
	}
	if typ == pcommon.ValueTypeStr && v.str == "" {
		seen.blank |= 1 << f
	} else {
		seen.given |= 1 << f
	}
	spec := &fieldSpecs[f]
	switch spec.kind {
	case kindEventName:
		if typ != pcommon.ValueTypeStr {
			return fieldErr(name, "must be a string, got "+typeName(typ))
		}
		w.lr.SetEventName(v.str)
	case kindTime:
		if typ == pcommon.ValueTypeStr && v.str == "" {
			return nil // reported as empty if required; replaced by the time of receipt if not
		}
		ts, err := parseEventTime(name, v, rules.TimeUnit, timeHint)
		if err != nil {
			return err
		}
		w.lr.SetTimestamp(ts)
	case kindBool:
		if typ != pcommon.ValueTypeBool {
			return fieldErr(name, "must be true or false, got "+typeName(typ))
		}
		w.putAttr(spec.attr).SetBool(v.b)
	case kindInt:
		n, err := intOf(name, v)
		if err != nil {
			return err
		}
		w.putAttr(spec.attr).SetInt(n)
	default:
		switch {
		case intsAsText && typ == pcommon.ValueTypeInt:
			w.putAttr(spec.attr).SetStr(strconv.FormatInt(v.num, 10))
			return nil
		case typ != pcommon.ValueTypeStr:
			return fieldErr(name, "must be a string, got "+typeName(typ))
		case f == FieldOrgID && v.str != "" && !objectkey.ValidOrgID(v.str):
			// Refused here rather than held by the exporter, which writes no such tenant: the
			// sender learns it now instead of the event waiting in a spool for good.
			return fieldErr(name, reasonOrgID)
		}
		// Moved, not copied: the record takes the decoded string.
		attr := w.putAttr(spec.attr)
		if v.v != (pcommon.Value{}) {
			v.v.MoveTo(attr)
		} else {
			attr.SetStr(v.str)
		}
	}
	return nil
}

const reasonOrgID = "must be 1 to 128 of A-Z a-z 0-9 . _ - (not . or ..): it names the tenant's folder in S3"
