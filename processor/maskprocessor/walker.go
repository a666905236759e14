package maskprocessor

import (
	"hash"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxLoggedPaths bounds the paths one debug log line lists.
const maxLoggedPaths = 64

// walker masks one record's values. It is not safe for concurrent use: each batch gets its own,
// and reuses it for every record of the batch.
type walker struct {
	m       *matcher
	mk      *masker
	scratch []byte
	// spans, buf and mac are reused from string to string, so that a string without a secret
	// costs no allocation and one with a secret only its new value.
	spans []span
	buf   []byte
	mac   hash.Hash
	// awsKeyIDSeen is set when an AWS access key id was found in the map being walked, whose
	// other values may then hold the secret access key.
	awsKeyIDSeen bool

	// masked counts the secrets masked in the current record, fired the rules that found them.
	masked int
	fired  ruleSet
	// perRule counts the secrets masked in the current batch, by rule.
	perRule [numRules]int64

	// trackPaths is set when debug logging is on; only then are paths built, since they cost
	// appends for every value visited.
	trackPaths bool
	path       []byte
	paths      []string
	// apath is the path matched against allow_paths: the debug path without array indices. It
	// is built only when allow_paths is set, in a buffer reused from record to record.
	apath []byte
}

// push appends key k to the paths being tracked and returns the marks pop restores.
func (w *walker) push(k string) (mark, amark int) {
	mark, amark = len(w.path), len(w.apath)
	if w.trackPaths {
		w.path = append(append(w.path, '.'), k...)
	}
	if w.m.allowPaths != nil {
		w.apath = append(append(w.apath, '.'), k...)
	}
	return mark, amark
}

func (w *walker) pop(mark, amark int) {
	w.path, w.apath = w.path[:mark], w.apath[:amark]
}

// allowed reports whether the value at the current path is in allow_paths, and so is left alone
// with everything beneath it.
func (w *walker) allowed() bool {
	if w.m.allowPaths == nil {
		return false
	}
	_, ok := w.m.allowPaths[string(w.apath)] // no allocation: the compiler looks the bytes up
	return ok
}

// walkRecord masks attrs and body and returns how many secrets it masked.
func (w *walker) walkRecord(attrs pcommon.Map, body pcommon.Value) int {
	w.masked, w.fired, w.awsKeyIDSeen = 0, 0, false
	w.path = append(w.path[:0], "attributes"...)
	w.apath = append(w.apath[:0], "attributes"...)
	w.walkMap(attrs, false)
	w.path = append(w.path[:0], "body"...)
	w.apath = append(w.apath[:0], "body"...)
	if !w.allowed() {
		w.walkValue(body)
	}
	return w.masked
}

// walkValue looks for secrets in a value under a key that names no credential.
func (w *walker) walkValue(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		w.walkMap(v.Map(), true)
	case pcommon.ValueTypeSlice:
		w.walkSlice(v.Slice())
	case pcommon.ValueTypeStr:
		w.scanStr(v)
	}
}

// walkMap masks every value under a credential key and looks inside the rest. A nested map that
// is a name/value pair naming a credential ({"name": "password", "value": "..."}, the shape of
// GoodData's data source parameters) has its value masked too; the record's attributes are not
// such a pair, so pairs is false for them. The value of a pair is walked last, once the pair is
// known, so that it is either masked whole or searched, never both.
func (w *walker) walkMap(m pcommon.Map, pairs bool) {
	var pairValue pcommon.Value
	var pairKey string
	hasPairValue, pairIsCredential := false, false
	outerAWS := w.awsKeyIDSeen
	w.awsKeyIDSeen = false
	for k, v := range m.All() {
		if pairs && (k == "value" || k == "Value") {
			pairKey, pairValue, hasPairValue = k, v, true
			continue
		}
		mark, amark := w.push(k)
		allowed := w.allowed()
		if !allowed && w.m.isCredentialKey(k, &w.scratch) {
			w.maskAll(v)
			w.pop(mark, amark)
			continue
		}
		if pairs && (k == "name" || k == "key" || k == "Name" || k == "Key") &&
			v.Type() == pcommon.ValueTypeStr && w.m.isCredentialKey(v.Str(), &w.scratch) {
			pairIsCredential = true
		}
		if !allowed {
			w.walkValue(v)
		}
		w.pop(mark, amark)
	}
	if hasPairValue {
		mark, amark := w.push(pairKey)
		switch {
		case w.allowed():
		case pairIsCredential:
			w.maskAll(pairValue)
		default:
			w.walkValue(pairValue)
		}
		w.pop(mark, amark)
	}
	if w.awsKeyIDSeen {
		w.maskAWSSecretKeys(m)
	}
	w.awsKeyIDSeen = outerAWS
}

