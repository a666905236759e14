package compression

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/md5"
	"io"
	"strconv"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleNDJSON is audit-shaped NDJSON: repetitive keys, varying ids and times.
func sampleNDJSON(lines int) []byte {
	var b []byte
	for i := range lines {
		b = append(b, `{"eventName":"user_login","categoryUid":"3","classUid":"3002","description":"User `...)
		b = strconv.AppendInt(b, int64(i%97), 10)
		b = append(b, ` logged in","ts":"2023-01-20T18:55:`...)
		b = strconv.AppendInt(b, int64(10+i%50), 10)
		b = append(b, `.466Z","orgId":"org_abc123","userId":"user_`...)
		b = strconv.AppendInt(b, int64(i*7919%10007), 10)
		b = append(b, `","source":"10.0.`...)
		b = strconv.AppendInt(b, int64(i%256), 10)
		b = append(b, `.1","success":true,"type":"audit","eventId":"0190a1b2-c3d4-7e5f-8a9b-`...)
		b = strconv.AppendInt(b, int64(100000000000+i), 10)
		b = append(b, "\"}\n"...)
	}
	return b
}

func TestUnmarshalText(t *testing.T) {
	tests := []struct {
		in      string
		want    Type
		wantErr string
	}{
		{in: "none", want: None},
		{in: "gzip", want: Gzip},
		{in: "zstd", want: Zstd},
		{in: "", want: ""},
		{in: "GZIP", wantErr: `compression "GZIP": must be "none", "gzip", "zstd" or empty`},
		{in: "lz4", wantErr: `compression "lz4": must be "none", "gzip", "zstd" or empty`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Type
			err := got.UnmarshalText([]byte(tt.in))
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		typ         Type
		want        Type
		extension   string
		contentType string
	}{
		{typ: "", want: None},
		{typ: None, want: None},
		{typ: Gzip, want: Gzip, extension: ".gz", contentType: "application/gzip"},
		{typ: Zstd, want: Zstd, extension: ".zst", contentType: "application/zstd"},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			c, err := New(tt.typ)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Type())
			assert.Equal(t, tt.extension, c.Extension())
			assert.Equal(t, tt.contentType, c.ContentType())
		})
	}
	_, err := New("brotli")
	require.EqualError(t, err, `unknown compression "brotli": use "none", "gzip" or "zstd"`)
}

// readWithStandardTools decodes src the way a customer's tools would: the standard library's
// gzip reader, and a zstd stream reader independent of our decoder.
func readWithStandardTools(t *testing.T, typ Type, src []byte) []byte {
	t.Helper()
	switch typ {
	case Gzip:
		zr, err := stdgzip.NewReader(bytes.NewReader(src))
		require.NoError(t, err)
		assert.Empty(t, zr.Name, "no file name in the header")
		assert.True(t, zr.ModTime.IsZero(), "no modification time in the header")
		out, err := io.ReadAll(zr)
		require.NoError(t, err)
		return out
	case Zstd:
		zr, err := zstd.NewReader(bytes.NewReader(src))
		require.NoError(t, err)
		defer zr.Close()
		out, err := io.ReadAll(zr)
		require.NoError(t, err)
		return out
	default:
		return src
	}
}

func TestRoundTripAndDeterminism(t *testing.T) {
	inputs := map[string][]byte{
		"empty":   {},
		"one":     sampleNDJSON(1),
		"many":    sampleNDJSON(5000),
		"binary":  bytes.Repeat([]byte{0, 255, 1, 254}, 10000),
		"unicode": []byte("ünïcødé ☃\n"),
	}
	for _, typ := range []Type{None, Gzip, Zstd} {
		c, err := New(typ)
		require.NoError(t, err)
		for name, in := range inputs {
			t.Run(string(typ)+"/"+name, func(t *testing.T) {
				first, err := c.Compress(nil, in)
				require.NoError(t, err)
				if typ != None {
					assert.NotEmpty(t, first, "even an empty body is a valid stream")
				}
				assert.Equal(t, in, append([]byte{}, readWithStandardTools(t, typ, first)...))
				got, err := c.Decompress(nil, first)
				require.NoError(t, err)
				assert.Equal(t, string(in), string(got))

				// Again, through a fresh Compressor and after a reused writer: same MD5.
				again, err := c.Compress(nil, in)
				require.NoError(t, err)
				fresh, _ := New(typ)
				other, err := fresh.Compress(nil, in)
				require.NoError(t, err)
				assert.Equal(t, md5.Sum(first), md5.Sum(again))
				assert.Equal(t, md5.Sum(first), md5.Sum(other))
			})
		}
	}
}

