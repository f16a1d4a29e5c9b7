package accessible

import (
	"context"
	"io"
	"testing"
)

// AsTerminal has Run take every input for a terminal until the test ends, its secrets read
// by read(in) instead of by the terminal with the echo off. Tests that use it must not run
// in parallel.
func AsTerminal(t testing.TB, read func(in io.Reader) func(ctx context.Context) (string, error)) {
	t.Helper()
	isTTY, secret := isTerminal, terminalSecret
	t.Cleanup(func() { isTerminal, terminalSecret = isTTY, secret })
	isTerminal = func(io.Reader) bool { return true }
	terminalSecret = func(in io.Reader) secretReader { return read(in) }
}
