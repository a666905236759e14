package destination

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/config/configoptional"
)

// fakeS3 is an in-process S3 for the fault paths a real server cannot be made to take on
// demand. It serves one path-style bucket: PutObject (with If-None-Match: * and Content-MD5
// checks), ListObjectsV2, GetBucketLocation and the multipart calls, and records every request.
type fakeS3 struct {
	srv    *httptest.Server
	bucket string

	mu       sync.Mutex
	location string
	objects  map[string]fakeObject
	uploads  map[string]*fakeUpload
	nextID   int
	requests []fakeRequest
	denyList bool
	// defaultKMS encrypts every object with KMS, as a bucket's default encryption may.
	defaultKMS bool
	// fault, when set, sees every request first; it returns true when it has answered it.
	fault func(w http.ResponseWriter, r *http.Request, op, key string) bool
}

type fakeObject struct {
	body []byte
	etag string
}

type fakeUpload struct {
	key   string
	sse   string
	parts map[int][]byte
}

type fakeRequest struct {
	op     string
	key    string
	header http.Header
	form   string
}

func newFakeS3(t *testing.T) *fakeS3 {
	f := &fakeS3{bucket: "audit", objects: map[string]fakeObject{}, uploads: map[string]*fakeUpload{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// config is a destination on the fake with static credentials.
func (f *fakeS3) config() Config {
	return Config{
		Bucket:    f.bucket,
		Endpoint:  f.srv.URL,
		PathStyle: true,
		Credentials: configoptional.Some(CredentialsConfig{
			AccessKeyID:     "AKIAFAKEFAKEFAKEFAKE",
			SecretAccessKey: "fake-secret-access-key",
		}),
	}
}

func (f *fakeS3) setFault(fn func(w http.ResponseWriter, r *http.Request, op, key string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fn
}

// forget drops the requests recorded so far.
func (f *fakeS3) forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

// put stores an object directly, as another writer would have.
func (f *fakeS3) put(key string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[key] = fakeObject{body: body, etag: md5Hex(body)}
}

func (f *fakeS3) object(key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[key]
	return o.body, ok
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

// ops lists the operations received, in order.
func (f *fakeS3) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ops := make([]string, len(f.requests))
	for i, r := range f.requests {
		ops[i] = r.op
	}
	return ops
}

// requestsOf returns the requests of one operation.
func (f *fakeS3) requestsOf(op string) []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeRequest
	for _, r := range f.requests {
		if r.op == op {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeS3) openUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

func operation(r *http.Request, key string) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && key == "" && q.Has("location"):
		return "GetBucketLocation"
	case r.Method == http.MethodGet && key == "" && q.Get("list-type") == "2":
		return "ListObjectsV2"
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && q.Has("uploadId"):
		return "UploadPart"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == http.MethodPut:
		return "PutObject"
	default:
		return r.Method
	}
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	op := operation(r, key)
	f.mu.Lock()
	f.requests = append(f.requests, fakeRequest{op: op, key: key, header: r.Header.Clone(), form: r.URL.RawQuery})
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r, op, key) {
		return
	}
	if bucket != f.bucket {
		writeS3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeS3Error(w, http.StatusBadRequest, "IncompleteBody", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch op {
	case "GetBucketLocation":
		writeXML(w, struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Value   string   `xml:",chardata"`
		}{Value: f.location})
	case "ListObjectsV2":
		f.list(w, r)
	case "PutObject":
		if !checkMD5(w, r, body) {
			return
		}
		if _, exists := f.objects[key]; exists && r.Header.Get("If-None-Match") == "*" {
			writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
			return
		}
		etag := md5Hex(body)
		if f.defaultKMS || r.Header.Get("X-Amz-Server-Side-Encryption") == string(SSEKMS) {
			// As S3 does, SSE-KMS objects get an ETag that is not their MD5.
			etag = md5Hex(append([]byte("kms:"), body...))
			w.Header().Set("X-Amz-Server-Side-Encryption", string(SSEKMS))
		}
		f.objects[key] = fakeObject{body: body, etag: etag}
		w.Header().Set("ETag", `"`+etag+`"`)
	case "CreateMultipartUpload":
		f.nextID++
		id := "upload-" + strconv.Itoa(f.nextID)
		f.uploads[id] = &fakeUpload{key: key, sse: r.Header.Get("X-Amz-Server-Side-Encryption"), parts: map[int][]byte{}}
		writeXML(w, struct {
			XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
			Bucket   string
			Key      string
			UploadID string `xml:"UploadId"`
		}{Bucket: bucket, Key: key, UploadID: id})
	case "UploadPart":
		up, ok := f.uploads[r.URL.Query().Get("uploadId")]
		if !ok {
			writeS3Error(w, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist")
			return
		}
		if !checkMD5(w, r, body) {
			return
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("partNumber"))
		up.parts[n] = body
		w.Header().Set("ETag", `"`+md5Hex(body)+`"`)
		if c := r.Header.Get("X-Amz-Checksum-Crc32c"); c != "" {
			w.Header().Set("X-Amz-Checksum-Crc32c", c)
		}
	case "CompleteMultipartUpload":
		f.complete(w, r, key, body)
	case "AbortMultipartUpload":
		delete(f.uploads, r.URL.Query().Get("uploadId"))
		w.WriteHeader(http.StatusNoContent)
	default:
		writeS3Error(w, http.StatusNotImplemented, "NotImplemented", "not in the fake")
	}
}

func (f *fakeS3) list(w http.ResponseWriter, r *http.Request) {
	if f.denyList {
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
		return
	}
	prefix := r.URL.Query().Get("prefix")
	maxKeys, err := strconv.Atoi(r.URL.Query().Get("max-keys"))
	if err != nil {
		maxKeys = 1000
	}
	type content struct {
		Key  string
		ETag string
		Size int
	}
	var contents []content
	for _, k := range slices.Sorted(maps.Keys(f.objects)) {
		if strings.HasPrefix(k, prefix) && len(contents) < maxKeys {
			contents = append(contents, content{Key: k, ETag: `"` + f.objects[k].etag + `"`, Size: len(f.objects[k].body)})
		}
	}
	writeXML(w, struct {
		XMLName  xml.Name `xml:"ListBucketResult"`
		Name     string
		Prefix   string
		KeyCount int
		Contents []content
	}{Name: f.bucket, Prefix: prefix, KeyCount: len(contents), Contents: contents})
}

func (f *fakeS3) complete(w http.ResponseWriter, r *http.Request, key string, body []byte) {
	id := r.URL.Query().Get("uploadId")
	up, ok := f.uploads[id]
	if !ok {
		writeS3Error(w, http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist")
		return
	}
	if _, exists := f.objects[key]; exists && r.Header.Get("If-None-Match") == "*" {
		writeS3Error(w, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
		return
	}
	var req struct {
		Parts []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.Unmarshal(body, &req); err != nil {
		writeS3Error(w, http.StatusBadRequest, "MalformedXML", err.Error())
		return
	}
	var all []byte
	sums := md5.New()
	for _, p := range req.Parts {
		data, ok := up.parts[p.PartNumber]
		if !ok || strings.Trim(p.ETag, `"`) != md5Hex(data) {
			writeS3Error(w, http.StatusBadRequest, "InvalidPart", "part "+strconv.Itoa(p.PartNumber))
			return
		}
		all = append(all, data...)
		s := md5.Sum(data)
		sums.Write(s[:])
	}
	etag := hex.EncodeToString(sums.Sum(nil)) + "-" + strconv.Itoa(len(req.Parts))
	f.objects[key] = fakeObject{body: all, etag: etag}
	delete(f.uploads, id)
	writeXML(w, struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		Key     string
		ETag    string
	}{Key: key, ETag: `"` + etag + `"`})
}

func checkMD5(w http.ResponseWriter, r *http.Request, body []byte) bool {
	want := r.Header.Get("Content-MD5")
	if want == "" {
		return true
	}
	s := md5.Sum(body)
	if got := base64.StdEncoding.EncodeToString(s[:]); got != want {
		writeS3Error(w, http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received")
		return false
	}
	return true
}

func writeS3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, message)
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	out, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_, _ = w.Write(append([]byte(xml.Header), out...))
}

// hangUp closes the connection without an answer; with reset, it sends a TCP RST.
func hangUp(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}