func TestCompressAppendsToDst(t *testing.T) {
	in := sampleNDJSON(10)
	for _, typ := range []Type{None, Gzip, Zstd} {
		c, _ := New(typ)
		out, err := c.Compress([]byte("prefix"), in)
		require.NoError(t, err)
		require.Equal(t, "prefix", string(out[:6]), typ)
		got, err := c.Decompress([]byte("x"), out[6:])
		require.NoError(t, err)
		assert.Equal(t, "x"+string(in), string(got), typ)
	}
}

func TestConcurrentCompress(t *testing.T) {
	in := sampleNDJSON(2000)
	for _, typ := range []Type{Gzip, Zstd} {
		c, _ := New(typ)
		want, err := c.Compress(nil, in)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 5 {
					got, err := c.Compress(nil, in)
					assert.NoError(t, err)
					assert.True(t, bytes.Equal(want, got), "%s: same bytes under concurrency", typ)
				}
			})
		}
		wg.Wait()
	}
}

func TestDecompressRejectsGarbage(t *testing.T) {
	for _, typ := range []Type{Gzip, Zstd} {
		c, _ := New(typ)
		_, err := c.Decompress(nil, []byte("not compressed"))
		assert.Error(t, err, typ)
	}
}

// BenchmarkGzip measures the choice of gzip library: the standard library's and klauspost's, at
// the default level, on the same audit NDJSON.
func BenchmarkGzip(b *testing.B) {
	in := sampleNDJSON(20000)
	b.Run("stdlib", func(b *testing.B) {
		var out bytes.Buffer
		zw := stdgzip.NewWriter(&out)
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			out.Reset()
			zw.Reset(&out)
			_, _ = zw.Write(in)
			_ = zw.Close()
		}
		b.ReportMetric(float64(out.Len())/float64(len(in)), "ratio")
	})
	b.Run("klauspost", func(b *testing.B) {
		c, _ := New(Gzip)
		var out []byte
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			out, _ = c.Compress(out[:0], in)
		}
		b.ReportMetric(float64(len(out))/float64(len(in)), "ratio")
	})
	b.Run("zstd", func(b *testing.B) {
		c, _ := New(Zstd)
		var out []byte
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			out, _ = c.Compress(out[:0], in)
		}
		b.ReportMetric(float64(len(out))/float64(len(in)), "ratio")
	})
}

func TestWriterInPiecesMatchesCompress(t *testing.T) {
	in := sampleNDJSON(3000)
	for _, typ := range []Type{None, Gzip, Zstd} {
		c, _ := New(typ)
		want, err := c.Compress(nil, in)
		require.NoError(t, err)
		for _, piece := range []int{1, 7, 4096, len(in)} {
			w := c.NewWriter([]byte("prefix"))
			for rest := in; len(rest) > 0; rest = rest[min(piece, len(rest)):] {
				_, err := w.Write(rest[:min(piece, len(rest))])
				require.NoError(t, err)
			}
			got, err := w.Close()
			require.NoError(t, err)
			assert.Equal(t, "prefix", string(got[:6]), "%s/%d", typ, piece)
			assert.True(t, bytes.Equal(want, got[6:]), "%s: pieces of %d give the bytes of one Compress", typ, piece)
		}
	}
}
