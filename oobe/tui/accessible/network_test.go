package accessible_test

import (
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/oobe"
)

func TestAWrongWiFiKeyIsReadOutInWindowsWordsAndTheNetworkAskedAgain(t *testing.T) {
	w := newWorld(t)
	w.cfg.JoinNetwork = func(n oobe.Network, pass string) error {
		if n.Name == "CONTOSO-GUEST" && pass != passphrase {
			return oobe.ErrWrongNetworkKey
		}
		return nil
	}
	// Region, keyboard, no second keyboard; the guest Wi-Fi with a wrong key, then the right
	// one; the code; a new PC.
	out, err := w.run(t, "1", "1", "1", "2", "not-the-key", "2", passphrase, "1", "3")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, w.out.String())
	}
	if out.FinalStage != oobe.StageDesktop {
		t.Fatalf("final stage %s: %s\n%s", out.FinalStage, out.Error, w.out.String())
	}
	said := w.out.String()
	if !strings.Contains(said, "The network security key isn't correct. Please try again.") || strings.Count(said, "Passphrase for CONTOSO-GUEST") != 2 {
		t.Errorf("the refusal is not read out, or the key not asked again:\n%s", said)
	}
	if strings.Contains(said, "not-the-key") || strings.Contains(said, passphrase) {
		t.Errorf("a key is read out:\n%s", said)
	}
}
