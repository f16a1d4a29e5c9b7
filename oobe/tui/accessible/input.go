package accessible

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

// Bounds on what is read ahead of the questions.
const (
	// maxAhead is how many lines are read before anyone asks for them: enough for type-ahead,
	// bounded so an endless input (yes | oobe --accessible) does not fill memory.
	maxAhead = 32
	// maxLine is the longest answer kept; the rest of a longer line is dropped.
	maxLine = 64 << 10
)

// input is the run's one reader of answers: a goroutine reads lines through a single
// bufio.Reader into a short queue, and questions take them in order. A question waits for a
// line or for its context, so a run can stop while nobody types; and a line is taken only by
// a reader whose context is still live, checked under the queue's lock, which is what keeps
// the sign-in's approval reader from taking a line once the sign-in has ended.
//
// At a terminal (onDemand) nothing is read ahead: a line is read only while someone waits for
// it, so no read is under way when a secret is asked and its own reader, which turns the
// echo off, gets the keys.
type input struct {
	r        io.Reader
	onDemand bool
	once     sync.Once

	mu      sync.Mutex
	lines   []string
	err     error // why the input ended; io.EOF at its end
	stopped bool
	waiting int           // how many next calls wait for a line (onDemand)
	reading bool          // the pump is in a Read
	secret  bool          // a secret reader has the input: the pump does not read
	changed chan struct{} // closed and replaced whenever any of the above change
}

func newInput(r io.Reader) *input {
	return &input{r: r, changed: make(chan struct{})}
}

// secretReader reads one secret line from a terminal without echoing it, until ctx ends.
type secretReader func(ctx context.Context) (string, error)

// secretLine reads a secret with read when nothing else is reading or read: direct is then
// true, and nothing echoed the line or its Enter. A line typed ahead, already echoed, or a
// read already under way gives the secret the usual way instead (direct false).
func (in *input) secretLine(ctx context.Context, read secretReader) (s string, direct bool, err error) {
	in.mu.Lock()
	if len(in.lines) > 0 || in.reading || in.err != nil || in.stopped {
		in.mu.Unlock()
		s, err := in.next(ctx)
		return s, false, err
	}
	in.secret = true
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		in.secret = false
		in.notify()
		in.mu.Unlock()
	}()
	s, err = read(ctx)
	return s, true, err
}

// notify wakes everyone waiting on a change; in.mu is held.
func (in *input) notify() {
	close(in.changed)
	in.changed = make(chan struct{})
}

// next waits for the next line (without its line ending) and takes it, unless ctx ends
// first. Once the input has ended and every line is taken, it returns why (io.EOF).
func (in *input) next(ctx context.Context) (string, error) {
	in.once.Do(func() { go in.pump() })
	in.mu.Lock()
	// Counted as waiting until the line is taken, in the same hold of the lock: an onDemand
	// pump must not take this waiter for another.
	in.waiting++
	in.notify()
	defer func() {
		in.waiting--
		in.mu.Unlock()
	}()
	for {
		if err := ctx.Err(); err != nil {
			return "", context.Cause(ctx)
		}
		if len(in.lines) > 0 {
			s := in.lines[0]
			in.lines = in.lines[1:]
			in.notify()
			return s, nil
		}
		if in.err != nil {
			return "", in.err
		}
		wait := in.changed
		in.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-wait:
		}
		in.mu.Lock()
	}
}

// stop ends the reading goroutine at its next line: the run is over. A Read already under
// way is not interrupted.
func (in *input) stop() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stopped = true
	in.notify()
}

// pump reads lines into the queue until the input ends or the run stops.
func (in *input) pump() {
	br := bufio.NewReader(in.r)
	for in.room() {
		s, err := readLine(br)
		in.mu.Lock()
		in.reading = false
		if s != nil {
			in.lines = append(in.lines, string(s))
		}
		if err != nil {
			in.err = err
		}
		in.notify()
		in.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// room waits until the queue has room for another line (onDemand: until someone waits for
// one and no secret reader has the input), and marks the read begun; false once the run has
// stopped.
func (in *input) room() bool {
	for {
		in.mu.Lock()
		if in.stopped {
			in.mu.Unlock()
			return false
		}
		ready := len(in.lines) < maxAhead
		if in.onDemand {
			ready = len(in.lines) == 0 && in.waiting > 0 && !in.secret
		}
		if ready {
			in.reading = true
			in.mu.Unlock()
			return true
		}
		wait := in.changed
		in.mu.Unlock()
		<-wait
	}
}

// readLine reads one line without its "\n" or "\r\n", at most maxLine bytes of it. The last
// line of an input may lack its "\n"; it is a line all the same. line is nil when there was
// none before the error.
func readLine(br *bufio.Reader) (line []byte, err error) {
	var buf []byte
	read := false
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			read = true
		}
		if room := maxLine - len(buf); room > 0 {
			buf = append(buf, chunk[:min(len(chunk), room)]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == nil:
			// The "\n" is there unless maxLine cut the line short before it.
			buf = bytes.TrimSuffix(buf, []byte("\n"))
			return bytes.TrimSuffix(buf, []byte("\r")), nil
		case read:
			return bytes.TrimSuffix(buf, []byte("\r")), err
		default:
			return nil, err
		}
	}
}
