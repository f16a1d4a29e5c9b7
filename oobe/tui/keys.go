package tui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the UI answers to. Screens pick the ones they use for the help footer.
type KeyMap struct {
	Up, Down        key.Binding
	Left, Right     key.Binding // buttons side by side
	Next            key.Binding // Tab between a list and its buttons
	Select          key.Binding // Enter: Yes, Next, the focused button
	Back            key.Binding // Esc, where Windows has a Back button
	Skip            key.Binding // the second keyboard's Skip
	Browser         key.Binding // sign in with a browser instead
	DeviceCode      key.Binding // sign in with a code on another device instead
	OpenPage        key.Binding // open the verification page in a browser
	Approve         key.Binding // the presenter's key: approve the code as the demo user
	Details         key.Binding // show or hide details (ESP, restore page)
	CollectLogs     key.Binding
	Help            key.Binding
	Quit            key.Binding // Ctrl+C
	Exit            key.Binding // q on the last screen
	Confirm, Cancel key.Binding // the quit confirmation
	// The presenter's keys under --demo: pause and resume, one screen at a time, from the
	// start with a fresh world, and the pace.
	Pause, Step, Restart key.Binding
	Faster, Slower       key.Binding
}

// DefaultKeyMap is the UI's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Left:        key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "left")),
		Right:       key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "right")),
		Next:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next")),
		Select:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "select")),
		Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Skip:        key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "skip")),
		Browser:     key.NewBinding(key.WithKeys("ctrl+b"), key.WithHelp("ctrl+b", "use a browser")),
		DeviceCode:  key.NewBinding(key.WithKeys("ctrl+e"), key.WithHelp("ctrl+e", "use a code")),
		OpenPage:    key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "open the page")),
		Approve:     key.NewBinding(key.WithKeys("ctrl+a"), key.WithHelp("ctrl+a", "approve as demo user")),
		Details:     key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "details")),
		CollectLogs: key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "collect logs")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Quit:        key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Exit:        key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "exit")),
		Confirm:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, quit")),
		Cancel:      key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no, keep going")),
		Pause:       key.NewBinding(key.WithKeys("space", "p"), key.WithHelp("space", "pause")),
		Step:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "step")),
		Restart:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restart")),
		Faster:      key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "faster")),
		Slower:      key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "slower")),
	}
}
