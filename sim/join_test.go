package sim_test

import (
	"errors"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/sim"
)

func TestAWorldsWiFiTakesItsOwnKeyOnly(t *testing.T) {
	t.Parallel()
	guest := oobe.Network{Name: "CONTOSO-GUEST", Security: backup.WiFiWPA2Personal}
	cafe := oobe.Network{Name: "CAFE", Security: backup.WiFiOpen}
	w := startWorld(t, sim.Spec{Tenants: demo(t), User: adele, Device: newPC(), Start: start,
		WiFi: []sim.WiFi{{Network: guest, Passphrase: "correct-horse"}, {Network: cafe}}})
	if got := w.Config.Networks; len(got) != 3 || !got[0].Wired || got[1] != guest || got[2] != cafe {
		t.Fatalf("the networks offered are %+v, want Ethernet, then the world's Wi-Fi", got)
	}
	join := w.Config.JoinNetwork
	if join == nil {
		t.Fatal("the world does not check Wi-Fi keys")
	}
	for _, c := range []struct {
		n     oobe.Network
		key   string
		wrong bool
	}{
		{guest, "correct-horse", false},
		{guest, "not-it", true},
		{cafe, "", false},
		{oobe.Network{Name: "Ethernet", Wired: true}, "", false},
	} {
		if err := join(c.n, c.key); errors.Is(err, oobe.ErrWrongNetworkKey) != c.wrong || !c.wrong && err != nil {
			t.Errorf("joining %s with %q: %v", c.n.Name, c.key, err)
		}
	}
}
