package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Temporary: replaced by the screens from enrollment to the desktop.

func newEnrollmentScreen(c *Common) screen     { return &placeholderB{c: c, name: "enrollment"} }
func newEligibilityScreen(c *Common) screen    { return &placeholderB{c: c, name: "eligibility"} }
func newRestorePageScreen(c *Common) screen    { return &placeholderB{c: c, name: "restore page"} }
func newESPScreen(c *Common) screen            { return &placeholderB{c: c, name: "esp"} }
func newQualityUpdatesScreen(c *Common) screen { return &placeholderB{c: c, name: "quality updates"} }
func newRestoreApplyScreen(c *Common) screen   { return &placeholderB{c: c, name: "restore apply"} }
func newDesktopScreen(c *Common) screen        { return &placeholderB{c: c, name: "desktop"} }
func newFailedScreen(c *Common) screen         { return &placeholderB{c: c, name: "failed"} }

type placeholderB struct {
	c    *Common
	name string
}

func (p *placeholderB) update(tea.Msg) tea.Cmd    { return nil }
func (p *placeholderB) view() string              { return p.name }
func (p *placeholderB) help() []key.Binding       { return nil }
func (p *placeholderB) fullHelp() [][]key.Binding { return nil }
