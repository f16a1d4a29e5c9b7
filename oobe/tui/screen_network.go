package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/oobe"
)

// networkScreen asks "Let's connect you to a network": the wired and Wi-Fi networks on
// offer, and a passphrase field for a secured Wi-Fi network. Esc goes back to the second
// keyboard (from the field: to the list).
type networkScreen struct {
	c        *Common
	ask      *Ask
	networks []oobe.Network
	list     choiceList
	// joining is the secured network whose passphrase is being typed, or -1.
	joining int
	input   textinput.Model
	// warning is the flow's last warning ("Can't connect to this network", or the network
	// refusing the key in Windows' words: oobe.ErrWrongNetworkKey), and tried the network it
	// was about.
	warning, tried string
	// connecting is the network answered, while the flow connects to it.
	connecting string
}

func newNetworkScreen(c *Common) screen {
	in := textinput.New()
	in.Prompt = ""
	in.EchoMode = textinput.EchoPassword
	in.EchoCharacter = '•'
	in.Placeholder = "Network security key"
	if c.Styles != nil {
		in.SetStyles(inputStyles(c.Styles)) // a steady cursor: no blink commands
	}
	return &networkScreen{c: c, list: newChoiceList(nil, false), joining: -1, input: in}
}

// networkItems are the list's rows: the wired network says so, Wi-Fi its security.
func networkItems(ns []oobe.Network) []listItem {
	out := make([]listItem, len(ns))
	for i, n := range ns {
		out[i] = listItem{label: n.Name, note: networkNote(n)}
	}
	return out
}

func networkNote(n oobe.Network) string {
	switch {
	case n.Wired:
		return "connected by cable"
	case !n.Secured():
		return "Wi-Fi, open"
	}
	return "Wi-Fi, secured (" + securityName(n.Security) + ")"
}

// securityName is how Windows names a Wi-Fi security type.
func securityName(sec string) string {
	switch sec {
	case backup.WiFiWPA2Personal:
		return "WPA2-Personal"
	case backup.WiFiWPA3Personal:
		return "WPA3-Personal"
	case backup.WiFiWPA2Enterprise:
		return "WPA2-Enterprise"
	case backup.WiFiWPA3Enterprise:
		return "WPA3-Enterprise"
	}
	return sec
}

func (s *networkScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		e := msg.event
		switch {
		case e.Kind == oobe.EventEnter:
			s.warning, s.tried, s.connecting = "", "", ""
			if ns, ok := e.Detail.([]oobe.Network); ok && s.ask == nil {
				s.setNetworks(ns)
			}
		case e.Kind == oobe.EventWarning:
			s.warning, s.connecting = e.Text, ""
		}
	case askMsg:
		s.ask = msg.ask
		s.setNetworks(msg.ask.Networks)
		s.connecting = ""
	case tea.KeyPressMsg:
		if s.ask == nil {
			return nil
		}
		if s.joining >= 0 {
			return s.passphraseKey(msg)
		}
		k := s.c.Keys
		switch {
		case key.Matches(msg, k.Select):
			i, ok := s.list.selected()
			if !ok {
				return nil
			}
			if n := s.networks[i]; n.Secured() {
				s.joining = i
				s.input.Reset()
				return s.input.Focus()
			}
			return s.answer(i, "")
		case key.Matches(msg, k.Back):
			a := s.ask
			s.ask = nil
			return answer(a, Answer{Back: true})
		default:
			s.list.update(msg, k)
		}
	default:
		if s.joining >= 0 {
			var cmd tea.Cmd
			s.input, cmd = s.input.Update(msg) // paste results
			return cmd
		}
	}
	return nil
}

func (s *networkScreen) setNetworks(ns []oobe.Network) {
	s.networks = ns
	s.list.reset(networkItems(ns))
	s.joining = -1
	s.input.Reset()
	s.input.Blur()
}

// passphraseKey handles a key while the passphrase field has focus. An empty passphrase is
// answered too: the flow says it can't connect and asks again.
func (s *networkScreen) passphraseKey(msg tea.KeyPressMsg) tea.Cmd {
	k := s.c.Keys
	switch {
	case key.Matches(msg, k.Select):
		// The flow joins and the network checks the key (oobe.Config.JoinNetwork).
		return s.answer(s.joining, s.input.Value())
	case key.Matches(msg, k.Back):
		s.joining = -1
		s.input.Reset()
		s.input.Blur()
		return nil
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

func (s *networkScreen) answer(i int, pass string) tea.Cmd {
	n := s.networks[i]
	a := s.ask
	s.ask = nil
	s.joining = -1
	s.input.Reset()
	s.input.Blur()
	s.warning, s.tried, s.connecting = "", n.Name, n.Name
	return answer(a, Answer{Network: n, Passphrase: pass})
}

// typing: the passphrase field takes '?' and 'q' as text.
func (s *networkScreen) typing() bool { return s.joining >= 0 }

func (s *networkScreen) view() string {
	c := s.c
	st := c.Styles
	head := setupHeading(c, oobe.StageNetwork.Title(), "You'll need an internet connection to continue setting up your device.")
	parts := []string{head, ""}
	if s.warning != "" {
		parts = append(parts, fitText(c, st.Warning, "! "+s.warning))
		if s.tried != "" {
			parts = append(parts, fitText(c, st.Subtle, "Enter the network security key for "+s.tried+" and try again."))
		}
		parts = append(parts, "")
	}
	if s.joining >= 0 {
		n := s.networks[s.joining]
		w := min(max(c.Width, 10), 48)
		in := s.input
		in.SetStyles(inputStyles(st))
		in.SetWidth(w - 5) // the border, the padding and the cursor
		parts = append(parts,
			fitText(c, st.Body, "Enter the network security key for "+n.Name),
			st.Panel.Width(w).Render(in.View()),
			fitText(c, st.Subtle, networkNote(n)))
		return stack(parts...)
	}
	foot := ""
	if s.connecting != "" {
		foot = fitText(c, st.Subtle, fmt.Sprintf("Connecting to %s…", s.connecting))
	}
	used := lipgloss.Height(stack(parts...)) + 1
	if foot != "" {
		used += lipgloss.Height(foot) + 1
	}
	parts = append(parts, s.list.view(st, c.Width, c.Height-used))
	if foot != "" {
		parts = append(parts, "", foot)
	}
	return stack(parts...)
}

// inputStyles are a text field's styles from the UI's.
func inputStyles(st *Styles) textinput.Styles {
	ts := textinput.DefaultStyles(st.Dark)
	ts.Focused.Text, ts.Blurred.Text = st.Body, st.Subtle
	ts.Focused.Placeholder, ts.Blurred.Placeholder = st.Subtle, st.Subtle
	ts.Focused.Prompt, ts.Blurred.Prompt = st.Key, st.Subtle
	ts.Cursor.Color = st.Palette.Accent
	ts.Cursor.Blink = false
	return ts
}

func (s *networkScreen) help() []key.Binding {
	k := s.c.Keys
	if s.joining >= 0 {
		return []key.Binding{rebind(k.Select, "enter", "connect"), rebind(k.Back, "esc", "other networks")}
	}
	return []key.Binding{upDown(k), rebind(k.Select, "enter", "connect"), k.Back}
}

func (s *networkScreen) fullHelp() [][]key.Binding {
	k := s.c.Keys
	if s.joining >= 0 {
		return [][]key.Binding{{rebind(k.Select, "enter", "connect"), rebind(k.Back, "esc", "other networks")}}
	}
	return [][]key.Binding{{k.Up, k.Down, listHome, listEnd}, {rebind(k.Select, "enter", "connect"), k.Back}}
}
