// Package faultproxy is a loopback HTTP proxy for tests that puts faults between a client and
// a server: S3 throttling (503 SlowDown), connection resets, delays, answers lost after the
// server acted on the request, and outages (Down/Up).
// It forwards everything else unchanged, including the Host header, so that requests signed
// with AWS SigV4 for the proxy's address still verify at the target.
//
// It owns fault scheduling and counting; it knows nothing of S3 beyond the shape of its error
// answer, and nothing of the code under test.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// Proxy is a running fault-injecting proxy. Its methods are safe for concurrent use.
type Proxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT, to use as the client's endpoint.
	URL string
	// Addr is the proxy's host:port.
	Addr string

	target    *url.URL
	downMode  DownMode
	forwarder *httputil.ReverseProxy
	transport *http.Transport
	server    *http.Server
	queue     *connQueue
	serveDone chan struct{}
	closing   chan struct{}
	handlers  sync.WaitGroup

	ctl sync.Mutex // serializes Down, Up and Close

	mu         sync.Mutex
	faults     Faults
	matched    int // matching requests since Start or SetFaults
	rng        *rand.Rand
	down       bool
	upCh       chan struct{} // closed by Up, to release held requests
	listener   net.Listener  // nil while refusing
	acceptDone chan struct{}
	conns      map[net.Conn]struct{}
	closed     bool
	stats      Stats
}

// Start starts a proxy on 127.0.0.1 (a free port) that forwards to target, an http URL with
// no path, such as "http://127.0.0.1:7070".
func Start(target string, opts Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faultproxy: target: %w", err)
	}
	if u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("faultproxy: target %q: want http://host:port with no path", target)
	}
	if opts.DownMode < DownReset || opts.DownMode > DownHang {
		return nil, fmt.Errorf("faultproxy: unknown %v", opts.DownMode)
	}
	if err := opts.Faults.validate(); err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: listen: %w", err)
	}
	quiet := log.New(io.Discard, "", 0)
	p := &Proxy{
		Addr:     ln.Addr().String(),
		target:   u,
		downMode: opts.DownMode,
		transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true, // pass bodies and Content-Encoding through as they are
		},
		queue:      &connQueue{addr: ln.Addr(), conns: make(chan net.Conn), done: make(chan struct{})},
		serveDone:  make(chan struct{}),
		closing:    make(chan struct{}),
		faults:     opts.Faults.normalized(),
		rng:        rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		upCh:       make(chan struct{}),
		listener:   ln,
		acceptDone: make(chan struct{}),
		conns:      make(map[net.Conn]struct{}),
	}
	p.URL = "http://" + p.Addr
	close(p.upCh)
	p.forwarder = &httputil.ReverseProxy{
		Rewrite:      p.rewrite,
		Transport:    p.transport,
		ErrorHandler: p.forwardFailed,
		ErrorLog:     quiet,
	}
	p.server = &http.Server{
		Handler:           http.HandlerFunc(p.serveHTTP),
		ConnState:         p.trackConn,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          quiet,
	}
	go p.accept(ln, p.acceptDone)
	go func() {
		defer close(p.serveDone)
		_ = p.server.Serve(p.queue) // returns when the server is closed
	}()
	return p, nil
}

// SetFaults replaces the faults and restarts their request numbering at 1.
func (p *Proxy) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("faultproxy: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f.normalized()
	p.matched = 0
	return nil
}

// Down starts an outage, in the Options' DownMode. It does nothing when already down.
func (p *Proxy) Down() {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.mu.Lock()
	if p.down || p.closed {
		p.mu.Unlock()
		return
	}
	p.down = true
	p.upCh = make(chan struct{})
	var ln net.Listener
	var acceptDone chan struct{}
	var open []net.Conn
	if p.downMode == DownRefuse {
		ln, acceptDone = p.listener, p.acceptDone
		p.listener = nil
		for c := range p.conns {
			open = append(open, c)
		}
	}
	p.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
		<-acceptDone
	}
	for _, c := range open {
		resetConn(c)
	}
}

// Up ends an outage: requests held by DownHang are reset, and after DownRefuse the proxy
// listens on its address again. It fails only when that address cannot be taken back.
func (p *Proxy) Up() error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.mu.Lock()
	if !p.down || p.closed {
		p.mu.Unlock()
		return nil
	}
	relisten := p.listener == nil
	p.mu.Unlock()
	if relisten {
		ln, err := listenAgain(p.Addr)
		if err != nil {
			return fmt.Errorf("faultproxy: up: %w", err)
		}
		done := make(chan struct{})
		p.mu.Lock()
		p.listener, p.acceptDone = ln, done
		p.mu.Unlock()
		go p.accept(ln, done)
	}
	p.mu.Lock()
	p.down = false
	close(p.upCh)
	p.mu.Unlock()
	return nil
}

// listenAgain takes addr back after DownRefuse. The port was ours a moment ago; retrying
// covers the short time the kernel may still hold it.
func listenAgain(addr string) (net.Listener, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the proxy: it stops listening, resets held requests, closes every connection
// and waits for its handlers to return. Closing twice does nothing.
func (p *Proxy) Close() error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ln, acceptDone := p.listener, p.acceptDone
	p.listener = nil
	p.mu.Unlock()

	close(p.closing)
	if ln != nil {
		_ = ln.Close()
		<-acceptDone
	}
	_ = p.queue.Close()
	err := p.server.Close()
	<-p.serveDone
	p.handlers.Wait()
	p.transport.CloseIdleConnections()
	return err
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Stats count what the proxy saw and did.
type Stats struct {
	// Requests is every request the proxy read, whatever happened to it.
	Requests int64
	// Forwarded counts requests passed on to the target.
	Forwarded int64
	// ForwardErrors counts forwarded requests the target did not answer (refused, reset);
	// the proxy resets the client's connection for each, as the target did.
	ForwardErrors int64
	// SlowDowns, Resets and Delays count the faults injected, by kind.
	SlowDowns int64
	Resets    int64
	Delays    int64
	// LostAnswers counts forwarded requests the target answered whose answer the client
	// never got (LoseAnswer); they count in Forwarded too.
	LostAnswers int64
	// WhileDown counts requests that arrived during an outage and were reset or held.
	WhileDown int64
}

// accept hands the connections ln accepts to the server, until ln is closed.
func (p *Proxy) accept(ln net.Listener, done chan struct{}) {
	defer close(done)
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond) // out of descriptors, say: try again
			continue
		}
		select {
		case p.queue.conns <- c:
		case <-p.queue.done:
			_ = c.Close()
			return
		}
	}
}

func (p *Proxy) trackConn(c net.Conn, state http.ConnState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch state {
	case http.StateNew:
		p.conns[c] = struct{}{}
	case http.StateHijacked, http.StateClosed:
		delete(p.conns, c)
	}
}

// connQueue is the listener the server serves: it outlives the real listeners, which Down
// and Up close and open again.
type connQueue struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }
