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

// maxFrameBytes bounds what one frame may claim, so that a damaged header cannot make recovery
// allocate without bound.
const maxFrameBytes = 64 << 20

// frame is one decoded record; ID and Payload point into the batch's bytes.
type frame struct {
	eventTime time.Time
	id        []byte
	payload   []byte
}

// parseFrames decodes the whole frames of data and returns them with the length they span; a
// torn tail is not an error, it is where a crash cut the last write.
func parseFrames(data []byte) ([]frame, int) {
	r := bufio.NewReader(bytes.NewReader(data))
	var frames []frame
	off := 0
	for {
		var scratch []byte // each frame keeps its own bytes
		f, n, err := readFrame(r, &scratch)
		if err != nil {
			return frames, off
		}
		frames = append(frames, f)
		off += n
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
	if len(header) < 2 || header[0] != 'R' || header[1] != ' ' {
		return frame{}, 0, errTornFrame
	}
	fields := bytes.Fields(header[2 : len(header)-1])
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
	idLen, payLen := int(nums[1]), int(nums[2])
	need := idLen + payLen + 1
	if nums[1]+nums[2] >= maxFrameBytes {
		// No record is this large: the header itself is damaged.
		return frame{}, 0, errTornFrame
	}
	if cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	buf := (*scratch)[:need]
	if _, err := io.ReadFull(r, buf); err != nil || buf[need-1] != '\n' {
		return frame{}, 0, errTornFrame
	}
	f := frame{eventTime: time.Unix(0, nums[0]).UTC(), id: buf[:idLen], payload: buf[idLen : idLen+payLen]}
	return f, len(header) + need, nil
}
