package compression

import (
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstdCodec holds one encoder for the life of the Compressor: creating one is expensive, and
// EncodeAll may be called concurrently. The decoder is made on first use, since only tests and
// checks decompress.
type zstdCodec struct {
	enc     *zstd.Encoder
	decOnce sync.Once
	dec     *zstd.Decoder
	decErr  error
}

func newZstdCodec() (*zstdCodec, error) {
	// Zero frames: an empty body still becomes a valid frame, which every zstd reader accepts,
	// rather than an empty object. The level is the default; EncodeAll runs on the calling
	// goroutine only, so its output does not depend on scheduling.
	enc, err := zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		return nil, err
	}
	return &zstdCodec{enc: enc}, nil
}

func (z *zstdCodec) compress(dst, src []byte) ([]byte, error) {
	return z.enc.EncodeAll(src, dst), nil
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
