package spool

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"
	"time"
)

// A record is stored in an open batch as one frame:
//
//	R <event unix nanos> <id length> <payload length>\n<id><payload>\n
//
// The lengths make any payload safe to store (CSV rows may hold newlines), and the header and
// the closing newline let recovery tell a whole frame from one torn by a crash.

// frameOverhead is an upper bound of a frame's bytes beyond its id and payload.
const frameOverhead = 2 + 20 + 1 + 20 + 1 + 20 + 1 + 1

func appendFrame(buf []byte, r Record) []byte {
	buf = append(buf, 'R', ' ')
	buf = strconv.AppendInt(buf, r.EventTime.UnixNano(), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(len(r.ID)), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(len(r.Payload)), 10)
	buf = append(buf, '\n')
	buf = append(buf, r.ID...)
	buf = append(buf, r.Payload...)
	return append(buf, '\n')
}

var errTornFrame = errors.New("torn frame")

// maxFrameBytes bounds what one frame may claim, so that a damaged header cannot make a read
// allocate without bound.
const maxFrameBytes = 64 << 20

// frame is one decoded record; ID and Payload point into the batch's bytes.
type frame struct {
	eventTime time.Time
	id        []byte
	payload   []byte
}

// parseFrames decodes the whole frames of data and returns them with the length they span; a
// torn tail is not an error, it is where a crash cut the last write. The frames' ids and
// payloads point into data.
func parseFrames(data []byte) ([]frame, int) {
	var frames []frame
	off := 0
	for {
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			return frames, off
		}
		nanos, idLen, payLen, ok := parseHeader(data[off : off+nl+1])
		start := off + nl + 1
		end := start + idLen + payLen + 1
		if !ok || end > len(data) || data[end-1] != '\n' {
			return frames, off
		}
		frames = append(frames, frame{
			eventTime: time.Unix(0, nanos).UTC(),
			id:        data[start : start+idLen],
			payload:   data[start+idLen : end-1],
		})
		off = end
	}
}

// readFrame reads the next frame from r and says how many bytes it spans; its id and payload
// live in *scratch, which is reused, so they are valid until the next call. It returns io.EOF
// at the end of whole frames, errTornFrame at a frame a crash cut short.
func readFrame(r *bufio.Reader, scratch *[]byte) (frame, int, error) {
	header, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(header) == 0 {
			return frame{}, 0, io.EOF
		}
		return frame{}, 0, errTornFrame
	}
	nanos, idLen, payLen, ok := parseHeader(header)
	if !ok {
		return frame{}, 0, errTornFrame
	}
	need := idLen + payLen + 1
	if cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	buf := (*scratch)[:need]
	if _, err := io.ReadFull(r, buf); err != nil || buf[need-1] != '\n' {
		return frame{}, 0, errTornFrame
	}
	f := frame{eventTime: time.Unix(0, nanos).UTC(), id: buf[:idLen], payload: buf[idLen : idLen+payLen]}
	return f, len(header) + need, nil
}

// parseHeader decodes a frame's header line, newline included, as appendFrame writes it: single
// spaces, decimal numbers, a sign only on the time. Anything else is a header that a crash
// tore or the disk damaged, and so are lengths no record has (see maxFrameBytes).
func parseHeader(h []byte) (nanos int64, idLen, payLen int, ok bool) {
	if len(h) < 2 || h[0] != 'R' || h[1] != ' ' || h[len(h)-1] != '\n' {
		return 0, 0, 0, false
	}
	h = h[2 : len(h)-1]
	nanos, h, ok = parseDecimal(h, true)
	if !ok || len(h) == 0 || h[0] != ' ' {
		return 0, 0, 0, false
	}
	ids, h, ok := parseDecimal(h[1:], false)
	if !ok || len(h) == 0 || h[0] != ' ' {
		return 0, 0, 0, false
	}
	pay, h, ok := parseDecimal(h[1:], false)
	if !ok || len(h) != 0 || ids >= maxFrameBytes || pay >= maxFrameBytes || ids+pay >= maxFrameBytes {
		return 0, 0, 0, false
	}
	return nanos, int(ids), int(pay), true
}

// parseDecimal reads the number at the start of b: digits, after a '-' if signed, within an
// int64. It returns what follows.
func parseDecimal(b []byte, signed bool) (int64, []byte, bool) {
	neg := signed && len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var n uint64
	i := 0
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if n > (limit-d)/10 {
			return 0, nil, false
		}
		n = n*10 + d
	}
	if i == 0 {
		return 0, nil, false
	}
	if neg {
		return -int64(n), b[i:], true
	}
	return int64(n), b[i:], true
}
