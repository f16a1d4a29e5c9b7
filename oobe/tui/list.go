package tui

import (
	"fmt"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// listItem is one row of a choiceList: what it says, and an optional note drawn after it in
// a subtler style.
type listItem struct {
	label string
	note  string
}

// stringItems makes list rows of plain choices.
func stringItems(ss []string) []listItem {
	out := make([]listItem, len(ss))
	for i, s := range ss {
		out[i] = listItem{label: s}
	}
	return out
}

// choiceList is the setup screens' list of choices: the cursor starts on the first row, up
// and down move it, a scroll window keeps it in view, and a filterable list narrows itself
// to the rows whose label holds what the person typed (ignoring case). Screens map the
// selected index back to what the row stands for.
type choiceList struct {
	items      []listItem
	filterable bool
	filter     string
	shown      []int // indexes into items that pass the filter, in order
	cursor     int   // index into shown
}

func newChoiceList(items []listItem, filterable bool) choiceList {
	l := choiceList{filterable: filterable}
	l.reset(items)
	return l
}

// reset replaces the rows, clears the filter and puts the cursor on the first row.
func (l *choiceList) reset(items []listItem) {
	l.items = items
	l.setFilter("")
}

// setFilter narrows the list to the rows matching f and puts the cursor on the first.
func (l *choiceList) setFilter(f string) {
	l.filter = f
	l.shown = l.shown[:0]
	needle := strings.ToLower(f)
	for i, it := range l.items {
		if strings.Contains(strings.ToLower(it.label), needle) {
			l.shown = append(l.shown, i)
		}
	}
	l.cursor = 0
}

// selected is the index into items of the row the cursor is on; false when the filter hides
// every row.
func (l *choiceList) selected() (int, bool) {
	if l.cursor < 0 || l.cursor >= len(l.shown) {
		return 0, false
	}
	return l.shown[l.cursor], true
}

// listArrows is the up and down keys of a filterable list: letters there are filter text.
var listArrows = key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move"))

// update moves the cursor or edits the filter, and reports whether it used the key. A
// filterable list moves on the arrow keys only, since k and j are letters of the filter.
func (l *choiceList) update(msg tea.KeyPressMsg, k KeyMap) bool {
	up, down := key.Matches(msg, k.Up), key.Matches(msg, k.Down)
	if l.filterable {
		up, down = msg.String() == "up", msg.String() == "down"
	}
	switch {
	case up:
		l.cursor = max(l.cursor-1, 0)
	case down:
		l.cursor = max(min(l.cursor+1, len(l.shown)-1), 0)
	case msg.String() == "home":
		l.cursor = 0
	case msg.String() == "end":
		l.cursor = max(len(l.shown)-1, 0)
	case l.filterable && msg.Code == tea.KeyBackspace:
		if r := []rune(l.filter); len(r) > 0 {
			l.setFilter(string(r[:len(r)-1]))
		}
	case l.filterable && printable(msg):
		l.setFilter(l.filter + msg.Text)
	default:
		return false
	}
	return true
}

// printable is whether a key press types text (not a control key or a shortcut).
func printable(msg tea.KeyPressMsg) bool {
	if msg.Text == "" || msg.Mod&(tea.ModCtrl|tea.ModAlt|tea.ModSuper) != 0 {
		return false
	}
	for _, r := range msg.Text {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// view draws at most height rows of the list, each at most width columns: a window around
// the cursor, with a line above and below saying how many rows it hides.
func (l *choiceList) view(s *Styles, width, height int) string {
	width, height = max(width, 4), max(height, 1)
	if len(l.shown) == 0 {
		if l.filter != "" {
			return s.Subtle.Render(ansi.Truncate("No matches", width, "…"))
		}
		return ""
	}
	n := len(l.shown)
	start, end := 0, n
	if n > height && height < 3 {
		start = min(max(l.cursor-height/2, 0), n-height)
		end = start + height
	} else if n > height {
		// A line says how many rows are hidden above or below; it shows only when some are.
		mid := height - 2
		switch s0 := l.cursor - mid/2; {
		case s0 <= 0:
			start, end = 0, height-1
		case s0+mid >= n:
			start, end = n-height+1, n
		default:
			start, end = s0, s0+mid
		}
	}
	var lines []string
	if start > 0 && height >= 3 {
		lines = append(lines, l.more(s, width, "↑", start))
	}
	for i := start; i < end; i++ {
		lines = append(lines, l.row(s, width, l.items[l.shown[i]], i == l.cursor))
	}
	if end < n && height >= 3 {
		lines = append(lines, l.more(s, width, "↓", n-end))
	}
	return strings.Join(lines, "\n")
}

func (l *choiceList) more(s *Styles, width int, arrow string, hidden int) string {
	return s.Subtle.Render(ansi.Truncate(fmt.Sprintf("  %s %d more", arrow, hidden), width, "…"))
}

// row is one choice: the cursor's row marked and in the accent colour, its note after it.
func (l *choiceList) row(s *Styles, width int, it listItem, current bool) string {
	avail := width - 2
	label := ansi.Truncate(it.label, avail, "…")
	note := ""
	if rest := avail - ansi.StringWidth(label); it.note != "" && rest > 4 {
		note = s.Subtle.Render(ansi.Truncate(" — "+it.note, rest, "…"))
	}
	if current {
		return s.ItemSelected.Render("› "+label) + note
	}
	return s.Item.Render(label) + note
}

// filterView is the filter as a text field at most width columns wide.
func (l *choiceList) filterView(s *Styles, width int) string {
	w := min(max(width, 10), 48)
	inner := w - 4 // the border and the padding
	cursor := s.Key.Render("▏")
	if l.filter == "" {
		return s.Panel.Width(w).Render(cursor + s.Subtle.Render(ansi.Truncate("Type to filter the list", inner-1, "…")))
	}
	// A long filter shows its end: that is where the person types.
	f := l.filter
	if over := ansi.StringWidth(f) - (inner - 1); over > 0 {
		f = ansi.TruncateLeft(f, over+1, "…")
	}
	return s.Panel.Width(w).Render(s.Body.Render(f) + cursor)
}

// renderButtons draws a row of buttons side by side, the focused one highlighted.
func renderButtons(s *Styles, labels []string, focus int) string {
	var bs []string
	for i, l := range labels {
		if i > 0 {
			bs = append(bs, " ")
		}
		st := s.Button
		if i == focus {
			st = s.ButtonFocus
		}
		bs = append(bs, st.Render(l))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, bs...)
}

// setupHeading is a setup screen's question and the sentence under it, wrapped to width.
func setupHeading(c *Common, title, sub string) string {
	w := max(c.Width, 1)
	out := "\n" + c.Styles.Title.Width(w).Render(title) // a line between the header and the question
	if sub != "" {
		out += "\n" + c.Styles.Subtitle.Width(w).Render(sub)
	}
	return out
}

// fitText wraps text in style to the screen's width.
func fitText(c *Common, st lipgloss.Style, text string) string {
	return st.Width(max(c.Width, 1)).Render(text)
}

// stack joins a screen's parts top to bottom; an empty part is a blank line.
func stack(parts ...string) string {
	return strings.Join(parts, "\n")
}

// rebind is b with other help text (the same keys say "connect" on one screen and
// "select" on another).
func rebind(b key.Binding, keys, desc string) key.Binding {
	b.SetHelp(keys, desc)
	return b
}
