package auditevent

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata"
)

// recordWriter fills a record from one event: putField stores each field through it. The
// values it hands out point into it, which puts it on the heap: each Event holds one, rather
// than each conversion allocating its own.
//
// The attributes it makes have distinct keys: an event's keys are (the decoder and eventOf
// keep one member of a repeated key, with its last value), each key is one canonical field at
// most, each field one attribute, and the source format is none of them. So into a record that holds no
// attributes yet, the usual case, they are appended without the search for the key that each
// of Map's Put methods makes, and reach the record in one step (done). Into a record that
// holds attributes already, they are put with Map's Put methods, which replace those of the
// same keys.
type recordWriter struct {
	lr    plog.LogRecord
	attrs pcommon.Map
	// appended holds the attributes until done, when attrs held none at the start.
	appended xpdata.MapBuilder
	// fresh tells whether attrs held no attribute at the start and done has yet to run.
	fresh bool
}

// start makes w, done with any record before, the writer of lr for an event of which at most
// made attributes are made, with room for them and for those the processors add
// (processorAttrs), so that the attributes are not copied as they grow.
func (w *recordWriter) start(lr plog.LogRecord, made int) {
	w.lr, w.attrs = lr, lr.Attributes()
	w.fresh = w.attrs.Len() == 0
	if w.fresh {
		w.appended.EnsureCapacity(made + processorAttrs)
	} else {
		w.attrs.EnsureCapacity(w.attrs.Len() + made + processorAttrs)
	}
}

// putAttr returns the empty value of the attribute key, which w has not put before.
func (w *recordWriter) putAttr(key string) pcommon.Value {
	if w.fresh {
		return w.appended.AppendEmpty(key)
	}
	return w.attrs.PutEmpty(key)
}

// done gives the record the attributes appended, whether or not the conversion succeeded: a
// record refused midway keeps what was put before the problem, as with Map's Put methods. w
// then lets go of the record, which the event it belongs to outlives.
func (w *recordWriter) done() {
	if w.fresh {
		w.appended.UnsafeIntoMap(w.attrs)
	}
	w.lr, w.attrs, w.fresh = plog.LogRecord{}, pcommon.Map{}, false
}
