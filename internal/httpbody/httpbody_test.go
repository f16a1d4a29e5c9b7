package httpbody

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBodyReadsWhatWasSentWhateverItsAnnouncedLength(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	cases := []struct {
		name      string
		announced int64
		r         io.Reader
		limit     int64
		want      string
	}{
		{"the announced length", int64(len(body)), strings.NewReader(body), 1 << 20, body},
		{"the announced length, a byte at a time", int64(len(body)), iotest.OneByteReader(strings.NewReader(body)), 1 << 20, body},
		{"no length announced", -1, strings.NewReader(body), 1 << 20, body},
		{"a length announced short", 10, strings.NewReader(body), 1 << 20, body},
		{"an empty body", 0, strings.NewReader(""), 1 << 20, ""},
		{"more than the limit stops one byte past it", int64(len(body)), strings.NewReader(body), 100, body[:101]},
		{"an announced length over the limit", 1 << 30, strings.NewReader(body), 100, body[:101]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := &http.Response{ContentLength: c.announced, Body: io.NopCloser(c.r)}
			got, err := Read(resp, c.limit)
			if err != nil || !bytes.Equal(got, []byte(c.want)) {
				t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(c.want))
			}
		})
	}
	t.Run("a read error is returned", func(t *testing.T) {
		resp := &http.Response{ContentLength: 100, Body: io.NopCloser(iotest.ErrReader(io.ErrUnexpectedEOF))}
		if _, err := Read(resp, 1<<20); err != io.ErrUnexpectedEOF {
			t.Fatalf("error %v, want io.ErrUnexpectedEOF", err)
		}
	})
}
