package ocsfprocessor

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/auditship/auditship/processor/ocsfprocessor/internal/ocsftable"
)

// Severity ids of OCSF's severity enum (ocsf_enums.csv).
const (
	severityUnknown       int64 = 0
	severityInformational int64 = 1
	severityLow           int64 = 2
	severityMedium        int64 = 3
	severityHigh          int64 = 4
	severityCritical      int64 = 5
	severityFatal         int64 = 6
	severityOther         int64 = 99
)

// SeverityConfig is the `severity` section: the rule that sets severity_id.
//
// An event's level is, first found: a matching rule's severity_id, its `events` entry's
// severity_id, its class's level under `classes`, the built-in level of its event name, the
// built-in level of its class, `default`. When its status is Failure, the level is raised to
// `failure` if lower. A severity_id the record already carries is kept unless a rule sets one.
type SeverityConfig struct {
	// Default is the level of an event nothing else decides. Default: 1 (Informational).
	Default int64 `mapstructure:"default"`
	// Failure is the least level of an event whose status_id is 2 (Failure); 0 turns the raise
	// off. Default: 3 (Medium), so that a failed logon or a denied change stands out.
	Failure int64 `mapstructure:"failure"`
	// Classes maps a class uid to its level, replacing the built-in level of the class and of
	// the event names in it. Default: none (the built-in levels apply).
	Classes map[string]int64 `mapstructure:"classes"`
}

// builtInClassSeverity are the levels of classes whose every event changes who may do what.
var builtInClassSeverity = map[int64]int64{
	3001: severityLow, // Account Change: users created, deleted, locked, passwords changed
	3005: severityLow, // User Access Management: privileges assigned and revoked
	3006: severityLow, // Group Management: group membership and group privileges
}

// builtInEventSeverity are the levels of event names (lower case) whose class says too little:
// credentials and identity providers live in classes shared with routine events.
var builtInEventSeverity = map[string]int64{
	// Identity providers and federation decide how everyone logs in.
	"auth_provider_create": severityMedium,
	"auth_provider_update": severityMedium,
	"auth_provider_delete": severityMedium,
	"auth_fim_enable":      severityMedium,
	"new_saml":             severityMedium,
	// Long-lived credentials and keys.
	"api_token_create":       severityLow,
	"api_token_delete":       severityLow,
	"new_api_key":            severityLow,
	"modified_api_key":       severityLow,
	"deleted_api_key":        severityLow,
	"new_encryption_key":     severityLow,
	"deleted_encryption_key": severityLow,
}

// checkSeverity refuses a level that is not in OCSF's severity enum, naming key.
func checkSeverity(key string, id int64) error {
	switch id {
	case severityUnknown, severityInformational, severityLow, severityMedium, severityHigh, severityCritical, severityFatal, severityOther:
		return nil
	default:
		return fmt.Errorf("%s: %d is not an OCSF severity_id (0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other)", key, id)
	}
}

// severityTable is SeverityConfig checked, with the built-in levels folded in.
type severityTable struct {
	defaultLevel, failure int64
	// configured holds `severity::classes`; it wins over built-in event levels.
	configured map[int64]int64
}

func (s SeverityConfig) compile(tables *ocsftable.Tables) (severityTable, error) {
	errs := []error{
		checkSeverity("severity::default", s.Default),
		checkSeverity("severity::failure", s.Failure),
	}
	t := severityTable{defaultLevel: s.Default, failure: s.Failure, configured: make(map[int64]int64, len(s.Classes))}
	keys := make([]string, 0, len(s.Classes))
	for k := range s.Classes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		key := "severity::classes::" + k
		uid, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a class uid", key, k))
			continue
		}
		if _, ok := tables.Class(uid); !ok {
			errs = append(errs, fmt.Errorf("%s: unknown OCSF class %d", key, uid))
			continue
		}
		level := s.Classes[k]
		if err := checkSeverity(key, level); err != nil {
			errs = append(errs, err)
			continue
		}
		t.configured[uid] = level
	}
	return t, errors.Join(errs...)
}

// forClass is the level of an event known only by its class.
func (t *severityTable) forClass(classUID int64) int64 {
	if level, ok := t.configured[classUID]; ok {
		return level
	}
	if level, ok := builtInClassSeverity[classUID]; ok {
		return level
	}
	return t.defaultLevel
}

// forEvent is the level of a table entry (lowerName in classUID) that its `events` entry, if
// any, did not set.
func (t *severityTable) forEvent(lowerName string, classUID int64) int64 {
	if level, ok := t.configured[classUID]; ok {
		return level
	}
	if level, ok := builtInEventSeverity[lowerName]; ok {
		return level
	}
	return t.forClass(classUID)
}

// raise applies the failure level to level when status is Failure. 99 Other is left alone: it
// says the source's own scale applies, which a number on OCSF's cannot be compared with.
func (t *severityTable) raise(level, status int64) int64 {
	if status == statusFailure && level < t.failure && level != severityOther {
		return t.failure
	}
	return level
}
