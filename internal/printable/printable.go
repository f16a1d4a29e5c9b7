// Package printable makes text from outside — a backup's names, a tenant's error text, the
// fields of a device's files — safe to print on a terminal. A control character there could
// move the cursor, clear the screen, set the window title or hide text (an ESC sequence, a C1
// control, a right-to-left override); shown escaped, it is visible and does nothing.
package printable

import (
	"bytes"
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
// outside data. One kind of escape sequence passes: SGR (ESC [ digits and semicolons m), which
// only sets colours and text styles, so a command may colour its own output; anything else —
// moving the cursor, clearing, a title, a hyperlink — is escaped. A rune or an SGR sequence
// split across two writes is held until it is whole.
type Writer struct {
	w    io.Writer
	tail []byte
}

// maxSGR is the longest SGR sequence Writer holds back across writes; a longer one is escaped.
const maxSGR = 64

// sgrEnd is the length of the SGR sequence at the start of b (which starts with ESC), 0 when
// it is none, and -1 when b ends before the sequence could be told.
func sgrEnd(b []byte) int {
	if len(b) < 2 {
		return -1
	}
	if b[1] != '[' {
		return 0
	}
	for i := 2; i < len(b) && i < maxSGR; i++ {
		switch c := b[i]; {
		case c == 'm':
			return i + 1
		case c == ';' || c >= '0' && c <= '9':
		default:
			return 0
		}
	}
	if len(b) >= maxSGR {
		return 0
	}
	return -1
}

// NewWriter makes a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p's unsafe characters and writes the result; it reports len(p) written when
// all of it went through.
func (pw *Writer) Write(p []byte) (int, error) {
	data := append(pw.tail, p...)
	pw.tail = nil
	var out strings.Builder
	for len(data) > 0 {
		i := bytes.IndexByte(data, 0x1b)
		if i < 0 {
			i = len(data)
		}
		text := data[:i]
		// Hold back an incomplete rune at the end for the next write.
		if i == len(data) {
			for j := max(len(text)-utf8.UTFMax+1, 0); j < len(text); j++ {
				if utf8.RuneStart(text[j]) {
					if !utf8.FullRune(text[j:]) {
						pw.tail = append([]byte(nil), text[j:]...)
						text = text[:j]
					}
					break
				}
			}
		}
		out.WriteString(String(string(text)))
		data = data[i:]
		if len(data) == 0 {
			break
		}
		switch n := sgrEnd(data); {
		case n < 0: // the sequence goes on in the next write
			pw.tail = append(pw.tail[:0], data...)
			data = nil
		case n > 0:
			out.Write(data[:n])
			data = data[n:]
		default:
			out.WriteString(escape(0x1b))
			data = data[1:]
		}
	}
	if _, err := io.WriteString(pw.w, out.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what was held at the end: an incomplete rune as U+FFFD, an unfinished
// sequence escaped.
func (pw *Writer) Flush() error {
	if len(pw.tail) == 0 {
		return nil
	}
	tail := pw.tail
	pw.tail = nil
	if tail[0] == 0x1b { // a sequence never finished: shown, not obeyed
		_, err := io.WriteString(pw.w, escape(0x1b)+String(string(tail[1:])))
		return err
	}
	_, err := io.WriteString(pw.w, string(utf8.RuneError))
	return err
}