// maskAWSSecretKeys masks the values of m shaped like an AWS secret access key: m holds an
// access key id, and the secret travels beside it under a key such as "SecretAccessKey".
func (w *walker) maskAWSSecretKeys(m pcommon.Map) {
	for k, v := range m.All() {
		if v.Type() != pcommon.ValueTypeStr || !isAWSSecretKey(v.Str()) {
			continue
		}
		mark, amark := w.push(k)
		if !w.allowed() {
			w.maskStr(v, ruleAWSSecretAccessKey)
		}
		w.pop(mark, amark)
	}
}

// walkSlice looks inside every element; like a map, an array holding an AWS access key id has the
// secret access key beside it masked.
func (w *walker) walkSlice(s pcommon.Slice) {
	outerAWS := w.awsKeyIDSeen
	w.awsKeyIDSeen = false
	for i := 0; i < s.Len(); i++ {
		w.walkElement(s, i, false)
	}
	if w.awsKeyIDSeen {
		for i := 0; i < s.Len(); i++ {
			w.walkElement(s, i, true)
		}
	}
	w.awsKeyIDSeen = outerAWS
}

// walkElement walks s[i] or, when awsSecrets is set, masks it if it has the shape of an AWS
// secret access key.
func (w *walker) walkElement(s pcommon.Slice, i int, awsSecrets bool) {
	mark := len(w.path)
	if w.trackPaths {
		w.path = strconv.AppendInt(append(w.path, '['), int64(i), 10)
		w.path = append(w.path, ']')
	}
	switch v := s.At(i); {
	case !awsSecrets:
		w.walkValue(v)
	case v.Type() == pcommon.ValueTypeStr && isAWSSecretKey(v.Str()):
		w.maskStr(v, ruleAWSSecretAccessKey)
	}
	w.path = w.path[:mark]
}

// maxScanRounds bounds how often scanStr scans a string it has masked.
const maxScanRounds = 4

// scanStr masks the secrets the value detectors find inside a string and keeps the rest. It
// scans the masked string again until nothing more is found: a marker can change what a
// detector sees around it (a quote or a credential word now next to something else), and a
// record masked once must not change when it is masked again.
func (w *walker) scanStr(v pcommon.Value) {
	s := v.Str()
	changed := false
	for round := 0; ; round++ {
		w.detect(s)
		if len(w.spans) == 0 {
			break
		}
		for _, sp := range w.spans {
			w.count(sp.rule)
		}
		changed = true
		if round == maxScanRounds {
			// Still finding more: the whole string goes, rather than anything of a secret.
			s = string(w.mk.appendMasked(w.buf[:0], w.spans[0].rule, s, &w.mac))
			break
		}
		s = string(w.applySpans(s))
	}
	if changed {
		v.SetStr(s)
		w.logPath()
	}
}

// maskAll masks v if it is a scalar, or every scalar leaf beneath it, keeping the structure so
// that consumers still see which fields were there.
func (w *walker) maskAll(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		for k, child := range v.Map().All() {
			mark, amark := w.push(k)
			if !w.allowed() {
				w.maskAll(child)
			}
			w.pop(mark, amark)
		}
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			mark := len(w.path)
			if w.trackPaths {
				w.path = strconv.AppendInt(append(w.path, '['), int64(i), 10)
				w.path = append(w.path, ']')
			}
			w.maskAll(s.At(i))
			w.path = w.path[:mark]
		}
	case pcommon.ValueTypeStr:
		w.maskStr(v, ruleKey)
	case pcommon.ValueTypeBytes:
		if v.Bytes().Len() > 0 {
			w.maskOther(v)
		}
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble:
		// A numeric PIN or token is still a credential.
		w.maskOther(v)
	}
	// Left alone: null and empty values (nothing to hide, and masking them would make absence
	// look like a secret) and booleans (one bit holds no credential; has_password: true is
	// worth keeping).
}

// maskStr masks a whole string found by r, unless it is empty or masked already, so that
// masking twice counts nothing the second time.
func (w *walker) maskStr(v pcommon.Value, r rule) {
	s := v.Str()
	if s == "" || w.mk.looksMasked(s) {
		return
	}
	v.SetStr(string(w.mk.appendMasked(w.buf[:0], r, s, &w.mac)))
	w.count(r)
	w.logPath()
}

// maskOther replaces a number or bytes with the marker: the partial and hmac styles are for
// strings, whose characters an operator recognises.
func (w *walker) maskOther(v pcommon.Value) {
	v.SetStr(w.mk.replacement)
	w.count(ruleKey)
	w.logPath()
}

func (w *walker) count(r rule) {
	w.masked++
	w.fired.add(r)
	w.perRule[r]++
}

func (w *walker) logPath() {
	if w.trackPaths && len(w.paths) < maxLoggedPaths {
		w.paths = append(w.paths, string(w.path))
	}
}
