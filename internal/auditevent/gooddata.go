package auditevent

type goodDataKind uint8

const (
	gdString goodDataKind = iota
	gdEventName
	gdUID
	gdTime
	gdBool
)

type goodDataField struct {
	key   string
	kind  goodDataKind
	attr  string
	field Field
	// always: written even when the record lacks it (with "0", "audit" or the empty name), since
	// GoodData readers count on these fields in every entry.
	always bool
}

// Positions of the fields in goodDataFields.
const (
	gdEventNameField = iota
	gdCategoryUIDField
	gdClassUIDField
	gdDescriptionField
	gdTsField
	gdOrgIDField
	gdWorkspaceIDField
	gdUserIDField
	gdTargetField
	gdSourceField
	gdErrorCodeField
	gdSessionContextTypeField
	gdSessionContextIdentifierField
	gdSuccessField
	gdTypeField
	gdEventIDField
	goodDataFieldCount
)

// goodDataFields are the fields of a GoodData entry in the order GoodData writes them, followed
// by the event id, which we add to every entry so that deliveries can be counted and SIEMs can
// drop duplicates. Whatever else an entry carries lives in the record body and is written as
// `details`.
var goodDataFields = [goodDataFieldCount]goodDataField{
	gdEventNameField:                {key: "eventName", kind: gdEventName, field: FieldEventName, always: true},
	gdCategoryUIDField:              {key: "categoryUid", kind: gdUID, attr: AttrOCSFCategoryUID, field: FieldCategoryUID, always: true},
	gdClassUIDField:                 {key: "classUid", kind: gdUID, attr: AttrOCSFClassUID, field: FieldClassUID, always: true},
	gdDescriptionField:              {key: "description", kind: gdString, attr: AttrDescription, field: FieldDescription},
	gdTsField:                       {key: goodDataTs, kind: gdTime, field: FieldTime, always: true},
	gdOrgIDField:                    {key: "orgId", kind: gdString, attr: AttrOrgID, field: FieldOrgID, always: true},
	gdWorkspaceIDField:              {key: "workspaceId", kind: gdString, attr: AttrWorkspaceID, field: FieldWorkspaceID},
	gdUserIDField:                   {key: "userId", kind: gdString, attr: AttrUserID, field: FieldUserID},
	gdTargetField:                   {key: "target", kind: gdString, attr: AttrTarget, field: FieldTarget},
	gdSourceField:                   {key: "source", kind: gdString, attr: AttrClientAddress, field: FieldClientAddress},
	gdErrorCodeField:                {key: "errorCode", kind: gdString, attr: AttrErrorCode, field: FieldErrorCode},
	gdSessionContextTypeField:       {key: "sessionContextType", kind: gdString, attr: AttrSessionContextType, field: FieldSessionContextType},
	gdSessionContextIdentifierField: {key: "sessionContextIdentifier", kind: gdString, attr: AttrSessionContextIdentifier, field: FieldSessionContextIdentifier},
	gdSuccessField:                  {key: "success", kind: gdBool, attr: AttrSuccess, field: FieldSuccess},
	gdTypeField:                     {key: "type", kind: gdString, attr: AttrType, field: FieldType, always: true},
	gdEventIDField:                  {key: goodDataEventID, kind: gdString, attr: AttrEventID, field: FieldEventID, always: true},
}

// goodDataFieldOf returns the position of the field that writes attribute attr, or -1. It is a
// switch rather than a map because it runs for every attribute of every record, and the
// compiled switch costs a fraction of a hash lookup. TestGoodDataFieldOf keeps it in step with
// goodDataFields.
func goodDataFieldOf(attr string) int {
	switch attr {
	case AttrOCSFCategoryUID:
		return gdCategoryUIDField
	case AttrOCSFClassUID:
		return gdClassUIDField
	case AttrDescription:
		return gdDescriptionField
	case AttrOrgID:
		return gdOrgIDField
	case AttrWorkspaceID:
		return gdWorkspaceIDField
	case AttrUserID:
		return gdUserIDField
	case AttrTarget:
		return gdTargetField
	case AttrClientAddress:
		return gdSourceField
	case AttrErrorCode:
		return gdErrorCodeField
	case AttrSessionContextType:
		return gdSessionContextTypeField
	case AttrSessionContextIdentifier:
		return gdSessionContextIdentifierField
	case AttrSuccess:
		return gdSuccessField
	case AttrType:
		return gdTypeField
	case AttrEventID:
		return gdEventIDField
	}
	return -1
}

// GoodDataDetailsKey is the entry field that holds everything beyond the canonical fields.
const GoodDataDetailsKey = "details"

// goodDataFieldOfKey returns the position of the entry field key in goodDataFields, or -1: a
// switch, as goodDataFieldOf, since it runs for every field of every entry received.
// TestGoodDataFieldOfKey keeps it in step with goodDataFields.
func goodDataFieldOfKey(key string) int {
	switch key {
	case "eventName":
		return gdEventNameField
	case "categoryUid":
		return gdCategoryUIDField
	case "classUid":
		return gdClassUIDField
	case "description":
		return gdDescriptionField
	case goodDataTs:
		return gdTsField
	case "orgId":
		return gdOrgIDField
	case "workspaceId":
		return gdWorkspaceIDField
	case "userId":
		return gdUserIDField
	case "target":
		return gdTargetField
	case "source":
		return gdSourceField
	case "errorCode":
		return gdErrorCodeField
	case "sessionContextType":
		return gdSessionContextTypeField
	case "sessionContextIdentifier":
		return gdSessionContextIdentifierField
	case "success":
		return gdSuccessField
	case "type":
		return gdTypeField
	case goodDataEventID:
		return gdEventIDField
	}
	return -1
}
