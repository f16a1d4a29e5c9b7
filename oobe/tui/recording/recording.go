// Package recording keeps what the terminal UI drew during a replay: an asciicast v2
// recording to play back with `asciinema play`, and plain-text snapshots of every screen for
// bug reports. Both are made from the frames tui.Options.OnFrame reports, after the run, and
// both pass every frame through a scrub function first (see Redactor): a recording is for a
// demo or a bug report, and must not carry the user's password or the device code.
package recording

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Frame is one screen as the terminal UI drew it.
type Frame struct {
	// At is the flow clock's time when it was drawn: virtual time under replay.
	At time.Time
	// Screen is the window as text with its styles (ANSI escape sequences), lines separated
	// by "\n".
	Screen string
}

// The pace of a recording. A replay runs on a virtual clock, so its frames come in bursts (a
// key press every few microseconds) and then jump (a 15-minute device code expiry): neither is
// watchable. Each frame is shown for the virtual time until the next one, but at least MinGap
// and at most MaxGap: a key press reads, and a long wait shows as a pause, not a quarter of an
// hour. The mapping depends only on the frames' virtual times, so a recording is the same on
// every run.
const (
	MinGap = 500 * time.Millisecond
	MaxGap = 2 * time.Second
)

// Offsets are the frames' times in a recording: the first at 0, each later one after the
// virtual gap from the one before, clamped to [MinGap, MaxGap].
func Offsets(frames []Frame) []time.Duration {
	out := make([]time.Duration, len(frames))
	for i := 1; i < len(frames); i++ {
		gap := min(max(frames[i].At.Sub(frames[i-1].At), MinGap), MaxGap)
		out[i] = out[i-1] + gap
	}
	return out
}

// Header is an asciicast's first line: what a player needs to know before the frames.
type Header struct {
	Width, Height int
	// Start is when the recording starts: the scenario's start on its virtual clock.
	Start time.Time
	Title string
}

// castHeader is the asciicast v2 header (https://docs.asciinema.org/manual/asciicast/v2/).
type castHeader struct {
	Version       int               `json:"version"`
	Width         int               `json:"width"`
	Height        int               `json:"height"`
	Timestamp     int64             `json:"timestamp"`
	IdleTimeLimit float64           `json:"idle_time_limit"`
	Title         string            `json:"title,omitempty"`
	Env           map[string]string `json:"env"`
}

// IdleTimeLimit is the header's idle_time_limit: players shorten longer pauses to it. The
// recording keeps the pauses as Offsets gives them (up to MaxGap); `asciinema play -i 2`
// shows them in full.
const IdleTimeLimit = 1

// clearScreen homes the cursor and clears the screen: each frame is drawn whole.
const clearScreen = "\x1b[H\x1b[2J"

// hideCursor hides the cursor, as the terminal UI does on a real terminal.
const hideCursor = "\x1b[?25l"

// WriteCast writes frames to w as an asciicast v2 recording: the header, then one output
// event per frame that clears the screen and draws it, at Offsets. scrub, when not nil, is
// applied to every frame and to the title first (see Redactor).
func WriteCast(w io.Writer, h Header, frames []Frame, scrub func(string) string) error {
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw) // one value per line, as asciicast wants
	enc.SetEscapeHTML(false)
	if err := enc.Encode(castHeader{Version: 2, Width: h.Width, Height: h.Height, Timestamp: h.Start.Unix(),
		IdleTimeLimit: IdleTimeLimit, Title: scrub(h.Title),
		Env: map[string]string{"TERM": "xterm-256color", "SHELL": "/bin/sh"}}); err != nil {
		return err
	}
	for i, t := range Offsets(frames) {
		data := clearScreen + strings.ReplaceAll(scrub(frames[i].Screen), "\n", "\r\n")
		if i == 0 {
			data = hideCursor + data
		}
		if err := enc.Encode([]any{t.Seconds(), "o", data}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteCastFile writes the recording to path (see WriteCast), through a temporary file
// renamed over it, so a failed write never leaves half a recording.
func WriteCastFile(path string, h Header, frames []Frame, scrub func(string) string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".oobe-cast-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if err := WriteCast(f, h, frames, scrub); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Text is a frame as plain text: no colours or other escape sequences, no spaces at the ends
// of lines, no blank lines at the end, and a final newline.
func Text(screen string) string {
	lines := strings.Split(ansi.Strip(screen), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n") + "\n"
}

// screenFile is a snapshot's name: its number, zero-padded.
var screenFile = regexp.MustCompile(`^[0-9]+\.txt$`)

// WriteScreens writes each frame to dir as plain text (see Text), numbered from 001.txt in the
// order they were drawn, and index.txt: one line per frame with its number, its time since
// start on the flow's clock and its title (see Title). scrub, when not nil, is applied to
// every frame first. Snapshots an earlier run left in dir are removed.
func WriteScreens(dir string, start time.Time, frames []Frame, scrub func(string) string) error {
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range old {
		if !e.IsDir() && (screenFile.MatchString(e.Name()) || e.Name() == "index.txt") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	digits := max(3, len(fmt.Sprint(len(frames))))
	var index strings.Builder
	for i, f := range frames {
		text := Text(scrub(f.Screen))
		name := fmt.Sprintf("%0*d", digits, i+1)
		if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&index, "%s  %s  %s\n", name, since(f.At.Sub(start)), Title(text))
	}
	return os.WriteFile(filepath.Join(dir, "index.txt"), []byte(index.String()), 0o644)
}

// since is d as +H:MM:SS, as replay's failure transcripts stamp events.
func since(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%s%d:%02d:%02d", sign, s/3600, s/60%60, s%60)
}

// borders are what Title trims from the ends of a line besides spaces: box drawing.
const borders = " \t│┃║╭╮╰╯┌┐└┘─━═"

// gapRE is a run of spaces that lays a line out in columns.
var gapRE = regexp.MustCompile(` {3,}`)

// Title is what a plain-text screen is about: the first line with text below the window's
// header (its first line, the same on every screen), trimmed of spaces and box borders, its
// columns two spaces apart; the header itself for a screen that is nothing else.
func Title(text string) string {
	lines := strings.Split(text, "\n")
	for _, l := range lines[min(1, len(lines)):] {
		if t := strings.Trim(l, borders); t != "" {
			return gapRE.ReplaceAllString(t, "  ")
		}
	}
	return gapRE.ReplaceAllString(strings.Trim(lines[0], borders), "  ")
}
