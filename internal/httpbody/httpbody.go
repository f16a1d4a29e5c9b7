// Package httpbody reads HTTP answers for the clients (auth, graph) within a size limit; it
// does no requests of its own.
package httpbody

import (
	"io"
	"net/http"
)

// Read reads at most limit+1 bytes of an answer: in one allocation of the announced size
// when the answer has a Content-Length, instead of io.ReadAll's doubling from 512 bytes.
func Read(resp *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(resp.Body, limit+1)
	n := resp.ContentLength
	if n < 0 || n > limit {
		return io.ReadAll(r)
	}
	buf := make([]byte, 0, n+1) // one byte more, so the read that finds the end needs no growth
	for {
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) { // longer than announced: let append grow it
			buf = append(buf, 0)[:len(buf)]
		}
	}
}
