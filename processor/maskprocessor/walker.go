package maskprocessor

import (
	"hash"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
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
	// keptSpans and mergedSpans are dropOverlaps' buffers; pairValues holds the values of
	// name/value pairs that walkMap walks last.
	keptSpans, mergedSpans []span
	pairValues             []keyedValue
	// renamedKeys holds the keys holding a secret that walkMap masks once it has walked the map.
	renamedKeys []renamedKey
	buf         []byte
	mac         hash.Hash
	// awsKeyIDSeen is set when an AWS access key id was found in the map being walked, whose
	// other values may then hold the secret access key.
	awsKeyIDSeen bool

	// memo holds what the walk of the earlier records of the batch with the current record's
	// event name learnt at each position (see visitMemo), nil for none; visits is the position
	// the walk of the current record has reached. memos[:events] hold the memo of each event
	// name met in the batch. They are part of the walker, not allocated apart, so that a new
	// walker still costs a single allocation.
	memo       []visitMemo
	visits     int
	memos      [memoEvents]eventMemo
	events     int
	nextReused int

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
	// anyPath is set when either path is built, so that walkMap's loop, push and pop, which run
	// for every key of every record, cost one test when none is.
	anyPath bool
}

// memoPositions bounds the positions of a record's walk that visitMemo covers: audit records hold
// a few dozen values, and a larger record simply goes without the memo beyond them.
const memoPositions = 48

// memoEvents bounds the event names a walker keeps a memo for; beyond, the memos are reused in
// turn.
const memoEvents = 16

// visitMemo is what the walk learnt at one position of a record (the n-th key or array element
// visited): the key found there and whether it names a credential, and a string found there in
// which no detector found anything. The records of one event name in a batch mostly share their
// shape, the same attributes in the same order, and many of their values (descriptions,
// classifications, session types), so the next one usually finds the same key at the same
// position, and often the same string; comparing them, at once when they are the same constant,
// costs far less than matching the key against the terms and scanning the string, which every
// key and value of every record would otherwise cost. Both answers depend on the text alone,
// compared whole, so a record of another shape only finds no match. The zero value is right
// too: the empty key names no credential, and an empty string holds no secret.
type visitMemo struct {
	key           string
	credentialKey bool
	clean         string
}

// eventMemo is the memo of the records of one event name.
type eventMemo struct {
	event string
	// eventClean is set once the event name was scanned and found to hold no secret.
	eventClean bool
	visits     [memoPositions]visitMemo
}

// useMemoOf makes the memo of event the one the next records are walked with, and returns it.
func (w *walker) useMemoOf(event string) *eventMemo {
	for i := range w.events {
		if w.memos[i].event == event {
			w.memo = w.memos[i].visits[:]
			return &w.memos[i]
		}
	}
	var m *eventMemo
	if w.events < memoEvents {
		m = &w.memos[w.events]
		w.events++
	} else {
		// Its entries stay: one that matches is right whatever event put it there.
		m = &w.memos[w.nextReused]
		w.nextReused = (w.nextReused + 1) % memoEvents
	}
	m.event, m.eventClean = event, false
	w.memo = m.visits[:]
	return m
}

// sameString reports whether a and b are equal, and compares their bytes only when they are
// not the same bytes. The keys the receiver decodes and the values the converter and the ocsf
// processor write are shared by every record that holds them, so that the memo mostly finds the
// very string it holds; the call that compares bytes made the walk save and reload its registers
// around it, at every key of every record.
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// nextMemo returns the memo of the next position of the walk, or nil beyond memoPositions.
func (w *walker) nextMemo() *visitMemo {
	if w.visits >= len(w.memo) {
		return nil
	}
	w.visits++
	return &w.memo[w.visits-1]
}

// isCredentialKey is matcher.isCredentialKey, answered from e when it saw k last. It is split
// from learnKey so that the compiler inlines the usual case, a key seen before.
func (w *walker) isCredentialKey(k string, e *visitMemo) bool {
	if e != nil && e.key == k {
		return e.credentialKey
	}
	return w.learnKey(k, e)
}

func (w *walker) learnKey(k string, e *visitMemo) bool {
	cred := w.m.isCredentialKey(k, &w.scratch)
	if e != nil {
		e.key, e.credentialKey = k, cred
	}
	return cred
}

// forgetBatch drops the memos once a batch is done, so that a pooled walker keeps no record's
// text alive.
func (w *walker) forgetBatch() {
	clear(w.memos[:w.events])
	w.memo, w.events, w.nextReused = nil, 0, 0
}

