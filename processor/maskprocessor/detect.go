package maskprocessor

import "strings"

// span is a secret found inside a string: s[start:end], found by rule. quote asks for the
// masked form to be quoted, for a bare JSON number under a quoted credential key, so that a
// JSON-encoded string stays valid JSON.
type span struct {
	start, end int
	rule       rule
	quote      bool
}

// Bytes whose presence lets a family of detectors run. A string is scanned once to learn which
// of them it holds; the detectors whose bytes are absent cost nothing, and no regular
// expression runs at all. Besides the separators, the scan notes the letter each family's
// literal starts with (case-sensitive where the detector is) and the classes of letters, so
// that the identifiers, hashes and UUIDs of a typical record, which hold dashes and colons
// but not the rest, are rejected by the scan alone.
const (
	hasColon uint32 = 1 << iota
	hasEquals
	hasUnderscore
	hasDash
	hasSpace
	hasUpperA
	hasUpperI // AKIA, ASIA and AIza all hold one
	hasUpperJ
	hasDot
	hasAt
	hasSlash
	hasQuote
	hasUpper
	hasLower
	hasDigit
	hasLowerG  // gh?_, github_pat_ and gl...-
	hasLowerX  // xox?-
	hasLowerH  // hooks.slack.com
	hasLowerKW // sk_live_, rk_test_ and whsec_
	hasFoldB   // Bearer and Basic, in any case
)

var triggerBits = func() (t [256]uint32) {
	t[':'], t['='], t['_'], t['-'], t[' '] = hasColon, hasEquals, hasUnderscore, hasDash, hasSpace
	t['.'], t['@'], t['/'], t['"'], t['\''] = hasDot, hasAt, hasSlash, hasQuote, hasQuote
	for b := 'A'; b <= 'Z'; b++ {
		t[b] = hasUpper
	}
	for b := 'a'; b <= 'z'; b++ {
		t[b] = hasLower
	}
	for b := '0'; b <= '9'; b++ {
		t[b] = hasDigit
	}
	t['A'] |= hasUpperA
	t['I'] |= hasUpperI
	t['J'] |= hasUpperJ
	t['g'] |= hasLowerG
	t['x'] |= hasLowerX
	t['h'] |= hasLowerH
	t['k'] |= hasLowerKW
	t['w'] |= hasLowerKW
	t['b'] |= hasFoldB
	t['B'] |= hasFoldB
	return t
}()

// triggers returns the trigger bits of the bytes of s. This scan reads every byte of every
// string value, so it takes eight bytes a step, then four, into two accumulators, which keeps
// the loads independent, and indexes a string whose length the condition proves, which spares
// a bounds check per byte: a byte at a time, the loop's own counting, branching and checking
// cost as much as the lookups.
func triggers(s string) uint32 {
	var a, b uint32
	for len(s) >= 8 {
		a |= triggerBits[s[0]] | triggerBits[s[1]] | triggerBits[s[2]] | triggerBits[s[3]]
		b |= triggerBits[s[4]] | triggerBits[s[5]] | triggerBits[s[6]] | triggerBits[s[7]]
		s = s[8:]
	}
	if len(s) >= 4 {
		a |= triggerBits[s[0]] | triggerBits[s[1]]
		b |= triggerBits[s[2]] | triggerBits[s[3]]
		s = s[4:]
	}
	for i := 0; i < len(s); i++ {
		a |= triggerBits[s[i]]
	}
	return a | b
}

// all reports whether bits holds every bit of want.
func all(bits, want uint32) bool { return bits&want == want }

// Shortest strings each detector can match; shorter strings are not searched.
const (
	minAssignment = len("pwd=x")
	minURL        = len("a://u:p@h")
	minBearer     = len("Basic ") + minBearerValue
	minAWSKeyID   = 20
	minToken      = 20
	minJWT        = 30
	minPEM        = 40
	minHighEntr   = highEntropyMinRun + len("token")
)

// minShapedSecret is the shortest string in which a detector that needs none of introducers
// can find anything: those of AWS and Google keys, JWTs, PEM blocks, service tokens and
// high-entropy runs.
const minShapedSecret = min(minAWSKeyID, minJWT, minPEM, minToken, minHighEntr)

// introducers are the trigger bits of the bytes that introduce a secret in text: a space for
// Bearer and Basic, a colon for a URL's password, a colon, an equals sign or a quote for an
// assignment. detect finds nothing in a string shorter than minShapedSecret without one.
const introducers = hasSpace | hasColon | hasEquals | hasQuote

// holdsNoSecret reports whether detect would find nothing in s because s is too short for a
// shaped secret and holds no introducer: the identifiers, names and addresses that make up most
// of a record's values, whose scan it settles at a fraction of the cost of detect's.
func holdsNoSecret(s string) bool {
	if len(s) >= minShapedSecret {
		return false
	}
	// Four bytes a step, for the reasons triggers gives.
	var bits uint32
	for ; len(s) >= 4; s = s[4:] {
		bits |= triggerBits[s[0]] | triggerBits[s[1]] | triggerBits[s[2]] | triggerBits[s[3]]
	}
	for i := 0; i < len(s); i++ {
		bits |= triggerBits[s[i]]
	}
	return bits&introducers == 0
}

