package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

var start = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

const (
	password = "Contoso-2026!"
	code     = "BQXK7MNP4"
	token    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGVsZSJ9.c2lnbmF0dXJl"
)

func styled(s string) string { return "\x1b[1;38;2;0;120;212m" + s + "\x1b[m" }

// eachStyled styles every character on its own, as a big code might be.
func eachStyled(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteString(styled(string(r)))
	}
	return b.String()
}

// frames are a short replay: a burst of key presses, then a long wait on the sign-in screen
// with the code drawn three ways, then the desktop.
func frames() []Frame {
	box := "╭──────────────────╮\n│  " + styled(code) + "       │\n╰──────────────────╯"
	return []Frame{
		{At: start, Screen: styled("Windows setup") + "   \nIs this the right country or region?   \n  United States  \n"},
		{At: start, Screen: styled("Windows setup") + "\nIs this the right country or region?\n> United Kingdom"},
		{At: start.Add(3 * time.Millisecond), Screen: styled("Windows setup") + "\nLet's connect you to a network\n  passphrase: " + password},
		{At: start.Add(10 * time.Second), Screen: styled("Windows setup") + "\nLet's set things up for your work or school\n" + box},
		{At: start.Add(11 * time.Second), Screen: styled("Windows setup") + "\nEnter the code\n  " + eachStyled(code) + "\n  BQX KM7 NP4 is not it; " + eachStyled("B Q X") + "   " + eachStyled("K 7 M") + "   " + eachStyled("N P 4")},
		{At: start.Add(15 * time.Minute), Screen: styled("Windows setup") + "\nSigned in\n\x1b]8;;https://login.example/devicelogin?otc=" + code + "\x1b\\link\x1b]8;;\x1b\\ " + token},
		{At: start.Add(15*time.Minute + 700*time.Millisecond), Screen: styled("Windows setup") + "\nDesktop\n"},
	}
}

var scrub = Redactor([]string{password, password + "-not-it", code, "short"})

func TestOffsetsClampTheVirtualGaps(t *testing.T) {
	got := Offsets(frames())
	want := []time.Duration{0, 500 * time.Millisecond, time.Second, 3 * time.Second, 4 * time.Second, 6 * time.Second, 6700 * time.Millisecond}
	if len(got) != len(want) {
		t.Fatalf("offsets %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("offsets %v, want %v", got, want)
		}
	}
	if len(Offsets(nil)) != 0 {
		t.Fatal("offsets of no frames")
	}
}

func TestCastIsAsciicastV2WithoutSecrets(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCast(&buf, Header{Width: 100, Height: 30, Start: start, Title: "Adele restores her PC"}, frames(), scrub); err != nil {
		t.Fatal(err)
	}
	for i, screen := range checkCast(t, buf.Bytes(), 100, 30, len(frames())) {
		compact := strings.ReplaceAll(ansi.Strip(screen), " ", "")
		for _, secret := range []string{password, code, "eyJ"} {
			if strings.Contains(screen, secret) || strings.Contains(compact, secret) {
				t.Errorf("frame %d holds %q: %q", i+1, secret, screen)
			}
		}
	}
	// The decoy is not the code, and stays.
	if !strings.Contains(buf.String(), "BQX KM7 NP4 is not it") {
		t.Error("a text that is not the code was masked")
	}
	var again bytes.Buffer
	_ = WriteCast(&again, Header{Width: 100, Height: 30, Start: start, Title: "Adele restores her PC"}, frames(), scrub)
	if again.String() != buf.String() {
		t.Fatal("two recordings of the same frames differ")
	}
}

// checkCast parses an asciicast v2 file: the header, then n output events in time order.
func checkCast(t *testing.T, data []byte, width, height, n int) []string {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	if !sc.Scan() {
		t.Fatal("no header")
	}
	var h map[string]any
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		t.Fatalf("header %s: %v", sc.Bytes(), err)
	}
	if h["version"] != 2.0 || h["width"] != float64(width) || h["height"] != float64(height) ||
		h["timestamp"] != float64(start.Unix()) || h["idle_time_limit"] != 1.0 {
		t.Fatalf("header %s", sc.Bytes())
	}
	if env, _ := h["env"].(map[string]any); env["TERM"] != "xterm-256color" {
		t.Fatalf("header env %v", h["env"])
	}
	var screens []string
	last := -1.0
	for sc.Scan() {
		var ev []any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || len(ev) != 3 {
			t.Fatalf("event %s: %v", sc.Bytes(), err)
		}
		at, ok1 := ev[0].(float64)
		kind, _ := ev[1].(string)
		data, ok3 := ev[2].(string)
		if !ok1 || kind != "o" || !ok3 {
			t.Fatalf("event %s is not [time, \"o\", data]", sc.Bytes())
		}
		if at < last {
			t.Fatalf("event at %v after one at %v", at, last)
		}
		last = at
		if !strings.Contains(data, "\x1b[H\x1b[2J") || strings.Contains(strings.ReplaceAll(data, "\r\n", ""), "\n") {
			t.Fatalf("event %q does not clear the screen and end its lines with CR LF", data)
		}
		screens = append(screens, data)
	}
	if len(screens) != n {
		t.Fatalf("%d events, want %d", len(screens), n)
	}
	return screens
}

