package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/tui"
	"github.com/oobe-dev/oobe/oobe/tui/recording"
	"github.com/oobe-dev/oobe/replay"
)

// tuiReplay is `oobe replay --tui`: each scenario's flow runs through the real terminal UI,
// headless at a fixed size, its steps turned into key presses by a pilot. What it draws can
// be kept as an asciicast recording and as plain-text screens.
type tuiReplay struct {
	width, height int
	// record and screens are the directories for the recordings and the screens; "" for none.
	record, screens string
	// names are the scenarios' file names in those directories, by scenario file.
	names map[string]string

	mu   sync.Mutex
	errs []error // recordings that could not be written
}

// maxSize bounds --size: a terminal larger than this is a typo.
const maxSize = 1000

var sizeRE = regexp.MustCompile(`^([0-9]{1,4})[x×X]([0-9]{1,4})$`)

// parseSize reads --size WxH: at least the terminal UI's minimum, at most maxSize each way.
func parseSize(s string) (int, int, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, fmt.Errorf("--size %q: want WIDTHxHEIGHT, such as 100x30", s)
	}
	w, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if w < tui.MinWidth || h < tui.MinHeight {
		return 0, 0, fmt.Errorf("--size %s: the setup screens need at least %dx%d", s, tui.MinWidth, tui.MinHeight)
	}
	if w > maxSize || h > maxSize {
		return 0, 0, fmt.Errorf("--size %s: at most %dx%d", s, maxSize, maxSize)
	}
	return w, h, nil
}

// newTUIReplay makes the driver for scenarios, and the directories it writes to.
func newTUIReplay(o replayOptions, scenarios []replay.Entry) (*tuiReplay, error) {
	w, h, err := parseSize(o.size)
	if err != nil {
		return nil, badInput("%v", err)
	}
	t := &tuiReplay{width: w, height: h, record: o.record, screens: o.screens}
	for _, d := range []struct{ flag, dir string }{{"--record", o.record}, {"--screens", o.screens}} {
		if d.dir == "" {
			continue
		}
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return nil, badInput("%s: %v", d.flag, err)
		}
	}
	t.names = fileNames(scenarios)
	return t, nil
}

// fileNames names each scenario's recording after its path under the directory it was found
// in: "restore/adele.yaml" is restore_adele (.cast, or a directory of screens). Two scenarios
// with one name (the same file name under two PATH arguments) get -2, -3… in the order given.
func fileNames(scenarios []replay.Entry) map[string]string {
	names := make(map[string]string, len(scenarios))
	taken := map[string]bool{}
	for _, sc := range scenarios {
		rel := filepath.ToSlash(sc.Rel)
		if rel == "" {
			rel = filepath.Base(sc.File)
		}
		rel = strings.TrimSuffix(rel, filepath.Ext(rel))
		base := strings.ReplaceAll(strings.TrimPrefix(rel, "./"), "/", "_")
		name := base
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		taken[name] = true
		names[sc.File] = name
	}
	return names
}

// drive is the replay.Driver: the terminal UI plays the flow, the pilot answers each screen
// with the keys the scenario's steps give.
func (t *tuiReplay) drive(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
	person := &watcher{Person: d.Config.Person}
	var frames []recording.Frame
	var onFrame func(time.Time, string)
	if t.record != "" || t.screens != "" {
		onFrame = func(at time.Time, screen string) {
			frames = append(frames, recording.Frame{At: at, Screen: screen})
		}
	}
	out, err := tui.Run(ctx, d.Config, tui.Options{
		Headless: true, Width: t.width, Height: t.height,
		Simulated: true,
		Pilot:     &tui.Pilot{Person: person},
		Actions:   tui.Actions{Approve: d.Approve},
		OnFrame:   onFrame,
	})
	if onFrame != nil { // tui.Run has returned: no frame comes after it
		t.keep(d, frames, person.secrets(d))
	}
	return out, err
}

// keep writes a scenario's frames to the recording and the screens, masking secrets.
func (t *tuiReplay) keep(d *replay.Drive, frames []recording.Frame, secrets []string) {
	scrub := recording.Redactor(secrets)
	for i := range frames { // once for both the recording and the screens
		frames[i].Screen = scrub(frames[i].Screen)
	}
	sc := d.Scenario
	name := t.names[sc.File]
	if name == "" {
		name = fileNames([]replay.Entry{{File: sc.File, Rel: sc.Rel}})[sc.File]
	}
	var errs []error
	if t.record != "" {
		h := recording.Header{Width: t.width, Height: t.height, Start: d.Scenario.Start, Title: d.Scenario.Name}
		errs = append(errs, recording.WriteCastFile(filepath.Join(t.record, name+".cast"), h, frames, nil))
	}
	if t.screens != "" {
		errs = append(errs, recording.WriteScreens(filepath.Join(t.screens, name), d.Scenario.Start, frames, nil))
	}
	if err := errors.Join(errs...); err != nil {
		t.mu.Lock()
		t.errs = append(t.errs, fmt.Errorf("%s: %w", d.Scenario.File, err))
		t.mu.Unlock()
	}
}

// err is every recording that could not be written, or nil.
func (t *tuiReplay) err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) == 0 {
		return nil
	}
	return fmt.Errorf("writing the recordings: %w", errors.Join(t.errs...))
}

// watcher is the scenario's person, noting every device code it is shown: each is on the
// sign-in screen, and must be masked in the recording.
type watcher struct {
	oobe.Person
	mu    sync.Mutex
	codes []string
}

func (w *watcher) DeviceCode(ctx context.Context, p auth.DeviceCodePrompt) {
	w.mu.Lock()
	w.codes = append(w.codes, p.UserCode)
	w.mu.Unlock()
	w.Person.DeviceCode(ctx, p)
}

// secrets are what a recording masks: the device codes shown, the user's password, the Wi-Fi
// passphrase, what the replay keeps out of its report (a wrong password the steps type), and
// the tenant's port.
func (w *watcher) secrets(d *replay.Drive) []string {
	w.mu.Lock()
	out := append([]string{}, w.codes...)
	w.mu.Unlock()
	sc := d.Scenario
	out = append(out, sc.Password, sc.Steps.Network.Password)
	// Not a secret, but it differs from run to run: the tenant's loopback port, masked so a
	// scenario's recordings and screens are the same on every run (the host stays readable).
	if u, err := url.Parse(d.URL); err == nil && u.Port() != "" {
		out = append(out, ":"+u.Port())
	}
	if d.Secrets != nil {
		out = append(out, d.Secrets()...)
	}
	return out
}
