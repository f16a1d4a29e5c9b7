package recording

import (
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/oobe-dev/oobe/internal/redact"
)

// MinSecret is the length of the shortest secret Redactor masks: a shorter one would mask
// ordinary words. It is redact.MinSecret, which replay's reports use too.
const MinSecret = redact.MinSecret

// Mask is what a redacted character shows: one per cell, so a masked device code keeps its
// place in the sign-in screen's box, and its groups stay apart ("••• ••• •••").
const Mask = "•"

// separators may stand between the characters of a secret on the screen: the sign-in screen
// draws a device code letter-spaced, in groups of three ("B Q X   K 7 M   N P 4").
var separators = []string{" ", "\u00a0", "\u2009", "\u202f"}

// maxGap is how many separators in a row Redactor lets stand inside a secret.
const maxGap = 3

// Redactor returns a scrub function for WriteCast and WriteScreens that masks secrets (the
// user's password, the device code: strings at least MinSecret long; shorter ones are left),
// anything that looks like a JWT and the values of secret fields (redact.Redactor finds
// those; none is ever drawn, this is a second net). A secret is masked where it is drawn as
// it is, where its characters are styled one by one (escape sequences between them), and
// where they are drawn letter-spaced or in groups (up to three spaces between them, on one
// line); it is also masked inside escape sequences (a hyperlink's target). Each masked
// character becomes Mask, cell for cell, and the escape sequences around it stay, so the
// screen keeps its layout and colours.
func Redactor(secrets []string) func(string) string {
	r := redact.New(secrets, mask, mask)
	var spaced []string // the secrets as they are matched across separators
	for _, sec := range r.Secrets() {
		if c := dropSeparators.Replace(sec); c != "" {
			spaced = append(spaced, c)
		}
	}
	return func(s string) string { return redactScreen(s, r, spaced) }
}

func mask(s string) string { return strings.Repeat(Mask, max(ansi.StringWidth(s), 1)) }

func redactScreen(s string, r *redact.Redactor, spaced []string) string {
	s = r.Redact(s)
	if len(spaced) == 0 {
		return s
	}
	// Most frames hold no secret: a quick look at their text spares them the cell by cell
	// decoding, which costs four times as much.
	text := compactText(s)
	if !slices.ContainsFunc(spaced, func(sec string) bool { return strings.Contains(text, sec) }) {
		return s
	}
	return redactCells(s, spaced)
}

// cell is one printable grapheme of a styled text: s[start:end], width cells wide.
type cell struct {
	start, end, width int
}

// redactCells masks the secrets (without separators) where they are drawn with escape
// sequences or separators between their characters.
func redactCells(s string, secrets []string) string {
	// The text as it shows, without separators, with "\n" where a line ends (no secret runs
	// across it); at[i] is the cell that byte i of compact came from (-1 for "\n").
	var cells []cell
	var compact strings.Builder
	var at []int
	var state byte
	for i := 0; i < len(s); {
		seq, width, n, next := ansi.DecodeSequence(s[i:], state, nil)
		state = next
		if n <= 0 {
			n = 1
		}
		switch {
		case width > 0:
			cells = append(cells, cell{start: i, end: i + n, width: width})
			if !slices.Contains(separators, seq) {
				compact.WriteString(seq)
				for range len(seq) {
					at = append(at, len(cells)-1)
				}
			}
		case seq == "\n":
			compact.WriteByte('\n')
			at = append(at, -1)
		}
		i += n
	}
	text := compact.String()
	masked := map[int]bool{}
	for _, want := range secrets {
		for from := 0; ; {
			j := strings.Index(text[from:], want)
			if j < 0 {
				break
			}
			j += from
			from = j + 1
			if together(at[j : j+len(want)]) {
				for _, c := range at[j : j+len(want)] {
					masked[c] = true
				}
			}
		}
	}
	if len(masked) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i, c := range cells {
		if masked[i] {
			b.WriteString(s[last:c.start])
			b.WriteString(strings.Repeat(Mask, c.width))
			last = c.end
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// together reports whether the cells a match came from stand together: at most maxGap cells
// (separators, as nothing else was left out of the compact text) between any two.
func together(cells []int) bool {
	for k := 1; k < len(cells); k++ {
		if cells[k]-cells[k-1] > maxGap+1 {
			return false
		}
	}
	return true
}

// dropSeparators takes the separators out of a text.
var dropSeparators = strings.NewReplacer(" ", "", "\u00a0", "", "\u2009", "", "\u202f", "")

// compactText is the text a styled string shows, without separators.
func compactText(s string) string { return dropSeparators.Replace(ansi.Strip(s)) }
