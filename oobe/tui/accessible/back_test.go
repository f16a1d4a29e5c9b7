package accessible_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/oobe"
)

func TestBackTypedWhileTheCodeWaitsGoesBackToTheWaysToSignIn(t *testing.T) {
	w := newWorld(t)
	w.withApproval(0)
	// Region, keyboard, no second keyboard, Ethernet, the code; back; the browser; a new PC.
	out, err := w.run(t, "1", "1", "1", "1", "1", "back", "2", "3")
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, w.out.String())
	}
	if out.FinalStage != oobe.StageDesktop || len(w.approved) != 0 {
		t.Fatalf("final stage %s, approved %q\n%s", out.FinalStage, w.approved, w.out.String())
	}
	got := choices(out)
	i := slices.Index(got, "Back to the ways to sign in")
	if i < 1 || got[i-1] != "Sign-in method: device code" || i+1 >= len(got) || got[i+1] != "Sign-in method: browser" {
		t.Fatalf("choices %q: want the code, Back, then the browser", got)
	}
	if said := w.out.String(); !strings.Contains(said, "Type back to sign in another way.") || strings.Count(said, "How do you want to sign in?") != 2 {
		t.Errorf("the output does not offer back, or does not ask the way again:\n%s", said)
	}
}
