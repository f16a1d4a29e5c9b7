package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette is every colour the UI uses, by what it means. The terminal's colour profile
// (NO_COLOR, --no-color, 256 colours, …) downsamples them when the program renders.
type Palette struct {
	Text     color.Color // body text
	Subtle   color.Color // secondary text, hints, dates
	Accent   color.Color // Windows blue: titles, the focused choice, the device code
	OnAccent color.Color // text on an accent background
	Border   color.Color
	Success  color.Color // Complete, restored
	Warning  color.Color // skipped, kept by policy, not eligible
	Danger   color.Color // failed, errors
}

func palette(dark bool) Palette {
	ld := lipgloss.LightDark(dark)
	return Palette{
		Text:     ld(lipgloss.Color("#1B1B1B"), lipgloss.Color("#F3F3F3")),
		Subtle:   ld(lipgloss.Color("#5C5C5C"), lipgloss.Color("#A0A0A0")),
		Accent:   ld(lipgloss.Color("#005FB8"), lipgloss.Color("#60CDFF")),
		OnAccent: ld(lipgloss.Color("#FFFFFF"), lipgloss.Color("#000000")),
		Border:   ld(lipgloss.Color("#C4C4C4"), lipgloss.Color("#4A4A4A")),
		Success:  ld(lipgloss.Color("#0F7B0F"), lipgloss.Color("#6CCB5F")),
		Warning:  ld(lipgloss.Color("#9D5D00"), lipgloss.Color("#FCE100")),
		Danger:   ld(lipgloss.Color("#C42B1C"), lipgloss.Color("#FF99A4")),
	}
}

// Styles are all the styles of the UI, by role. Screens never make colours of their own.
type Styles struct {
	Dark    bool
	Palette Palette

	App      lipgloss.Style // the whole window
	Header   lipgloss.Style // the top line: tenant and step
	Title    lipgloss.Style // a screen's question, in Windows' words
	Subtitle lipgloss.Style // the sentence under it
	Body     lipgloss.Style
	Subtle   lipgloss.Style
	Panel    lipgloss.Style // a bordered box (details, the device code)

	Item         lipgloss.Style // a choice in a list
	ItemSelected lipgloss.Style // the choice the cursor is on
	Button       lipgloss.Style
	ButtonFocus  lipgloss.Style

	Code lipgloss.Style // the device code, large and easy to read
	Link lipgloss.Style // a URL
	Key  lipgloss.Style // a key name in running text

	Success lipgloss.Style
	Warning lipgloss.Style
	Danger  lipgloss.Style

	ProgressFull  lipgloss.Style
	ProgressEmpty lipgloss.Style

	Footer lipgloss.Style // the help line
	Badge  lipgloss.Style // the header's DEMO badge under --demo
	Notice lipgloss.Style // "make the window larger", the quit confirmation
}

// NewStyles returns the styles for a dark or light terminal background.
func NewStyles(dark bool) *Styles {
	p := palette(dark)
	s := &Styles{Dark: dark, Palette: p}
	s.App = lipgloss.NewStyle().Foreground(p.Text).Padding(0, 2)
	s.Header = lipgloss.NewStyle().Foreground(p.Subtle)
	s.Title = lipgloss.NewStyle().Foreground(p.Text).Bold(true)
	s.Subtitle = lipgloss.NewStyle().Foreground(p.Subtle)
	s.Body = lipgloss.NewStyle().Foreground(p.Text)
	s.Subtle = lipgloss.NewStyle().Foreground(p.Subtle)
	s.Panel = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(p.Border).Padding(0, 1)
	s.Item = lipgloss.NewStyle().Foreground(p.Text).PaddingLeft(2)
	s.ItemSelected = lipgloss.NewStyle().Foreground(p.Accent).Bold(true).PaddingLeft(0)
	s.Button = lipgloss.NewStyle().Foreground(p.Text).Border(lipgloss.NormalBorder()).BorderForeground(p.Border).Padding(0, 2)
	s.ButtonFocus = lipgloss.NewStyle().Foreground(p.Accent).Bold(true).Border(lipgloss.ThickBorder()).BorderForeground(p.Accent).Padding(0, 2)
	s.Code = lipgloss.NewStyle().Foreground(p.Accent).Bold(true)
	s.Link = lipgloss.NewStyle().Foreground(p.Accent).Underline(true)
	s.Key = lipgloss.NewStyle().Foreground(p.Accent)
	s.Success = lipgloss.NewStyle().Foreground(p.Success)
	s.Warning = lipgloss.NewStyle().Foreground(p.Warning)
	s.Danger = lipgloss.NewStyle().Foreground(p.Danger).Bold(true)
	s.ProgressFull = lipgloss.NewStyle().Foreground(p.Accent)
	s.ProgressEmpty = lipgloss.NewStyle().Foreground(p.Border)
	s.Footer = lipgloss.NewStyle().Foreground(p.Subtle)
	s.Badge = lipgloss.NewStyle().Foreground(p.OnAccent).Background(p.Accent).Bold(true).Padding(0, 1)
	s.Notice = lipgloss.NewStyle().Foreground(p.Text).Border(lipgloss.RoundedBorder()).BorderForeground(p.Accent).Padding(1, 2)
	return s
}
