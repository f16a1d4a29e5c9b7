// Package printable makes text from outside — a backup's names, a tenant's error text, the
// fields of a device's files — safe to print on a terminal. A control character there could
// move the cursor, clear the screen, set the window title or hide text (an ESC sequence, a C1
// control, a right-to-left override); shown escaped, it is visible and does nothing.
package printable

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// unsafe reports whether r must not reach a terminal as it is: C0 controls but newline and
// tab, DEL, C1 controls, and the bidirectional overrides and isolates (which reorder what
// follows them: "Trojan Source", CVE-2021-42574).
func unsafe(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// escape is how an unsafe rune is shown: \x1b, \u202e.
func escape(r rune) string {
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// String is s with every unsafe character escaped and invalid UTF-8 shown as U+FFFD.
// Newlines and tabs stay.
func String(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafe(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafe(r) {
			b.WriteString(escape(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Line is String for text that must stay on one line: newlines and tabs are escaped too.
func Line(s string) string {
	return strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(String(s))
}

// Writer passes text through String on its way to w: for the output of commands that print
// outside data as plain text. A rune split across two writes is held until it is whole.
type Writer struct {
	w    io.Writer
	tail []byte
}

// NewWriter makes a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p's unsafe characters and writes the result; it reports len(p) written when
// all of it went through.
func (pw *Writer) Write(p []byte) (int, error) {
	data := append(pw.tail, p...)
	pw.tail = nil
	// Hold back an incomplete rune at the end for the next write.
	if n := len(data); n > 0 {
		for i := max(n-utf8.UTFMax+1, 0); i < n; i++ {
			if utf8.RuneStart(data[i]) {
				if !utf8.FullRune(data[i:]) {
					pw.tail = append([]byte(nil), data[i:]...)
					data = data[:i]
				}
				break
			}
		}
	}
	if _, err := io.WriteString(pw.w, String(string(data))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what a last, incomplete rune left held, as U+FFFD.
func (pw *Writer) Flush() error {
	if len(pw.tail) == 0 {
		return nil
	}
	pw.tail = nil
	_, err := io.WriteString(pw.w, string(utf8.RuneError))
	return err
}
