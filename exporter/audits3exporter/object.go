package audits3exporter

import (
	"bytes"
	"compress/gzip"
	"sync"
	"time"
)

const (
	contentTypeNDJSON = "application/x-ndjson"
	contentTypeGzip   = "application/gzip"
	// nameLayout is the 14 digits of an object's name: UTC YYYYMMDDhhmmss.
	nameLayout = "20060102150405"
)

// objectFormat turns a tenant's NDJSON into an object: its key, body and content type. It is
// built once from the config.
type objectFormat struct {
	// keyPrefix is the configured prefix followed by '/', or empty.
	keyPrefix   string
	ext         string
	contentType string
	gzip        bool
	gzipPool    sync.Pool
}

func newObjectFormat(prefix string, c Compression) *objectFormat {
	f := &objectFormat{ext: ".json", contentType: contentTypeNDJSON}
	if prefix != "" {
		f.keyPrefix = prefix + "/"
	}
	if c == CompressionGzip {
		f.gzip = true
		f.ext = ".json.gz"
		f.contentType = contentTypeGzip
	}
	return f
}

// key is <prefix>/<orgId>/<YYYYMMDDhhmmss>.json[.gz] for the second t falls in.
func (f *objectFormat) key(orgID string, t time.Time) string {
	b := make([]byte, 0, len(f.keyPrefix)+len(orgID)+1+len(nameLayout)+len(f.ext))
	b = append(b, f.keyPrefix...)
	b = append(b, orgID...)
	b = append(b, '/')
	b = t.UTC().AppendFormat(b, nameLayout)
	b = append(b, f.ext...)
	return string(b)
}

// body returns the object's bytes for a tenant's NDJSON. Gzip output carries no name and no
// modification time, so the same records always give the same bytes, and so the same MD5:
// that is how a retry recognises its own earlier upload.
func (f *objectFormat) body(ndjson []byte) ([]byte, error) {
	if !f.gzip {
		return ndjson, nil
	}
	var out bytes.Buffer
	out.Grow(len(ndjson)/4 + 64)
	zw, _ := f.gzipPool.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(&out)
	} else {
		zw.Reset(&out)
	}
	defer f.gzipPool.Put(zw)
	if _, err := zw.Write(ndjson); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
