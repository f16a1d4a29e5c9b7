package restore

import (
	"fmt"
	"slices"

	"github.com/oobe-dev/oobe/restore/profile"
)

// ParseRestorePage checks a restore page state: enabled, disabled or notConfigured.
func ParseRestorePage(s string) (string, error) {
	states := []string{RestorePageEnabled, RestorePageDisabled, RestorePageNotConfigured}
	if slices.Contains(states, s) {
		return s, nil
	}
	return "", fmt.Errorf("%s", profile.UnknownValue("restore page state", s, states))
}
