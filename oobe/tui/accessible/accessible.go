// Package accessible is the setup as plain line prompts, for screen readers: every screen is a
// question with numbered answers read from any input, every event a line of text.
package accessible

import (
	"context"
	"errors"
	"io"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
)

// Options configure an accessible run.
type Options struct {
	In  io.Reader
	Out io.Writer
	// Approve, when set, approves a device code as the demo user when the person types
	// "approve" at the sign-in prompt (the simulated tenant only).
	Approve func(ctx context.Context, p auth.DeviceCodePrompt) error
	// Open, when set, opens a URL in the system's browser.
	Open func(url string) error
}

// Run plays the setup with line prompts as its person. TEMPORARY: replaced by the real one.
func Run(ctx context.Context, cfg oobe.Config, opts Options) (*oobe.Outcome, error) {
	return nil, errors.New("not yet")
}
