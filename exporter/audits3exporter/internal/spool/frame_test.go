package spool

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		header  string
		ok      bool
		nanos   int64
		idLen   int
		payLen  int
		comment string
	}{
		{header: "R 1795314600000000000 36 400\n", ok: true, nanos: 1795314600000000000, idLen: 36, payLen: 400},
		{header: "R 0 0 0\n", ok: true},
		{header: "R -5 1 2\n", ok: true, nanos: -5, idLen: 1, payLen: 2, comment: "an event before 1970"},
		{header: "R 9223372036854775807 1 1\n", ok: true, nanos: math.MaxInt64, idLen: 1, payLen: 1},
		{header: "R -9223372036854775808 1 1\n", ok: true, nanos: math.MinInt64, idLen: 1, payLen: 1},
		{header: "R 007 1 1\n", ok: true, nanos: 7, idLen: 1, payLen: 1, comment: "leading zeros, as strconv took them"},
		{header: "R 1 0 " + strconv.Itoa(maxFrameBytes-1) + "\n", ok: true, nanos: 1, payLen: maxFrameBytes - 1},

		{header: "", comment: "nothing"},
		{header: "R", comment: "cut in the tag"},
		{header: "R 1 2 3", comment: "no newline"},
		{header: "R 1 2\n", comment: "a number short"},
		{header: "R 1 2 3 4\n", comment: "a number too many"},
		{header: "R 1 2 3 \n", comment: "trailing space"},
		{header: "R  1 2 3\n", comment: "two spaces"},
		{header: "R 1\t2 3\n", comment: "a tab"},
		{header: "X 1 2 3\n", comment: "not a record"},
		{header: "R1 2 3\n", comment: "no space after the tag"},
		{header: "R +1 2 3\n", comment: "a plus sign"},
		{header: "R - 2 3\n", comment: "a sign without digits"},
		{header: "R 1 -2 3\n", comment: "a negative length"},
		{header: "R 1 2 -3\n", comment: "a negative length"},
		{header: "R 1 2x 3\n", comment: "not a number"},
		{header: "R 9223372036854775808 1 1\n", comment: "past int64"},
		{header: "R -9223372036854775809 1 1\n", comment: "past int64"},
		{header: "R 1 " + strconv.Itoa(maxFrameBytes) + " 0\n", comment: "larger than any record"},
		{header: "R 1 33554432 33554432\n", comment: "larger than any record, together"},
		{header: "R 1 9223372036854775807 9223372036854775807\n", comment: "lengths whose sum overflows"},
		{header: "R 1 2 3\n\n", comment: "two lines"},
	} {
		nanos, idLen, payLen, ok := parseHeader([]byte(tc.header))
		assert.Equal(t, tc.ok, ok, "%q: %s", tc.header, tc.comment)
		if tc.ok {
			assert.Equal(t, []any{tc.nanos, tc.idLen, tc.payLen}, []any{nanos, idLen, payLen}, "%q", tc.header)
		}
	}
}

// TestTornFrames cuts and damages frames: recovery (parseFrames) and Seal (readFrame) must stop
// at the same place, before the damage, and never fail otherwise.
func TestTornFrames(t *testing.T) {
	whole := appendFrame(appendFrame(nil, rec("a")), Record{ID: "b", EventTime: t0, Payload: []byte("two\nlines")})
	first := len(appendFrame(nil, rec("a")))
	for cut := 0; cut <= len(whole); cut++ {
		frames, n := parseFrames(whole[:cut])
		want := 0
		switch {
		case cut == len(whole):
			want = len(whole)
		case cut >= first:
			want = first
		}
		assert.Equal(t, want, n, "cut at %d", cut)
		assert.Len(t, frames, map[int]int{0: 0, first: 1, len(whole): 2}[want])
		assertReadFrameAgrees(t, whole[:cut])
	}
	for _, damaged := range [][]byte{
		bytes.Replace(whole, []byte("\nbtwo"), []byte("\nXtwo"), 1), // still a whole frame
		bytes.Replace(whole, []byte("lines\n"), []byte("linesX"), 1),
		bytes.Replace(whole, []byte("R 1"), []byte("R\t1"), 1),
		bytes.Replace(whole, []byte(" 1 9\n"), []byte(" 1 99999999999999999999\n"), 1),
	} {
		assertReadFrameAgrees(t, damaged)
	}
}

// assertReadFrameAgrees reads data with readFrame, as Seal does, and checks that it finds the
// frames parseFrames finds, then stops where parseFrames stops.
func assertReadFrameAgrees(t testing.TB, data []byte) {
	t.Helper()
	frames, whole := parseFrames(data)
	r := bufio.NewReader(bytes.NewReader(data))
	var scratch []byte
	off := 0
	for i := 0; ; i++ {
		fr, n, err := readFrame(r, &scratch)
		if err != nil {
			require.Equal(t, whole, off, "readFrame stops where parseFrames does")
			require.Len(t, frames, i)
			if off == len(data) {
				require.ErrorIs(t, err, io.EOF)
			} else {
				require.True(t, errors.Is(err, errTornFrame), "damage is a torn frame, not %v", err)
			}
			return
		}
		require.Less(t, i, len(frames), "readFrame reads a frame parseFrames does not")
		require.Equal(t, frames[i], fr)
		off += n
	}
}

func FuzzFrames(f *testing.F) {
	f.Add(appendFrame(nil, rec("a")))
	f.Add(appendFrame(appendFrame(nil, rec("a")), Record{EventTime: t0, Payload: []byte("x\ny")}))
	f.Add([]byte("R 1 1 1\nab"))
	f.Add([]byte("R -1 0 0\n\nR 2 0 1\nx\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		assertReadFrameAgrees(t, data)
	})
}
