package accessible

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// endless is an input that never ends: "1\n" forever, as yes(1) would pipe it.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "1\n"[i%2]
	}
	return len(p) - len(p)%2, nil
}

func TestTheInputReadsOnlyAShortWayAhead(t *testing.T) {
	in := newInput(endless{})
	if s, err := in.next(context.Background()); s != "1" || err != nil {
		t.Fatalf("next = %q, %v", s, err)
	}
	time.Sleep(20 * time.Millisecond)
	in.mu.Lock()
	n := len(in.lines)
	in.mu.Unlock()
	in.stop()
	if n > maxAhead {
		t.Fatalf("%d lines read ahead, want at most %d", n, maxAhead)
	}
}

func TestLinesAreReadWhole(t *testing.T) {
	long := strings.Repeat("x", maxLine+10)
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"an empty line is a line", "\n\n", []string{"", ""}},
		{"the last line needs no newline", "a\nb", []string{"a", "b"}},
		{"Windows line endings are dropped", "a\r\nb\r\n", []string{"a", "b"}},
		{"spaces are kept (a passphrase may have them)", " a b \n", []string{" a b "}},
		{"a line past the limit is cut and the next is kept", long + "\nnext\n", []string{long[:maxLine], "next"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := newInput(strings.NewReader(tc.in))
			var got []string
			for {
				s, err := in.next(context.Background())
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, s)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d lines, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("line %d = %.20q (%d bytes), want %.20q (%d bytes)", i, got[i], len(got[i]), tc.want[i], len(tc.want[i]))
				}
			}
		})
	}
}

func TestALineIsNotTakenByAReaderWhoseContextHasEnded(t *testing.T) {
	in := newInput(strings.NewReader("approve\nnext\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := in.next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled reader got %v", err)
	}
	if s, err := in.next(context.Background()); s != "approve" || err != nil {
		t.Fatalf("the next reader got %q, %v; want the line the cancelled one left", s, err)
	}
}

// TestDevNullIsNotATerminal: /dev/null is a character device but echoes no Enter, so the
// screen must end each prompt's line itself there (before, it took /dev/null for a terminal).
func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("%s is taken for a terminal", os.DevNull)
	}
	if isTerminal(strings.NewReader("1\n")) {
		t.Error("a string is taken for a terminal")
	}
}
