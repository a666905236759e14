// Package errorscrubextension provides the `errorscrub` extension, an HTTP server middleware
// (listed under a receiver's `protocols::http::middlewares`) that replaces the body of every
// answer of status 400 or more with a fixed one that names the status and nothing of the
// request, because a stock receiver's error text may quote the request it refuses (the otlp
// receiver's JSON errors quote the bytes before the error, which can be a secret). Answers below
// 400 pass through untouched.
//
// It owns the answer's body and nothing else: it does not know which receiver it serves, and it
// never reads the request.
package errorscrubextension
