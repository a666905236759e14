package schema

import (
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditship/auditship/internal/auditevent"
)

// goodDataEncoder writes GoodData entries. Files end in `.json` in both formats, as GoodData
// names its own NDJSON files.
type goodDataEncoder struct {
	framing
}

func newGoodData(array bool) *goodDataEncoder {
	f := ndjsonFraming
	if array {
		f = jsonArrayFraming
	}
	f.extension = ".json"
	return &goodDataEncoder{framing: f}
}

func (*goodDataEncoder) AppendRecord(buf []byte, lr plog.LogRecord) []byte {
	return auditevent.AppendGoodDataEntry(buf, lr)
}
