package audits3exporter

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeS3 is an in-process S3 that knows PutObject (with If-None-Match: *) and ListObjectsV2 on
// one path-style bucket, with hooks to make requests fail, for the fault paths a real server
// cannot be made to take on demand.
type fakeS3 struct {
	srv    *httptest.Server
	bucket string

	mu       sync.Mutex
	objects  map[string]fakeObject
	requests []fakeRequest
	// failPut, when it returns a status, answers a PUT of key with that error instead.
	failPut func(key string) (status int, code, message string)
	// losePut, when it returns true, stores the object and then drops the connection, as when
	// the answer to a successful write is lost.
	losePut func(key string) bool
}

type fakeObject struct {
	body        []byte
	etag        string
	contentType string
}

type fakeRequest struct {
	method string
	key    string
	query  string
	header http.Header
}

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{bucket: "audit", objects: map[string]fakeObject{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// put stores an object directly, as another writer would have.
func (f *fakeS3) put(key string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = fakeObject{body: body, etag: md5Hex(body)}
}

func (f *fakeS3) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := make([]string, 0, len(f.objects))
	for k := range f.objects {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (f *fakeS3) object(key string) (fakeObject, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[key]
	return o, ok
}

func (f *fakeS3) recorded() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeS3) setFailPut(fn func(key string) (int, string, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPut = fn
}

func (f *fakeS3) setLosePut(fn func(key string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.losePut = fn
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{method: r.Method, key: key, query: r.URL.RawQuery, header: r.Header.Clone()})
	f.mu.Unlock()
	if bucket != f.bucket {
		writeS3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	switch {
	case r.Method == http.MethodPut && key != "":
		f.servePut(w, r, key)
	case r.Method == http.MethodGet && key == "" && r.URL.Query().Get("list-type") == "2":
		f.serveList(w, r)
	default:
		writeS3Error(w, http.StatusNotImplemented, "NotImplemented", r.Method+" is not implemented by the fake")
	}
}

func (f *fakeS3) servePut(w http.ResponseWriter, r *http.Request, key string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeS3Error(w, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failPut != nil {
		if status, code, msg := f.failPut(key); status != 0 {
			writeS3Error(w, status, code, msg)
			return
		}
	}
	if want := r.Header.Get("Content-MD5"); want != "" {
		sum := md5.Sum(body)
		if base64.StdEncoding.EncodeToString(sum[:]) != want {
			writeS3Error(w, http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
			return
		}
	}
	if _, exists := f.objects[key]; exists && r.Header.Get("If-None-Match") == "*" {
		writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return
	}
	obj := fakeObject{body: body, etag: md5Hex(body), contentType: r.Header.Get("Content-Type")}
	f.objects[key] = obj
	if f.losePut != nil && f.losePut(key) {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	w.Header().Set("ETag", `"`+obj.etag+`"`)
	w.WriteHeader(http.StatusOK)
}

type listResult struct {
	XMLName     xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name        string         `xml:"Name"`
	Prefix      string         `xml:"Prefix"`
	KeyCount    int            `xml:"KeyCount"`
	MaxKeys     int            `xml:"MaxKeys"`
	IsTruncated bool           `xml:"IsTruncated"`
	Contents    []listContents `xml:"Contents"`
}

type listContents struct {
	Key          string `xml:"Key"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

func (f *fakeS3) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prefix := q.Get("prefix")
	maxKeys := 1000
	if s := q.Get("max-keys"); s != "" {
		maxKeys, _ = strconv.Atoi(s)
	}
	f.mu.Lock()
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	res := listResult{Name: f.bucket, Prefix: prefix, MaxKeys: maxKeys}
	if len(keys) > maxKeys {
		keys, res.IsTruncated = keys[:maxKeys], true
	}
	for _, k := range keys {
		o := f.objects[k]
		res.Contents = append(res.Contents, listContents{Key: k, ETag: `"` + o.etag + `"`, Size: len(o.body), StorageClass: "STANDARD"})
	}
	f.mu.Unlock()
	res.KeyCount = len(res.Contents)
	w.Header().Set("Content-Type", "application/xml")
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(res)
}

func writeS3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>", xml.Header, code, message)
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
