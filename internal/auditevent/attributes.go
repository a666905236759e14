package auditevent

// Attribute names of the contract. OpenTelemetry semantic conventions are used where one
// exists (user.id, user.email, client.address); everything specific to audit logs lives under
// audit.*, and the classification written by the ocsf processor under ocsf.*.
const (
	// AttrEventID is the event's unique id; generated (UUIDv7) when the source gave none.
	AttrEventID = "audit.event.id"
	// AttrOrgID is the tenant key: the organisation the event belongs to.
	AttrOrgID = "audit.org.id"
	// AttrSourceFormat names the shape the event arrived in (FormatGoodData, FormatAirkit).
	AttrSourceFormat = "audit.source.format"

	AttrUserID                   = "user.id"
	AttrUserEmail                = "user.email"
	AttrClientAddress            = "client.address"
	AttrDescription              = "audit.description"
	AttrWorkspaceID              = "audit.workspace.id"
	AttrTarget                   = "audit.target"
	AttrErrorCode                = "audit.error_code"
	AttrSuccess                  = "audit.success"
	AttrType                     = "audit.type"
	AttrSessionContextType       = "audit.session_context.type"
	AttrSessionContextIdentifier = "audit.session_context.identifier"

	// Airkit's columns that have no GoodData counterpart.
	AttrRootScopeUserID    = "audit.root_scope_user.id"
	AttrAppID              = "audit.app.id"
	AttrBranchID           = "audit.branch.id"
	AttrDeployID           = "audit.deploy.id"
	AttrSavepointID        = "audit.savepoint.id"
	AttrSavepointRevision  = "audit.savepoint.revision"
	AttrResourceType       = "audit.resource.type"
	AttrResourceID         = "audit.resource.id"
	AttrDomain             = "audit.domain"
	AttrDatastoreID        = "audit.datastore.id"
	AttrAPIKeyID           = "audit.api_key.id"
	AttrNotifierID         = "audit.notifier.id"
	AttrSAMLID             = "audit.saml.id"
	AttrWebhookID          = "audit.webhook.id"
	AttrAdapterID          = "audit.adapter.id"
	AttrEmbedID            = "audit.embed.id"
	AttrRoleID             = "audit.role.id"
	AttrService            = "audit.service.name"
	AttrServiceRevision    = "audit.service.revision"
	AttrLoginType          = "audit.login.type"
	AttrOCSFCategoryUID    = "ocsf.category_uid"
	AttrOCSFCategoryName   = "ocsf.category_name"
	AttrOCSFClassUID       = "ocsf.class_uid"
	AttrOCSFClassName      = "ocsf.class_name"
	AttrOCSFActivityID     = "ocsf.activity_id"
	AttrOCSFActivityName   = "ocsf.activity_name"
	AttrOCSFTypeUID        = "ocsf.type_uid"
	AttrOCSFTypeName       = "ocsf.type_name"
	AttrOCSFSeverityID     = "ocsf.severity_id"
	AttrOCSFStatusID       = "ocsf.status_id"
	AttrMaskCount          = "mask.count"
	AttrMaskRules          = "mask.rules"
	FormatGoodData         = "gooddata"
	FormatAirkit           = "airkit"
	DefaultGoodDataType    = "audit"
	goodDataTimeLayoutBase = "2006-01-02T15:04:05"
)