// push appends key k to the paths being tracked and returns the marks pop restores.
func (w *walker) push(k string) (mark, amark int) {
	return w.pushLogged(k, k)
}

// pushLogged is push for a key the debug path names as logged and allow_paths matches as k.
func (w *walker) pushLogged(logged, k string) (mark, amark int) {
	if !w.anyPath {
		return 0, 0
	}
	mark, amark = len(w.path), len(w.apath)
	if w.trackPaths {
		w.path = append(append(w.path, '.'), logged...)
	}
	if w.m.allowPaths != nil {
		w.apath = append(append(w.apath, '.'), k...)
	}
	return mark, amark
}

func (w *walker) pop(mark, amark int) {
	if !w.anyPath {
		return
	}
	// Each path is cut only when it is built: storing a slice back costs a write barrier check.
	if w.trackPaths {
		w.path = w.path[:mark]
	}
	if w.m.allowPaths != nil {
		w.apath = w.apath[:amark]
	}
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

// walkRecord masks the event name, attributes and body of lr and returns how many secrets it
// masked.
func (w *walker) walkRecord(lr plog.LogRecord) int {
	w.masked, w.fired, w.awsKeyIDSeen, w.visits = 0, 0, false, 0
	w.anyPath = w.trackPaths || w.m.allowPaths != nil
	if m := w.useMemoOf(lr.EventName()); !m.eventClean {
		m.eventClean = w.maskEventName(lr)
	}
	w.path = append(w.path[:0], "attributes"...)
	w.apath = append(w.apath[:0], "attributes"...)
	w.walkMap(lr.Attributes(), false)
	w.path = append(w.path[:0], "body"...)
	w.apath = append(w.apath[:0], "body"...)
	if !w.allowed() {
		w.walkValue(lr.Body(), w.nextMemo())
	}
	return w.masked
}

// maskEventName masks the secrets in the event name, which is written out and logged like any
// value, and reports whether it held none, so that the records of the batch with the same event
// name skip it.
func (w *walker) maskEventName(lr plog.LogRecord) (clean bool) {
	masked, changed := w.maskText(lr.EventName())
	if !changed {
		return true
	}
	lr.SetEventName(masked)
	w.path = append(w.path[:0], "event_name"...)
	w.logPath()
	return false
}

// walkValue looks for secrets in a value under a key that names no credential; e is the memo of
// its position, nil for none.
func (w *walker) walkValue(v pcommon.Value, e *visitMemo) {
	// Most values are strings: one check of the type for them, where a switch on Type and then
	// Str took two. A string too short for any detector, or one holdsNoSecret settles, is not
	// scanned at all, and an empty Str is either an empty string, which holds nothing, or not a
	// string.
	if s := v.Str(); s != "" {
		if len(s) >= minAssignment && !holdsNoSecret(s) && (e == nil || !sameString(e.clean, s)) {
			w.scanStr(v, s, e)
		}
		return
	}
	switch v.Type() {
	case pcommon.ValueTypeMap:
		w.walkMap(v.Map(), true)
	case pcommon.ValueTypeSlice:
		w.walkSlice(v.Slice())
	case pcommon.ValueTypeBytes:
		w.scanBytes(v)
	}
}

// scanBytes masks the secrets in bytes that hold text (valid UTF-8) as scanStr does in a
// string, and writes the masked text back as bytes: the exporter writes bytes in base64, which
// hides a secret from a glance but not from anyone who decodes it. Bytes that are not text
// (an image, a digest) stay as they are.
func (w *walker) scanBytes(v pcommon.Value) {
	raw := v.Bytes().AsRaw()
	if len(raw) < minAssignment || !utf8.Valid(raw) {
		return
	}
	if masked, changed := w.maskText(string(raw)); changed {
		v.Bytes().FromRaw([]byte(masked))
		w.logPath()
	}
}

// walkMap masks every value under a credential key and looks inside the rest. A nested map that
// is a name/value pair naming a credential ({"name": "password", "value": "..."}, the shape of
// GoodData's data source parameters, or {"ParameterKey": "DBPassword", "ParameterValue": "..."},
// CloudFormation's) has its values masked too; the record's attributes are not such a pair, so
// pairs is false for them. The values of a pair are walked last, once the pair is known, so that
// each is either masked whole or searched, never both.
func (w *walker) walkMap(m pcommon.Map, pairs bool) {
	// This map's pair values are w.pairValues[firstPairValue:]; the maps inside it add theirs
	// after them and drop them before returning.
	firstPairValue, firstRenamed := len(w.pairValues), len(w.renamedKeys)
	outerAWS := w.awsKeyIDSeen
	w.awsKeyIDSeen = false
	// The loop's body is kept small enough for the compiler to inline it into the iterator, as
	// it runs for every key of every record; the rarer work is in the methods it calls.
	for k, v := range m.All() {
		if pairs && isPairValueKey(k) {
			w.deferPairValue(k, v)
			continue
		}
		e := w.nextMemo()
		var credentialKey bool
		if e != nil && sameString(e.key, k) {
			credentialKey = e.credentialKey
		} else {
			credentialKey, e = w.learnNewKey(k, e)
		}
		if w.anyPath {
			w.visitAtPath(k, v, e, credentialKey)
			continue
		}
		if credentialKey {
			w.maskUnder(k, v, e)
			continue
		}
		w.walkValue(v, e)
	}
	lastPairValue := len(w.pairValues)
	pairIsCredential := lastPairValue > firstPairValue && w.mapPairNamesCredential(m)
	for i := firstPairValue; i < lastPairValue; i++ {
		pair := w.pairValues[i]
		e := w.nextMemo()
		mark, amark := w.push(pair.key)
		switch {
		case w.allowed():
		case pairIsCredential || w.isCredentialKey(pair.key, e):
			w.maskAll(pair.value)
		default:
			w.walkValue(pair.value, e)
		}
		w.pop(mark, amark)
	}
	clear(w.pairValues[firstPairValue:]) // keep no record's values alive in a pooled walker
	w.pairValues = w.pairValues[:firstPairValue]
	if w.awsKeyIDSeen {
		w.maskAWSSecretKeys(m)
	}
	w.awsKeyIDSeen = outerAWS
	for _, rk := range w.renamedKeys[firstRenamed:] {
		w.maskKey(m, rk)
	}
	clear(w.renamedKeys[firstRenamed:])
	w.renamedKeys = w.renamedKeys[:firstRenamed]
}

// visitAtPath is the rest of walkMap's loop for a walk that builds paths (see anyPath), which
// also leaves alone a value in allow_paths. It is apart from the loop, which every key of every
// record runs, so that the usual walk, which builds no path, runs less code and saves and
// reloads fewer registers around its calls.
func (w *walker) visitAtPath(k string, v pcommon.Value, e *visitMemo, credentialKey bool) {
	mark, amark := w.pushLogged(w.loggedKey(k), k)
	switch {
	case w.allowed():
	case credentialKey:
		w.maskUnder(k, v, e)
	default:
		w.walkValue(v, e)
	}
	w.pop(mark, amark)
}

// deferPairValue keeps v, the value of a name/value pair under k, for walkMap to walk last.
func (w *walker) deferPairValue(k string, v pcommon.Value) {
	w.pairValues = append(w.pairValues, keyedValue{k, v})
}

// learnNewKey is isCredentialKey for k, a key the memo e (nil for none) has not seen at its
// position; it also looks for a secret in k. It returns the memo to use for k: nil for a key
// holding a secret, which walkMap masks once it has walked the map, so that the next record
// finds the key unknown and scans it again.
func (w *walker) learnNewKey(k string, e *visitMemo) (credentialKey bool, memo *visitMemo) {
	if len(k) >= minAssignment {
		if w.detect(k); len(w.spans) > 0 {
			// Masked now, not when the key is renamed after the walk of its map: the paths of
			// the values beneath it, logged meanwhile, must name it masked too.
			w.renamedKeys = append(w.renamedKeys, renamedKey{raw: k, masked: w.maskDetected(k)})
			e = nil
		}
	}
	return w.learnKey(k, e), e
}

// mapPairNamesCredential reports whether m, a map holding a name/value pair's values, has a name
// key whose value names a credential. It runs only for maps with a value key, where it is
// cheaper to look again than to test every key of every map as a name.
func (w *walker) mapPairNamesCredential(m pcommon.Map) bool {
	for k, v := range m.All() {
		if isPairNameKey(k) && v.Type() == pcommon.ValueTypeStr && w.m.isCredentialKey(v.Str(), &w.scratch) {
			return true
		}
	}
	return false
}

// maskUnder masks v, the value under the credential key k, unless it is the shell's working
// directory (see isWorkingDirectory), which is searched like any value.
func (w *walker) maskUnder(k string, v pcommon.Value, e *visitMemo) {
	if isWorkingDirectory(k, v.Str()) {
		w.walkValue(v, e)
		return
	}
	w.maskAll(v)
}

// renamedKey is a key holding a secret and its masked form.
type renamedKey struct{ raw, masked string }

// loggedKey is k as the debug log names it: masked when k is a key of the map being walked that
// holds a secret (learnNewKey has just put it last in renamedKeys).
func (w *walker) loggedKey(k string) string {
	if n := len(w.renamedKeys); n > 0 && w.renamedKeys[n-1].raw == k {
		return w.renamedKeys[n-1].masked
	}
	return k
}

// maskKey moves the value under rk.raw, a key holding a secret, to the masked key: keys are
// written out like values. A masked key already in m gets a number, so that no value is lost.
func (w *walker) maskKey(m pcommon.Map, rk renamedKey) {
	v, ok := m.Get(rk.raw)
	if !ok {
		return
	}
	masked := rk.masked
	free := masked
	for n := 2; ; n++ {
		if _, taken := m.Get(free); !taken {
			break
		}
		free = masked + "#" + strconv.Itoa(n)
	}
	moved := pcommon.NewValueEmpty()
	v.CopyTo(moved)
	m.Remove(rk.raw)
	moved.CopyTo(m.PutEmpty(free))
	mark, amark := w.push(free)
	w.logPath()
	w.pop(mark, amark)
}

// keyedValue is a value of a map and its key.
type keyedValue struct {
	key   string
	value pcommon.Value
}

// isPairValueKey reports whether k holds the value of a name/value pair: value, Value, VALUE,
// or a longer name ending in it (ParameterValue, OptionValue, newValue). It runs for every key
// of a nested map, so the last byte, which rejects most keys, is tested first.
func isPairValueKey(k string) bool {
	return k != "" && (k[len(k)-1] == 'e' || k[len(k)-1] == 'E') && hasFoldSuffix(k, "value")
}

// isPairNameKey reports whether k holds the name of a name/value pair: name or key in any case,
// or a longer key ending in a word Name or Key (ParameterKey, OptionName, param_name).
// username and apikey end in the letters, not the word, and hold no pair's name.
func isPairNameKey(k string) bool {
	if k == "" || (k[len(k)-1] != 'e' && k[len(k)-1] != 'E' && k[len(k)-1] != 'y' && k[len(k)-1] != 'Y') {
		return false
	}
	for _, word := range [...]string{"name", "key"} {
		if !hasFoldSuffix(k, word) {
			continue
		}
		before := len(k) - len(word)
		return before == 0 || isSeparator(k[before-1]) || (isLower(k[before-1]) && isUpper(k[before]))
	}
	return false
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
		w.walkValue(v, w.nextMemo())
	case v.Type() == pcommon.ValueTypeStr && isAWSSecretKey(v.Str()):
		w.maskStr(v, ruleAWSSecretAccessKey)
	}
	w.path = w.path[:mark]
}

