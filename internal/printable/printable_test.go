package printable

import (
	"bytes"
	"strings"
	"testing"
)

func TestStringEscapesWhatATerminalWouldObey(t *testing.T) {
	for in, want := range map[string]string{
		"ADELE-SURFACE":                "ADELE-SURFACE",
		"Café Wi-Fi ✓":                 "Café Wi-Fi ✓",
		"two\nlines\tand a tab":        "two\nlines\tand a tab",
		"\x1b]0;pwned\x07\x1b[2Jclear": `\x1b]0;pwned\x07\x1b[2Jclear`,
		"bell\a back\b cr\r del\x7f":   `bell\x07 back\x08 cr\x0d del\x7f`,
		"c1 \u009b31m csi":             `c1 \u009b31m csi`,
		"admin\u202egpj.exe":           `admin\u202egpj.exe`,
		"isolate \u2066x\u2069":        `isolate \u2066x\u2069`,
		"bad utf-8 \xff\xfe end":       "bad utf-8 \ufffd\ufffd end",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Line("a\nb\tc\x1b"); got != `a\nb\tc\x1b` {
		t.Errorf("Line = %q", got)
	}
}

func TestWriterEscapesAcrossWritesAndKeepsRunesWhole(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	text := "name: é\x1b[2Jred\u202e ✓\n"
	// One byte at a time: every rune is split across writes.
	for i := 0; i < len(text); i++ {
		if n, err := w.Write([]byte{text[i]}); n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "name: é" + `\x1b` + "[2Jred" + `\u202e` + " ✓\n"; out.String() != want {
		t.Fatalf("wrote %q, want %q", out.String(), want)
	}
	out.Reset()
	w.Write([]byte("cut \xe2\x9c")) // the start of ✓, never finished
	w.Flush()
	if !strings.HasSuffix(out.String(), "\ufffd") || strings.Contains(out.String(), "\xe2") {
		t.Fatalf("an unfinished rune wrote %q", out.String())
	}
}

func FuzzStringLeavesNoControlCharacter(f *testing.F) {
	for _, s := range []string{"", "ok", "\x1b[2J", "\u009b", "\u202e", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range String(s) {
			if unsafe(r) {
				t.Fatalf("String(%q) keeps %U", s, r)
			}
		}
	})
}

func TestWriterLetsColoursThroughAndNothingElse(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	in := "\x1b[1;31mfailed\x1b[m ok \x1b[2J\x1b]0;t\x07 \x1b[10;20H end \x1b[38;2;1;2;3mx\x1b[0m"
	for i := 0; i < len(in); i += 3 { // in pieces: sequences split across writes
		w.Write([]byte(in[i:min(i+3, len(in))]))
	}
	w.Write([]byte("\x1b["))
	w.Flush()
	want := "\x1b[1;31mfailed\x1b[m ok " + `\x1b[2J\x1b]0;t\x07 \x1b[10;20H` + " end \x1b[38;2;1;2;3mx\x1b[0m" + `\x1b[`
	if out.String() != want {
		t.Fatalf("wrote\n%q\nwant\n%q", out.String(), want)
	}
}