func TestRedactorMasksCellForCell(t *testing.T) {
	cases := []struct{ in, want string }{
		{"code " + code + " here", "code ••••••••• here"},
		{"pw " + password + "-not-it.", "pw " + strings.Repeat("•", 20) + "."},
		{eachStyled(code), eachStyled("•••••••••")},
		{"BQX KM7 NP4", "BQX KM7 NP4"},
		{"BQX K7M NP4", "••• ••• •••"},
		{"B Q X   K 7 M   N P 4", "• • •   • • •   • • •"},
		{eachStyled("B Q X   K 7 M   N P 4"), eachStyled("• • •   • • •   • • •")},
		{"BQX     K7M NP4", "BQX     K7M NP4"}, // too far apart to be the code
		{"BQXK7M\nNP4", "BQXK7M\nNP4"},         // never across lines
		{"short and shorter", "short and shorter"},
		{"a token " + token + ".", "a token " + strings.Repeat("•", len(token)) + "."},
		{`{"access_token":"` + token + `"}`, `{"access_token":"` + strings.Repeat("•", len(token)) + `"}`},
		{`log: {"refresh_token":"0.AbC-xyz"}`, `log: {"refresh_token":"•••••••••"}`},
		{"", ""},
	}
	for _, tc := range cases {
		got := scrub(tc.in)
		if got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if ansi.StringWidth(got) != ansi.StringWidth(tc.in) {
			t.Errorf("scrub(%q) changed the width", tc.in)
		}
	}
	if Redactor(nil)("plain "+code) != "plain "+code {
		t.Error("no secrets, nothing masked")
	}
}

func TestScreensArePlainTextWithAnIndex(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "adele")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "999.txt"), []byte("an earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteScreens(dir, start, frames(), scrub); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "001.txt 002.txt 003.txt 004.txt 005.txt 006.txt 007.txt index.txt" {
		t.Fatalf("files %v", names)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "001.txt"))
	if string(first) != "Windows setup\nIs this the right country or region?\n  United States\n" {
		t.Fatalf("001.txt = %q", first)
	}
	for _, n := range names {
		data, _ := os.ReadFile(filepath.Join(dir, n))
		s := string(data)
		if strings.Contains(s, "\x1b") || strings.Contains(s, " \n") || strings.Contains(s, code) || strings.Contains(s, password) || strings.Contains(s, "eyJ") {
			t.Errorf("%s is not plain, trimmed and scrubbed:\n%s", n, s)
		}
	}
	index, _ := os.ReadFile(filepath.Join(dir, "index.txt"))
	want := `001  +0:00:00  Is this the right country or region?
002  +0:00:00  Is this the right country or region?
003  +0:00:00  Let's connect you to a network
004  +0:00:10  Let's set things up for your work or school
005  +0:00:11  Enter the code
006  +0:15:00  Signed in
007  +0:15:00  Desktop
`
	if string(index) != want {
		t.Fatalf("index.txt:\n%s\nwant:\n%s", index, want)
	}
}

func TestTitleSkipsTheHeaderAndBorders(t *testing.T) {
	for in, want := range map[string]string{
		"Windows setup · Contoso\n\n  ╭────╮\n  │ Welcome │\n": "Welcome",
		"Windows setup\n": "Windows setup",
		"":                "",
		"Windows setup\n   \n  Restoring              1:00 elapsed\n": "Restoring  1:00 elapsed",
	} {
		if got := Title(in); got != want {
			t.Errorf("Title(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteCastFileReplacesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.cast")
	if err := WriteCastFile(path, Header{Width: 80, Height: 24, Start: start}, frames()[:2], scrub); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkCast(t, data, 80, 24, 2)
	if err := WriteCastFile(filepath.Join(t.TempDir(), "no", "a.cast"), Header{}, nil, nil); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("a temporary file was left: %v", entries)
	}
}
