package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/oobe"
)

// Pilot presses the keys for a person who is not at the keyboard: a scenario's steps under
// `oobe replay --tui`, the demo's choices under --demo. Person decides each answer, as it would
// for the headless replay; the pilot turns the answer into the key presses that give it on
// the screen, so the real screens, not a shortcut, answer the flow.
type Pilot struct {
	Person oobe.Person
	// Pace is how long the pilot looks at a screen before it answers (real time); 0 for
	// replays. Keys within an answer follow each other at a tenth of it.
	Pace time.Duration

	// presenter, under a presenter, paces the pilot's waits (pause, step, speed).
	presenter *presenter
}

// pilotKeyMsg is a key the pilot presses: the screens take it as a key press, while the
// person's own keys are ignored (a presenter's aside).
type pilotKeyMsg struct{ key tea.KeyPressMsg }

// Key presses, as a terminal sends them.
var (
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyRight = tea.KeyPressMsg{Code: tea.KeyRight}
	keyLeft  = tea.KeyPressMsg{Code: tea.KeyLeft}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
)

func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}

func downs(n int) []tea.Msg {
	out := make([]tea.Msg, 0, n)
	for range n {
		out = append(out, keyDown)
	}
	return out
}

// press decides the answer to a and sends the keys that give it.
func (p *Pilot) press(ctx context.Context, a *Ask, send func(tea.Msg)) error {
	keys, err := p.keys(ctx, a)
	if err != nil {
		return err
	}
	if err := p.wait(ctx, p.Pace); err != nil {
		return err
	}
	for _, k := range keys {
		if kp, ok := k.(tea.KeyPressMsg); ok {
			k = pilotKeyMsg{key: kp}
		}
		send(k)
		if err := p.wait(ctx, p.Pace/10); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pilot) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if p.presenter != nil {
		return p.presenter.wait(ctx, d)
	}
	return clock.Real{}.Sleep(ctx, d)
}

// keys are the key presses that answer a as p.Person would. An answer the screen cannot give
// is an error, as the headless flow would refuse it.
func (p *Pilot) keys(ctx context.Context, a *Ask) ([]tea.Msg, error) {
	switch a.Stage {
	case oobe.StageRegion:
		got, err := p.Person.Region(ctx, a.Options)
		if err != nil {
			return nil, err
		}
		return pick(a.Options, got, "region")
	case oobe.StageKeyboard:
		got, err := p.Person.Keyboard(ctx, a.Options)
		if err != nil {
			return nil, err
		}
		return pick(a.Options, got, "keyboard")
	case oobe.StageSecondKeyboard:
		got, err := p.Person.SecondKeyboard(ctx, a.Options)
		if err != nil {
			return nil, err
		}
		if got == "" {
			return []tea.Msg{keyEnter}, nil // focus starts on Skip
		}
		in, err := pick(a.Options, got, "second keyboard")
		if err != nil {
			return nil, err
		}
		return append([]tea.Msg{keyLeft, keyEnter}, in...), nil // Add layout, then the list
	case oobe.StageNetwork:
		n, pass, err := p.Person.Network(ctx, a.Networks)
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(a.Networks, func(o oobe.Network) bool { return o.Name == n.Name })
		if i < 0 {
			return nil, fmt.Errorf("the network screen does not list %q", n.Name)
		}
		keys := append(downs(i), keyEnter)
		if o := a.Networks[i]; o.Secured() {
			keys = append(append(keys, typed(pass)...), keyEnter)
		}
		return keys, nil
	case oobe.StageSignIn:
		m, err := p.Person.SignInMethod(ctx, a.Branding)
		if err != nil {
			return nil, err
		}
		switch m {
		case oobe.SignInDeviceCode:
			return []tea.Msg{keyEnter}, nil
		case oobe.SignInBrowser:
			return []tea.Msg{keyDown, keyEnter}, nil
		}
		return nil, fmt.Errorf("the sign-in screen has no method %q", m)
	case oobe.StageRestorePage, oobe.StageFirstSignInRestorePage:
		choose := p.Person.RestoreChoice
		if a.Stage == oobe.StageFirstSignInRestorePage {
			choose = p.Person.FirstSignInRestoreChoice
		}
		id, err := choose(ctx, a.Profiles)
		if err != nil {
			return nil, err
		}
		if id == "" { // Set up as new PC, the row after the previous PCs
			return append(downs(len(a.Profiles)), keyEnter), nil
		}
		for i, pr := range a.Profiles {
			if pr.WindowsDeviceID == id {
				return append(downs(i), keyEnter, keyEnter), nil // the PC, then Continue on the confirmation
			}
		}
		return nil, fmt.Errorf("the restore page does not list a previous PC %q", id)
	case oobe.StageESP:
		c, err := p.Person.ESPFailure(ctx, a.Failure)
		if err != nil {
			return nil, err
		}
		switch c {
		case oobe.ESPContinueAnyway:
			return []tea.Msg{keyEnter}, nil
		case oobe.ESPResetDevice:
			return []tea.Msg{keyRight, keyEnter}, nil
		}
		return nil, fmt.Errorf("the ESP failure screen has no choice %q", c)
	}
	return nil, fmt.Errorf("no screen answers a question at %s", a.Stage)
}

// pick is the keys that choose got from a list of offered that starts on the first.
func pick(offered []string, got, screen string) ([]tea.Msg, error) {
	i := slices.Index(offered, got)
	if i < 0 {
		return nil, fmt.Errorf("the %s screen does not list %q (listed: %s)", screen, got, strings.Join(offered, ", "))
	}
	return append(downs(i), keyEnter), nil
}

func (p *Pilot) deviceCode(ctx context.Context, prompt auth.DeviceCodePrompt) {
	if p.wait(ctx, p.Pace) == nil {
		p.Person.DeviceCode(ctx, prompt)
	}
}

func (p *Pilot) browser(ctx context.Context, url string) error {
	if err := p.wait(ctx, p.Pace); err != nil {
		return err
	}
	if p.Person == nil {
		return errors.New("the pilot has no person to sign in")
	}
	return p.Person.Browser(ctx, url)
}
