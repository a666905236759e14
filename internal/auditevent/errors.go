package auditevent

import "fmt"

// FieldError says which field of an event is wrong and why, so that a receiver can answer the
// sender with something it can act on. It never carries the field's value: values may be
// secrets. Field is empty when the field's name may be one (credential.InName); Reason then
// says what kind of field it is.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
}

func fieldErr(field, reason string) *FieldError {
	return &FieldError{Field: field, Reason: reason}
}
