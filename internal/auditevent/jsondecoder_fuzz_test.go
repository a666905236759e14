package auditevent

import "testing"

// FuzzDecodeJSON checks the scanner against encoding/json on any input: the same inputs are
// valid, errors are at the same offset with the same reason, values are equal with keys in
// order; reading a stream or an array's elements agrees too, and so does decoding into values
// that hold other events; values read through for a limit (SetLimits) get the same errors;
// nothing panics. Its seeds are jsonCorpus and
// testdata/fuzz/FuzzDecodeJSON.
//
//	go test -run '^$' -fuzz FuzzDecodeJSON -fuzztime 60s ./internal/auditevent/
func FuzzDecodeJSON(f *testing.F) {
	for _, in := range jsonCorpus {
		// Big seeds make the fuzzer slow to minimize what it finds; the table tests have them.
		if len(in) <= 4<<10 {
			f.Add([]byte(in))
		}
	}
	prev := []byte(goodDataFull + "\n" + benchAirkit + `{"a":1,"b":[1,{"c":2}],"d":{"e":"f"},"g":null}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeJSON(t, data)
		checkStream(t, data)
		checkElements(t, data)
		checkAfter(t, prev, data)
		checkReadThrough(t, data)
	})
}
