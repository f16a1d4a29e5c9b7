package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Temporary: replaced by the setup screens (region … sign-in).

func newRegionScreen(c *Common) screen         { return &placeholderA{c: c, name: "region"} }
func newKeyboardScreen(c *Common) screen       { return &placeholderA{c: c, name: "keyboard"} }
func newSecondKeyboardScreen(c *Common) screen { return &placeholderA{c: c, name: "second keyboard"} }
func newNetworkScreen(c *Common) screen        { return &placeholderA{c: c, name: "network"} }
func newUpdateCheckScreen(c *Common) screen    { return &placeholderA{c: c, name: "update check"} }
func newProfileScreen(c *Common) screen        { return &placeholderA{c: c, name: "profile"} }
func newSignInScreen(c *Common) screen         { return &placeholderA{c: c, name: "sign-in"} }

type placeholderA struct {
	c    *Common
	name string
}

func (p *placeholderA) update(tea.Msg) tea.Cmd    { return nil }
func (p *placeholderA) view() string              { return p.name }
func (p *placeholderA) help() []key.Binding       { return nil }
func (p *placeholderA) fullHelp() [][]key.Binding { return nil }
