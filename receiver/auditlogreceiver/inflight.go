package auditlogreceiver

import (
	"context"
	"io"
	"net/http"
	"time"
)

// front is the outermost handler, ahead of confighttp's (auth, decompression, size limit) and
// ours. It bounds the requests in progress, since each one holds its whole body in memory, and
// records every request's outcome once it is answered, whoever answered it.
type front struct {
	next       http.Handler
	slots      chan struct{}
	retryAfter string
	tel        *telemetry
}

func newFront(next http.Handler, maxInFlight int, retryAfter string, tel *telemetry) *front {
	return &front{next: next, slots: make(chan struct{}, maxInFlight), retryAfter: retryAfter, tel: tel}
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &requestState{outcome: outcomeOther}
	select {
	case f.slots <- struct{}{}:
	default:
		// Refused before anything reads the body: a sender that keeps the receiver busy costs it
		// no memory beyond its connection. Closing an HTTP/1 connection keeps net/http from
		// reading (up to 256 KiB of) the body to reuse it, which would hold the answer back.
		// Not HTTP/2: there it would end every other stream of the connection too.
		st.outcome = outcomeBusy
		w.Header().Set("Retry-After", f.retryAfter)
		if r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		writeError(w, http.StatusServiceUnavailable, "too many requests in progress; retry after "+f.retryAfter+"s")
		f.tel.requestDone(r.Context(), st, 0, time.Since(start))
		return
	}
	f.tel.inFlight.Add(r.Context(), 1)
	body := &countingBody{ReadCloser: r.Body}
	// Deferred so that the slot comes back even when a handler panics (net/http recovers).
	defer func() {
		<-f.slots
		f.tel.inFlight.Add(r.Context(), -1)
		f.tel.requestDone(r.Context(), st, body.n, time.Since(start))
	}()
	// On a copy: net/http keeps using the original request (and its body, to drain it).
	counted := r.WithContext(context.WithValue(r.Context(), requestStateKey{}, st))
	counted.Body = body
	f.next.ServeHTTP(w, counted)
}

// countingBody counts the bytes read from the network, before any decompression.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
