package oobe

import (
	"context"
	"strings"
	"testing"
)

// typingPerson is fakePerson typing keys at the network, one a try.
type typingPerson struct {
	*fakePerson
	keys []string
	n    int
}

func (p *typingPerson) Network(_ context.Context, _ []Network) (Network, string, error) {
	k := p.keys[min(p.n, len(p.keys)-1)]
	p.n++
	return Network{Name: p.network}, k, nil
}

// keyedWorld is a world whose CONTOSO-GUEST takes secretPassphrase only, and a person who
// types keys there, one a try.
func keyedWorld(t *testing.T, keys ...string) (*world, *[]string) {
	t.Helper()
	w := newWorld(t)
	w.person.network = "CONTOSO-GUEST"
	var tried []string
	w.cfg.JoinNetwork = func(n Network, pass string) error {
		tried = append(tried, pass)
		if n.Name == "CONTOSO-GUEST" && pass != secretPassphrase {
			return ErrWrongNetworkKey
		}
		return nil
	}
	w.cfg.Person = &typingPerson{fakePerson: w.person, keys: keys}
	return w, &tried
}

func TestAWrongKeyIsRefusedInWindowsWordsAndAskedAgain(t *testing.T) {
	w, tried := keyedWorld(t, "not-it", secretPassphrase)
	out := w.run(t)
	if out.FinalStage != StageDesktop {
		t.Fatalf("final stage %s: %s", out.FinalStage, out.Error)
	}
	if len(*tried) != 2 {
		t.Fatalf("the network was tried with %d keys, want 2", len(*tried))
	}
	e, ok := find(out, EventWarning, "The network security key isn't correct. Please try again.")
	if !ok || e.Stage != StageNetwork {
		t.Fatalf("no refusal in Windows' words at the network: %+v", e)
	}
	for _, ev := range out.Transcript {
		if strings.Contains(ev.Text, "not-it") || strings.Contains(ev.Text, secretPassphrase) {
			t.Fatalf("a key is in the transcript: %q", ev.Text)
		}
	}
}

func TestThreeWrongKeysFailTheNetwork(t *testing.T) {
	w, tried := keyedWorld(t, "one", "", "three")
	out := w.run(t)
	if out.FinalStage != StageFailed || out.ErrorCode != CodeNetworkUnavailable || !strings.Contains(out.Error, "security key wasn't correct in 3 tries") {
		t.Fatalf("final %s, %q (%s)", out.FinalStage, out.Error, out.ErrorCode)
	}
	if len(*tried) != 2 { // the empty key never reaches the network
		t.Fatalf("the network was tried %d times, want 2", len(*tried))
	}
	var warnings int
	for _, e := range out.Transcript {
		if e.Kind == EventWarning && e.Stage == StageNetwork {
			warnings++
		}
	}
	if warnings != 2 {
		t.Fatalf("%d warnings before the third try failed, want 2", warnings)
	}
}

func TestWithoutAJoinCheckAnyKeyJoins(t *testing.T) {
	w := newWorld(t)
	w.person.network, w.person.passphrase = "CONTOSO-GUEST", "anything"
	if out := w.run(t); out.FinalStage != StageDesktop {
		t.Fatalf("final stage %s: %s", out.FinalStage, out.Error)
	}
}