// detect sets w.spans to the secrets in s, sorted by start, without overlaps.
func (w *walker) detect(s string) {
	w.spans = w.spans[:0]
	if len(s) < minAssignment {
		return
	}
	bits := triggers(s)
	// Specific detectors first: where two find the same secret, the first one names it.
	if all(bits, hasUpperA|hasUpperI) && len(s) >= minAWSKeyID {
		w.detectAWSAndGoogle(s)
	}
	if all(bits, hasUpperJ|hasDot) && len(s) >= minJWT {
		w.detectJWT(s)
	}
	if bits&hasDash != 0 && len(s) >= minPEM {
		w.detectPEM(s)
	}
	if len(s) >= minToken {
		if all(bits, hasUnderscore|hasLowerG) {
			w.detectGitHub(s)
		}
		if all(bits, hasUnderscore|hasLowerKW) {
			w.detectStripe(s)
		}
		if all(bits, hasDash|hasLowerG) {
			w.detectGitLab(s)
		}
		if all(bits, hasDash|hasLowerX) {
			w.detectSlackToken(s)
		}
		if all(bits, hasSlash|hasLowerH) {
			w.detectSlackWebhook(s)
		}
	}
	if all(bits, hasSpace|hasFoldB) && len(s) >= minBearer {
		w.detectBearer(s)
	}
	if all(bits, hasColon|hasAt) && len(s) >= minURL {
		w.detectURLPassword(s)
	}
	if bits&(hasColon|hasEquals|hasQuote) != 0 {
		w.detectAssignments(s)
	}
	// A credential word is separated from the run after it by a space, a colon or an equals
	// sign; without one, the word would be part of the run. The run mixes the three classes.
	if len(s) >= minHighEntr && bits&(hasSpace|hasColon|hasEquals) != 0 && all(bits, hasUpper|hasLower|hasDigit) {
		w.detectHighEntropy(s)
	}
	if len(w.spans) > 1 {
		w.dropOverlaps()
	}
}

// add records a secret unless it is empty or already masked. A marker is looked for from
// start on, not within the span alone: a value that ends at a bracket holds only part of
// "[MASKED]".
func (w *walker) add(s string, start, end int, r rule) {
	if start >= end || w.mk.looksMasked(s[start:]) {
		return
	}
	w.spans = append(w.spans, span{start: start, end: end, rule: r})
	if r == ruleAWSAccessKeyID {
		w.awsKeyIDSeen = true
	}
}

// dropOverlaps keeps, of overlapping spans, the one found first, since the specific detectors
// run first, and sorts the rest by start. Each detector reports its spans in order of start, so
// w.spans is a few sorted runs, one per detector: each run is merged into the spans kept from
// the earlier ones in one pass, where comparing every span with every kept one was quadratic
// in a string holding many secrets.
func (w *walker) dropOverlaps() {
	kept := w.keptSpans[:0]
	for run := w.spans; len(run) > 0; {
		n := 1
		for n < len(run) && run[n].start >= run[n-1].start {
			n++
		}
		w.mergedSpans = mergeSpans(w.mergedSpans[:0], kept, run[:n])
		kept, w.mergedSpans = w.mergedSpans, kept
		run = run[n:]
	}
	w.spans = append(w.spans[:0], kept...)
	w.keptSpans = kept
}

// mergeSpans appends to dst the spans of kept (sorted, without overlaps) and those of run
// (sorted by start, found later) that overlap neither a kept span nor an earlier span of run.
func mergeSpans(dst, kept, run []span) []span {
	k := 0
	for _, sp := range run {
		for k < len(kept) && kept[k].end <= sp.start {
			dst = append(dst, kept[k])
			k++
		}
		overlapsKept := k < len(kept) && kept[k].start < sp.end
		overlapsRun := len(dst) > 0 && dst[len(dst)-1].end > sp.start
		if !overlapsKept && !overlapsRun {
			dst = append(dst, sp)
		}
	}
	return append(dst, kept[k:]...)
}

// applySpans returns s with every span masked, appended to w.buf.
func (w *walker) applySpans(s string) []byte {
	w.buf = w.buf[:0]
	last := 0
	for _, sp := range w.spans {
		w.buf = append(w.buf, s[last:sp.start]...)
		if sp.quote {
			w.buf = append(w.buf, '"')
		}
		w.buf = w.mk.appendMasked(w.buf, sp.rule, s[sp.start:sp.end], &w.mac)
		if sp.quote {
			w.buf = append(w.buf, '"')
		}
		last = sp.end
	}
	return append(w.buf, s[last:]...)
}

func isAlnum(b byte) bool { return isDigit(b) || isUpper(b) || isLower(b) }
func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }
func isLower(b byte) bool { return 'a' <= b && b <= 'z' }

// boundaryBefore reports whether a token may start at s[i]: a letter or digit before it would
// make it the tail of a longer word.
func boundaryBefore(s string, i int) bool { return i == 0 || !isAlnum(s[i-1]) }

// runEnd returns the end of the run of bytes from i on that ok accepts.
func runEnd(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

// hasFoldPrefix reports whether s starts with prefix, ASCII case folded; prefix is lower case.
func hasFoldPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// hasFoldSuffix reports whether s ends with suffix, ASCII case folded; suffix is lower case.
func hasFoldSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && hasFoldPrefix(s[len(s)-len(suffix):], suffix)
}

// indexes calls found with every index of sub in s.
func indexes(s, sub string, found func(i int)) {
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return
		}
		found(off + i)
		off += i + 1
	}
}
