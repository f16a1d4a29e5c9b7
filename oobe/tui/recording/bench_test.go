package recording

import (
	"strings"
	"testing"
)

// benchFrame is a 100x30 window styled the way lipgloss draws one: a colour every few words.
func benchFrame() string {
	line := strings.Repeat(styled("Restoring")+" your "+styled("settings")+" and apps ", 3)
	return strings.Repeat("  "+line+strings.Repeat(" ", 10)+"\n", 30)
}

func BenchmarkRedactFrame(b *testing.B) {
	frame := benchFrame()
	scrub := Redactor([]string{password, password + "-not-it", code})
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		scrub(frame)
	}
}

// BenchmarkRedactFrameWithCode is the sign-in screen's frame: the code is there to mask.
func BenchmarkRedactFrameWithCode(b *testing.B) {
	frame := benchFrame() + "  " + eachStyled("B Q X   K 7 M   N P 4") + "\n"
	scrub := Redactor([]string{password, password + "-not-it", code})
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		scrub(frame)
	}
}
