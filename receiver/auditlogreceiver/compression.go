package auditlogreceiver

import (
	"io"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/config/confighttp"
)

// zstdMaxWindow bounds the history a zstd body may make the decoder allocate. A frame declares
// its window in a header of a few bytes, and the decoder allocates it before producing a byte,
// so the size limit on the decompressed body cannot bound it; confighttp's own zstd decoder
// accepts windows up to 512 MiB. 8 MiB is what RFC 8878 asks every decoder to support, and
// covers zstd's levels 1 to 19 without --long.
const zstdMaxWindow = 8 << 20

// zstdDecoderOption replaces confighttp's zstd decoder with one whose window is bounded, when
// zstd is accepted at all: confighttp adds the decoders given as options even when
// compression_algorithms leaves them out.
func zstdDecoderOption(cfg *confighttp.ServerConfig) []confighttp.ToServerOption {
	if cfg.CompressionAlgorithms != nil && !slices.Contains(cfg.CompressionAlgorithms, "zstd") {
		return nil
	}
	return []confighttp.ToServerOption{confighttp.WithDecoder("zstd", newZstdBody)}
}

// zstdDecoders keeps decoders between requests, with their buffers: a pooled decoder keeps the
// history of the largest window it decoded (up to zstdMaxWindow, 8 MiB) until the garbage
// collector empties the pool. max_concurrent_requests bounds how many exist at once, so the
// most held is what a burst of that many zstd requests needs anyway.
var zstdDecoders sync.Pool

func newZstdBody(body io.ReadCloser) (io.ReadCloser, error) {
	dec, _ := zstdDecoders.Get().(*zstd.Decoder)
	var err error
	if dec == nil {
		// One goroutine per decoder: a request is decoded by its own handler's goroutine.
		dec, err = zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
	} else {
		err = dec.Reset(body)
	}
	if err != nil {
		if dec != nil {
			dec.Close()
		}
		return nil, err
	}
	return &zstdBody{dec: dec}, nil
}

type zstdBody struct {
	dec *zstd.Decoder
}

func (z *zstdBody) Read(p []byte) (int, error) {
	if z.dec == nil {
		return 0, zstd.ErrDecoderClosed
	}
	return z.dec.Read(p)
}

// Close hands the decoder back for the next request; the connection's body is closed by
// net/http.
func (z *zstdBody) Close() error {
	if z.dec == nil {
		return nil
	}
	err := z.dec.Reset(nil)
	if err == nil {
		zstdDecoders.Put(z.dec)
	}
	z.dec = nil
	return err
}
