package errorscrubextension

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// format is how a scrubbed body is written: as the handler's Content-Type says, so that an
// OTLP/HTTP client still reads a google.rpc.Status.
type format int

const (
	formatText format = iota
	formatJSON
	formatProtobuf
)

func (f format) String() string {
	switch f {
	case formatJSON:
		return "json"
	case formatProtobuf:
		return "protobuf"
	}
	return "text"
}

// formatOf is the format of an answer of the given Content-Type.
func formatOf(contentType string) format {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.TrimSpace(mediaType)
	switch {
	case strings.EqualFold(mediaType, "application/json"):
		return formatJSON
	case strings.EqualFold(mediaType, "application/x-protobuf"):
		return formatProtobuf
	}
	return formatText
}

// refusal is the message of a scrubbed answer: fixed per HTTP status.
func refusal(status int) string {
	return "request refused (" + strconv.Itoa(status) + " " + http.StatusText(status) +
		"); details withheld because they may quote the request"
}

// body is the scrubbed body of an answer of HTTP status and gRPC code.
func (f format) body(status int, code int32) []byte {
	switch f {
	case formatJSON:
		// Cannot fail: two fields of plain types.
		b, _ := json.Marshal(struct {
			Code    int32  `json:"code"`
			Message string `json:"message"`
		}{code, refusal(status)})
		return b
	case formatProtobuf:
		// Cannot fail: a message of two scalar fields.
		b, _ := proto.Marshal(&spb.Status{Code: code, Message: refusal(status)})
		return b
	}
	return []byte(refusal(status) + "\n")
}

// codeIn reads the gRPC status code at the start of a google.rpc.Status in format f, cut short
// anywhere after the code. It reports false for a body of another shape or a code outside the
// canonical error codes (1 to 16), so that no number of the request's choosing comes back.
func (f format) codeIn(start []byte) (int32, bool) {
	var code int64
	var ok bool
	switch f {
	case formatJSON:
		code, ok = jsonCode(start)
	case formatProtobuf:
		code, ok = protobufCode(start)
	}
	if !ok || code < int64(codes.Canceled) || code > int64(codes.Unauthenticated) {
		return 0, false
	}
	return int32(code), true
}

// jsonCode reads the value of "code" when it is the first member of a JSON object.
func jsonCode(start []byte) (int64, bool) {
	dec := json.NewDecoder(bytes.NewReader(start))
	dec.UseNumber()
	for _, want := range []json.Token{json.Delim('{'), "code"} {
		if tok, err := dec.Token(); err != nil || tok != want {
			return 0, false
		}
	}
	tok, err := dec.Token()
	if err != nil {
		return 0, false
	}
	n, ok := tok.(json.Number)
	// A number that runs to the end of what was kept may have been cut short.
	if !ok || dec.InputOffset() >= int64(len(start)) {
		return 0, false
	}
	code, err := n.Int64()
	return code, err == nil
}

// protobufCode reads field 1 (a varint) of a protobuf message, skipping fields before it.
func protobufCode(start []byte) (int64, bool) {
	for len(start) > 0 {
		num, typ, n := protowire.ConsumeTag(start)
		if n < 0 {
			return 0, false
		}
		start = start[n:]
		if num == 1 && typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(start)
			// A value beyond int64 turns negative here and fails codeIn's range check.
			return int64(v), n > 0
		}
		n = protowire.ConsumeFieldValue(num, typ, start)
		if n < 0 {
			return 0, false
		}
		start = start[n:]
	}
	return 0, false
}

// codeForHTTPStatus is the gRPC code the otlp receiver gives an HTTP status when it has only a
// message and a status to report (the collector's statusutil.NewStatusFromMsgAndHTTPCode).
func codeForHTTPStatus(status int) int32 {
	switch status {
	case http.StatusBadRequest:
		return int32(codes.InvalidArgument)
	case http.StatusUnauthorized:
		return int32(codes.Unauthenticated)
	case http.StatusForbidden:
		return int32(codes.PermissionDenied)
	case http.StatusNotFound:
		return int32(codes.Unimplemented)
	case http.StatusTooManyRequests:
		return int32(codes.ResourceExhausted)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return int32(codes.Unavailable)
	}
	return int32(codes.Unknown)
}
