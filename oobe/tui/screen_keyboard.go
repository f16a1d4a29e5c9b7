package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// keyboardScreen asks "Is this the right keyboard layout or input method?"; Esc goes back to
// the region.
type keyboardScreen struct {
	c    *Common
	ask  *Ask
	list choiceList
}

func newKeyboardScreen(c *Common) screen {
	return &keyboardScreen{c: c, list: newChoiceList(nil, false)}
}

func (s *keyboardScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		if opts, ok := msg.event.Detail.([]string); ok && msg.event.Kind == oobe.EventEnter && s.ask == nil {
			s.list.reset(stringItems(opts))
		}
	case askMsg:
		s.ask = msg.ask
		s.list.reset(stringItems(msg.ask.Options))
	case tea.KeyPressMsg:
		k := s.c.Keys
		switch {
		case s.ask == nil:
		case key.Matches(msg, k.Select):
			if i, ok := s.list.selected(); ok {
				return s.answer(Answer{Text: s.list.items[i].label})
			}
		case key.Matches(msg, k.Back):
			return s.answer(Answer{Back: true})
		default:
			s.list.update(msg, k)
		}
	}
	return nil
}

func (s *keyboardScreen) answer(ans Answer) tea.Cmd {
	a := s.ask
	s.ask = nil
	return answer(a, ans)
}

func (s *keyboardScreen) view() string {
	c := s.c
	head := setupHeading(c, oobe.StageKeyboard.Title(), "If you also use another keyboard layout, you can add that next.")
	used := lipgloss.Height(head) + 1
	return stack(head, "", s.list.view(c.Styles, c.Width, c.Height-used))
}

func (s *keyboardScreen) help() []key.Binding {
	k := s.c.Keys
	return []key.Binding{upDown(k), k.Select, k.Back}
}

func (s *keyboardScreen) fullHelp() [][]key.Binding {
	k := s.c.Keys
	return [][]key.Binding{{k.Up, k.Down, listHome, listEnd}, {k.Select, k.Back}}
}

// upDown is the list's two movement keys as one help entry.
func upDown(k KeyMap) key.Binding {
	return key.NewBinding(key.WithKeys(append(k.Up.Keys(), k.Down.Keys()...)...), key.WithHelp("↑/↓", "move"))
}

// secondKeyboardScreen asks "Want to add a second keyboard layout?": [Add layout] [Skip],
// focus on Skip; Add layout shows the layouts. Esc on the buttons goes back.
type secondKeyboardScreen struct {
	c      *Common
	ask    *Ask
	adding bool // the list of layouts is showing
	focus  int  // 0 Add layout, 1 Skip
	list   choiceList
}

const (
	buttonAddLayout = iota
	buttonSkip
)

func newSecondKeyboardScreen(c *Common) screen {
	return &secondKeyboardScreen{c: c, focus: buttonSkip, list: newChoiceList(nil, false)}
}

func (s *secondKeyboardScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		if opts, ok := msg.event.Detail.([]string); ok && msg.event.Kind == oobe.EventEnter && s.ask == nil {
			s.list.reset(stringItems(opts))
			s.adding, s.focus = false, buttonSkip
		}
	case askMsg:
		s.ask = msg.ask
		s.list.reset(stringItems(msg.ask.Options))
		s.adding, s.focus = false, buttonSkip
	case tea.KeyPressMsg:
		if s.ask == nil {
			return nil
		}
		k := s.c.Keys
		if key.Matches(msg, k.Skip) {
			return s.answer(Answer{Text: ""})
		}
		if s.adding {
			switch {
			case key.Matches(msg, k.Select):
				if i, ok := s.list.selected(); ok {
					return s.answer(Answer{Text: s.list.items[i].label})
				}
			case key.Matches(msg, k.Back):
				s.adding = false
			default:
				s.list.update(msg, k)
			}
			return nil
		}
		switch {
		case key.Matches(msg, k.Left):
			s.focus = buttonAddLayout
		case key.Matches(msg, k.Right):
			s.focus = buttonSkip
		case key.Matches(msg, k.Next):
			s.focus = 1 - s.focus
		case key.Matches(msg, k.Select) && s.focus == buttonSkip:
			return s.answer(Answer{Text: ""})
		case key.Matches(msg, k.Select):
			s.adding = true
			s.list.reset(s.list.items)
		case key.Matches(msg, k.Back):
			return s.answer(Answer{Back: true})
		}
	}
	return nil
}

func (s *secondKeyboardScreen) answer(ans Answer) tea.Cmd {
	a := s.ask
	s.ask = nil
	return answer(a, ans)
}

func (s *secondKeyboardScreen) view() string {
	c := s.c
	title := oobe.StageSecondKeyboard.Title()
	if s.adding {
		head := setupHeading(c, title, "Choose the layout to add.")
		used := lipgloss.Height(head) + 1
		return stack(head, "", s.list.view(c.Styles, c.Width, c.Height-used))
	}
	head := setupHeading(c, title, "You can add another layout if you type in more than one language.")
	return stack(head, "", renderButtons(c.Styles, []string{"Add layout", "Skip"}, s.focus))
}

func (s *secondKeyboardScreen) help() []key.Binding {
	k := s.c.Keys
	if s.adding {
		return []key.Binding{upDown(k), rebind(k.Select, "enter", "add"), rebind(k.Back, "esc", "back to the buttons")}
	}
	return []key.Binding{leftRight(k), k.Select, k.Back}
}

func (s *secondKeyboardScreen) fullHelp() [][]key.Binding {
	k := s.c.Keys
	if s.adding {
		return [][]key.Binding{{k.Up, k.Down, listHome, listEnd}, {rebind(k.Select, "enter", "add"), rebind(k.Back, "esc", "back to the buttons"), k.Skip}}
	}
	return [][]key.Binding{{k.Left, k.Right, k.Next}, {k.Select, k.Skip, k.Back}}
}

// leftRight is the buttons' two movement keys as one help entry.
func leftRight(k KeyMap) key.Binding {
	return key.NewBinding(key.WithKeys(append(k.Left.Keys(), k.Right.Keys()...)...), key.WithHelp("←/→", "choose"))
}