// maxScanRounds bounds how often maskDetected scans a string it has masked.
const maxScanRounds = 4

// scanStr masks the secrets the value detectors find inside s, the string of v, and keeps the
// rest. e, the memo of the position of v (nil for none), remembers s when it is clean, so that
// the caller skips it the next time.
func (w *walker) scanStr(v pcommon.Value, s string, e *visitMemo) {
	// Most strings hold nothing: one scan, and no call beyond it.
	if w.detect(s); len(w.spans) == 0 {
		if e != nil {
			e.clean = s
		}
		return
	}
	v.SetStr(w.maskDetected(s))
	w.logPath()
}

// maskText returns s with the secrets the value detectors find masked, and whether it found
// any.
func (w *walker) maskText(s string) (string, bool) {
	if w.detect(s); len(w.spans) == 0 {
		return s, false
	}
	return w.maskDetected(s), true
}

// maskDetected returns s, in which w.spans were just found, with them masked. It scans the
// masked string again until nothing more is found: a marker can change what a detector sees
// around it (a quote or a credential word now next to something else), and a record masked
// once must not change when it is masked again.
func (w *walker) maskDetected(s string) string {
	for round := 0; ; round++ {
		for _, sp := range w.spans {
			w.count(sp.rule)
		}
		if round == maxScanRounds {
			// Still finding more: the whole string goes, rather than anything of a secret.
			return string(w.mk.appendMasked(w.buf[:0], w.spans[0].rule, s, &w.mac))
		}
		s = string(w.applySpans(s))
		if w.detect(s); len(w.spans) == 0 {
			return s
		}
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
	// The buffer is kept for the next value. Most values become the replacement alone, which is
	// shared rather than copied: a masked value then costs no allocation of its own.
	w.buf = w.mk.appendMasked(w.buf[:0], r, s, &w.mac)
	if string(w.buf) == w.mk.replacement {
		v.SetStr(w.mk.replacement)
	} else {
		v.SetStr(string(w.buf))
	}
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
