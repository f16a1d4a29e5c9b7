package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// regionScreen asks "Is this the right country or region?": the offered regions as a list
// the person narrows by typing.
type regionScreen struct {
	c    *Common
	ask  *Ask
	list choiceList
}

func newRegionScreen(c *Common) screen {
	return &regionScreen{c: c, list: newChoiceList(nil, true)}
}

func (r *regionScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case eventMsg:
		// The stage's enter event lists what it offers: show it until the question comes.
		if opts, ok := msg.event.Detail.([]string); ok && msg.event.Kind == oobe.EventEnter && r.ask == nil {
			r.list.reset(stringItems(opts))
		}
	case askMsg:
		r.ask = msg.ask
		r.list.reset(stringItems(msg.ask.Options))
	case tea.KeyPressMsg:
		k := r.c.Keys
		switch {
		case key.Matches(msg, k.Select):
			i, ok := r.list.selected()
			if !ok || r.ask == nil {
				return nil
			}
			a := r.ask
			r.ask = nil
			return answer(a, Answer{Text: r.list.items[i].label})
		case key.Matches(msg, k.Back):
			r.list.setFilter("")
		default:
			r.list.update(msg, k)
		}
	}
	return nil
}

// typing: once the person has started a filter, '?' and 'q' are part of it.
func (r *regionScreen) typing() bool { return r.list.filter != "" }

func (r *regionScreen) view() string {
	c := r.c
	head := setupHeading(c, oobe.StageRegion.Title(), "Type to filter the list, then press Enter.")
	field := r.list.filterView(c.Styles, c.Width)
	used := lipgloss.Height(head) + 1 + lipgloss.Height(field) + 1
	return stack(head, "", field, "", r.list.view(c.Styles, c.Width, c.Height-used))
}

func (r *regionScreen) help() []key.Binding {
	k := r.c.Keys
	if r.list.filter != "" {
		return []key.Binding{listArrows, k.Select, rebind(k.Back, "esc", "clear filter")}
	}
	return []key.Binding{listArrows, k.Select, listTypeToFilter}
}

func (r *regionScreen) fullHelp() [][]key.Binding {
	k := r.c.Keys
	return [][]key.Binding{
		{listArrows, listHome, listEnd},
		{listTypeToFilter, listBackspace, rebind(k.Back, "esc", "clear filter")},
		{k.Select},
	}
}

// Help entries of a list (listTypeToFilter has a key only so the help shows it).
var (
	listTypeToFilter = key.NewBinding(key.WithKeys("type"), key.WithHelp("type", "filter"))
	listBackspace    = key.NewBinding(key.WithKeys("backspace"), key.WithHelp("backspace", "delete a letter"))
	listHome         = key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first"))
	listEnd          = key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last"))
)
