package auditevent

import "github.com/google/uuid"

// NewEventID returns a new time-ordered event id (UUIDv7), so ids sort roughly by arrival and
// stay unique across collectors without coordination.
func NewEventID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only if the system's random source fails; a random v4 is still unique.
		return uuid.NewString()
	}
	return id.String()
}
