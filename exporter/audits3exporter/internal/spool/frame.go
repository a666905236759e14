package spool

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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

// frame is one decoded record; ID and Payload point into the batch's bytes.
type frame struct {
	eventTime time.Time
	id        []byte
	payload   []byte
}

// parseFrame decodes the frame at the start of data and returns it with its length.
func parseFrame(data []byte) (frame, int, error) {
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 || len(data) < 2 || data[0] != 'R' || data[1] != ' ' {
		return frame{}, 0, errTornFrame
	}
	fields := bytes.Fields(data[2:nl])
	if len(fields) != 3 {
		return frame{}, 0, errTornFrame
	}
	var nums [3]int64
	for i, f := range fields {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || (i > 0 && n < 0) {
			return frame{}, 0, errTornFrame
		}
		nums[i] = n
	}
	idLen, payLen := nums[1], nums[2]
	start := int64(nl + 1)
	end := start + idLen + payLen
	if end >= int64(len(data)) || data[end] != '\n' {
		return frame{}, 0, errTornFrame
	}
	return frame{
		eventTime: time.Unix(0, nums[0]).UTC(),
		id:        data[start : start+idLen],
		payload:   data[start+idLen : end],
	}, int(end + 1), nil
}

// parseFrames decodes the whole frames of data and returns them with the length they span; a
// torn tail is not an error, it is where a crash cut the last write.
func parseFrames(data []byte) ([]frame, int) {
	var frames []frame
	off := 0
	for off < len(data) {
		f, n, err := parseFrame(data[off:])
		if err != nil {
			break
		}
		frames = append(frames, f)
		off += n
	}
	return frames, off
}

// readFrame reads the next frame from r; its id and payload live in *scratch, which is reused,
// so they are valid until the next call. It returns io.EOF at the end of whole frames.
func readFrame(r *bufio.Reader, scratch *[]byte) (frame, error) {
	header, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) && len(header) == 0 {
			return frame{}, io.EOF
		}
		return frame{}, errTornFrame
	}
	if len(header) < 2 || header[0] != 'R' || header[1] != ' ' {
		return frame{}, errTornFrame
	}
	fields := bytes.Fields(header[2 : len(header)-1])
	if len(fields) != 3 {
		return frame{}, errTornFrame
	}
	var nums [3]int64
	for i, f := range fields {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || (i > 0 && n < 0) {
			return frame{}, errTornFrame
		}
		nums[i] = n
	}
	idLen, payLen := int(nums[1]), int(nums[2])
	need := idLen + payLen + 1
	if cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	buf := (*scratch)[:need]
	if _, err := io.ReadFull(r, buf); err != nil || buf[need-1] != '\n' {
		return frame{}, errTornFrame
	}
	return frame{eventTime: time.Unix(0, nums[0]).UTC(), id: buf[:idLen], payload: buf[idLen : idLen+payLen]}, nil
}
