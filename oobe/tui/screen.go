package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/oobe"
)

// screen draws one stage of the flow. Screens are plain components: the root model hands
// them its messages, they keep their own state and draw a body no wider or taller than the
// Common's Width and Height. Any effect is a command they return.
type screen interface {
	// update handles a key press, the flow's question for this stage (askMsg) or the result
	// of a command the screen started.
	update(msg tea.Msg) tea.Cmd
	view() string
	// help is the short help for the footer; fullHelp the columns shown with '?'.
	help() []key.Binding
	fullHelp() [][]key.Binding
}

// holder is a screen that stays up after the flow moves on, until the person dismisses it,
// the flow asks something or the first sign-in after setup begins (the not-eligible
// explanations).
type holder interface {
	holding() bool
}

// newScreens makes a screen for each stage of the flow.
func newScreens(c *Common) map[oobe.Stage]screen {
	return map[oobe.Stage]screen{
		oobe.StageRegion:           newRegionScreen(c),
		oobe.StageKeyboard:         newKeyboardScreen(c),
		oobe.StageSecondKeyboard:   newSecondKeyboardScreen(c),
		oobe.StageNetwork:          newNetworkScreen(c),
		oobe.StageUpdateCheck:      newUpdateCheckScreen(c),
		oobe.StageAutopilotProfile: newProfileScreen(c),
		oobe.StageSignIn:           newSignInScreen(c),
		oobe.StageEnrollment:       newEnrollmentScreen(c),
		oobe.StageEligibility:      newEligibilityScreen(c),
		oobe.StageRestorePage:      newRestorePageScreen(c, oobe.StageRestorePage),
		oobe.StageESP:              newESPScreen(c),
		oobe.StageQualityUpdates:   newQualityUpdatesScreen(c),
		oobe.StageRestoreApply:     newRestoreApplyScreen(c, oobe.StageRestoreApply),
		oobe.StageDesktop:          newDesktopScreen(c),
		oobe.StageFailed:           newFailedScreen(c),
		// The user's first sign-in after setup: the check, the same restore page, the restore.
		oobe.StageFirstSignIn:            newFirstSignInScreen(c),
		oobe.StageFirstSignInRestorePage: newRestorePageScreen(c, oobe.StageFirstSignInRestorePage),
		oobe.StageFirstSignInRestore:     newRestoreApplyScreen(c, oobe.StageFirstSignInRestore),
	}
}
