package compression

import (
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdCodec keeps stream encoders for reuse, since creating one is expensive. The decoder is
// made on first use, since only tests and checks decompress.
type zstdCodec struct {
	encoders sync.Pool
	decOnce  sync.Once
	dec      *zstd.Decoder
	decErr   error
}

func newZstdCodec() *zstdCodec {
	return &zstdCodec{}
}

// zstdWindow bounds the history an encoder keeps, and so the memory of a stream: audit events
// repeat their keys and values within a few hundred events, far inside 1 MiB, so the default
// 8 MiB window would cost memory for no gain in ratio.
const zstdWindow = 1 << 20

func (z *zstdCodec) writer(out io.Writer) (io.WriteCloser, func()) {
	enc, _ := z.encoders.Get().(*zstd.Encoder)
	if enc == nil {
		// One goroutine a stream: the blocks are encoded in the caller's order, so the bytes
		// do not depend on scheduling. Zero frames: an empty body still becomes a valid frame,
		// which every zstd reader accepts, rather than an empty object. The options are valid,
		// so NewWriter cannot fail.
		enc, _ = zstd.NewWriter(out, zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true),
			zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(zstdWindow))
	} else {
		enc.Reset(out)
	}
	return enc, func() {
		enc.Reset(nil) // drop the reference to out while pooled
		z.encoders.Put(enc)
	}
}

func (z *zstdCodec) decompress(dst, src []byte) ([]byte, error) {
	z.decOnce.Do(func() {
		z.dec, z.decErr = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxDecodedSize))
	})
	if z.decErr != nil {
		return dst, z.decErr
	}
	return z.dec.DecodeAll(src, dst)
}
