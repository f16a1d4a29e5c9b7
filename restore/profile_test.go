package restore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/restore/profile"
)

const fixtureDir = "../fixtures/devices"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTheExampleProfilesParseAndJudgeAsTheirCommentsSay(t *testing.T) {
	cases := []struct {
		file    string
		reasons []string
		notes   []string
	}{
		{"entra-user-driven.yaml", nil, nil},
		{"old-build-quality-updates.yaml", nil, []string{NoteQualityUpdateRequired}},
		{"hybrid-windows10.yaml", []string{ReasonWindowsTooOld, ReasonNotEntraJoined, ReasonProvisioningUnsupported}, nil},
		// IoT Enterprise is not an excluded SKU (domain.md §7.2), so the kiosk fails on the rest only.
		{"shared-kiosk.yaml", []string{ReasonProvisioningUnsupported, ReasonSharedDevice, ReasonSovereignCloud}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			d, err := profile.Parse(tc.file, readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			e := mustEvaluate(t, Input{Device: d, RestorePage: new(RestorePageEnabled)})
			if got := strings.Join(reasonIDs(e.Reasons), ","); got != strings.Join(tc.reasons, ",") {
				t.Errorf("reasons = %s, want %s", got, strings.Join(tc.reasons, ","))
			}
			if got := strings.Join(reasonIDs(e.Notes), ","); got != strings.Join(tc.notes, ",") {
				t.Errorf("notes = %s, want %s", got, strings.Join(tc.notes, ","))
			}
		})
	}
}
