package objectkey

import (
	"strconv"
	"time"
)

// VerifyTemplate is a compiled name template for the write-access test object. It is
// immutable and safe for concurrent use.
type VerifyTemplate struct {
	src   string
	parts []part
}

// CompileVerify checks and compiles a verify-object name template: {timestamp} (required)
// and {org_id} are its placeholders; literals and path segments follow the key rules.
func CompileVerify(template string) (*VerifyTemplate, error) {
	parts, err := parse(template, verifyPlaceholders)
	if err != nil {
		return nil, err
	}
	if !has(parts, partTimestamp) {
		return nil, hintAt(-1, "no {timestamp}", "a second check would find the first check's object")
	}
	if err := checkLen(parts); err != nil {
		return nil, err
	}
	return &VerifyTemplate{src: template, parts: parts}, nil
}

// String returns the template as it was written.
func (t *VerifyTemplate) String() string { return t.src }

// Append appends the test object's name for the tenant orgID (checked by the caller with
// ValidOrgID) at time now to buf and returns the extended buffer.
func (t *VerifyTemplate) Append(buf []byte, orgID string, now time.Time) []byte {
	for i := range t.parts {
		switch p := &t.parts[i]; p.kind {
		case partLiteral:
			buf = append(buf, p.lit...)
		case partOrgID:
			buf = append(buf, orgID...)
		case partTimestamp:
			buf = strconv.AppendInt(buf, now.UnixMilli(), 10)
		}
	}
	return buf
}
