// Package auditevent is the data contract between auditship's components: how one audit event
// is held in a plog.LogRecord (attribute names, event name, timestamps, body), how event ids are
// made, and the lossless conversions between a record and the two source schemas, Airkit rows
// and GoodData entries. It also reads the other shapes events arrive in (Airkit's camelCase
// events, any source through a Mapping) and their times, under configurable Rules.
//
// It knows nothing of HTTP, S3 or OCSF tables; receivers, processors and exporters import it so
// that every component reads and writes the same attributes.
package auditevent
