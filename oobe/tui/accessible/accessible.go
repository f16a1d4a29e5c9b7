// Package accessible is the setup as plain line prompts, for screen readers: every screen is a
// question with numbered answers read from any input, every event a line of text. It draws
// nothing: no colours, no cursor movement, no box drawing, one idea per line.
package accessible

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/charmbracelet/x/term"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
)

// Options configure an accessible run.
type Options struct {
	// In is where the answers come from, one a line (nil: standard input). It is read through
	// one buffer for the whole run, so answers piped in all at once are all kept.
	In io.Reader
	// Out is where the questions and events go (nil: standard error, so standard output stays
	// free for the summary the caller prints).
	Out io.Writer
	// Approve, when set, approves a device code as the demo user when the person types
	// "approve" at the sign-in prompt (the simulated tenant only). While the code is shown,
	// every line read belongs to the sign-in: "approve" approves, anything else is answered
	// with how to approve, and input that ends there ends the run. A script that pipes its
	// answers therefore puts "approve" right after the sign-in method. When Approve is nil,
	// nothing is read while the code is shown.
	Approve func(ctx context.Context, p auth.DeviceCodePrompt) error
	// Open, when set, opens a URL in the system's browser.
	Open func(url string) error
	// LogsDir is where "Collect logs" on an Enrollment Status Page failure writes the
	// transcript so far (created 0700; the file is 0600). Empty: logs cannot be collected.
	LogsDir string
	// SignInPage, on the simulated tenant, offers the tenant's sign-in page first, as setup
	// does: the person types the username and password here, and they go to the tenant's
	// page (internal/signinpage) as the auth code flow's browser. Nil offers the code and the
	// browser only.
	SignInPage *SignInPage
}

// SignInPage is the tenant's sign-in page for the accessible mode.
type SignInPage struct {
	// Client reaches the simulated tenant; nil is http.DefaultClient.
	Client *http.Client
	// User is the username offered as the default (the demo user); "" offers none.
	User string
}

// InputEndedError is a run that stopped because its input ended before a question was
// answered.
type InputEndedError struct {
	// Question is the question that was waiting for an answer.
	Question string
}

func (e *InputEndedError) Error() string {
	return fmt.Sprintf("input ended at the question %q", e.Question)
}

// Run plays the setup with line prompts as its person: cfg.Person is replaced, and the flow's
// events are printed as sentences to opts.Out (cfg.Observe, if set, still hears every event
// first). It returns the flow's outcome; printing a summary of it is the caller's job.
//
// When the input ends at a question, the run stops there and the error wraps an
// *InputEndedError naming the question; an ended ctx stops a question that waits. A goroutine
// reads opts.In a few lines ahead from the first question on; if opts.In blocks (a terminal),
// that goroutine stays in its Read after Run returns, until the read does.
func Run(ctx context.Context, cfg oobe.Config, opts Options) (*oobe.Outcome, error) {
	in, out := opts.In, opts.Out
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stderr
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	tty := isTerminal(in)
	p := &person{
		opts:  opts,
		in:    newInput(in),
		out:   &screen{w: out, endPrompt: !tty},
		clock: cfg.Clock,
		stop:  cancel,
		leave: make(chan oobe.SignInMethod, 1),
	}
	if tty {
		// A terminal echoes what is typed: secrets are read with the echo off, and nothing is
		// read ahead of them.
		p.in.onDemand = true
		p.secret = terminalSecret(in)
	}
	defer p.endSignIn()
	cfg.Person = p
	observe := cfg.Observe
	cfg.Observe = func(e oobe.Event) {
		if observe != nil {
			observe(e)
		}
		p.observe(e)
	}
	o, err := oobe.Run(ctx, cfg)
	p.in.stop()
	var ended *InputEndedError
	if cause := context.Cause(ctx); err != nil && errors.As(cause, &ended) {
		// The approval line never came: say so instead of "context canceled".
		stage := oobe.Stage("")
		if o != nil {
			stage = o.FinalStage
		}
		return o, fmt.Errorf("oobe: run stopped at %s: %w", stage, cause)
	}
	return o, err
}

// isTerminal reports whether r is a terminal, which echoes the Enter that ends each answer;
// for any other input the screen ends the prompt's line itself.
// A character device is not enough: /dev/null is one, and echoes nothing. A variable so tests
// can take a pipe for a terminal.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// terminalSecret is the reader of secrets typed at the terminal r (isTerminal): it turns the
// echo off for the line, and back on once the line is in, or when ctx ends first (the read
// itself then stays under way until a line comes, as the input's does). A variable so tests
// can stand in for the terminal.
var terminalSecret = func(r io.Reader) secretReader {
	fd := r.(*os.File).Fd()
	return func(ctx context.Context) (string, error) {
		state, err := term.GetState(fd)
		if err != nil {
			return "", err
		}
		type result struct {
			b   []byte
			err error
		}
		done := make(chan result, 1)
		go func() {
			b, err := term.ReadPassword(fd)
			done <- result{b, err}
		}()
		select {
		case r := <-done:
			return strings.TrimSuffix(string(r.b), "\r"), r.err
		case <-ctx.Done():
			_ = term.Restore(fd, state)
			return "", context.Cause(ctx)
		}
	}
}

// screen is the output: whole lines, and prompts that the answer's Enter ends. The sign-in's
// approval goroutine writes too, hence the lock.
type screen struct {
	mu sync.Mutex
	w  io.Writer
	// endPrompt ends a prompt's line after its answer is read, for input that is not a
	// terminal (nothing echoes the Enter). The answer itself is never written.
	endPrompt bool
}

// line writes one line.
func (s *screen) line(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, format+"\n", args...)
}

// blank writes an empty line, which sets a new screen apart from the one before.
func (s *screen) blank() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.w)
}

// prompt writes text and leaves the line open for the answer.
func (s *screen) prompt(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprint(s.w, text)
}

// answered ends the prompt's line once its answer is read.
func (s *screen) answered() {
	if !s.endPrompt {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.w)
}
