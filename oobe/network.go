package oobe

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrWrongNetworkKey is Config.JoinNetwork's answer to a passphrase the network does not take,
// in Windows' words.
var ErrWrongNetworkKey = errors.New("The network security key isn't correct. Please try again.")

// network joins the network the person picks. A secured Wi-Fi network needs a passphrase,
// which the network checks (Config.JoinNetwork); the person gets three tries, an empty or a
// wrong key each costing one. The passphrase is never written down.
func (f *flow) network() (Stage, error) {
	offered := orDefault(f.cfg.Networks, defaultNetworks)
	for attempt := 1; ; attempt++ {
		chosen, pass, err := f.cfg.Person.Network(f.ctx, offered)
		if errors.Is(err, ErrBack) {
			return f.back()
		}
		if err != nil {
			return "", f.personError("Network", err)
		}
		i := slices.IndexFunc(offered, func(n Network) bool { return n.Name == chosen.Name })
		if i < 0 {
			var names []string
			for _, n := range offered {
				names = append(names, n.Name)
			}
			return "", fmt.Errorf("Person.Network answered %q, which the screen does not offer (offered: %s)", chosen.Name, strings.Join(names, ", "))
		}
		n := offered[i]
		secured := n.Secured()
		if secured && pass == "" {
			f.event(EventChoice, "Network: "+n.Name+" without a passphrase", nil)
			if attempt == networkAttempts {
				return "", &stageFailure{text: fmt.Sprintf("Can't connect to %s: it needs a passphrase, and none was given in %d tries.", n.Name, networkAttempts), code: CodeNetworkUnavailable}
			}
			f.event(EventWarning, "Can't connect to this network", nil)
			continue
		}
		if err := f.cfg.Clock.Sleep(f.ctx, connectTook); err != nil {
			return "", err
		}
		if f.cfg.JoinNetwork != nil {
			err := f.cfg.JoinNetwork(n, pass)
			switch {
			case errors.Is(err, ErrWrongNetworkKey):
				f.event(EventChoice, fmt.Sprintf("Network: %s (Wi-Fi, %s; passphrase entered)", n.Name, n.Security), nil)
				if attempt == networkAttempts {
					return "", &stageFailure{text: fmt.Sprintf("Can't connect to %s: the network security key wasn't correct in %d tries.", n.Name, networkAttempts), code: CodeNetworkUnavailable}
				}
				f.event(EventWarning, ErrWrongNetworkKey.Error(), nil)
				continue
			case err != nil:
				return "", &stageFailure{text: fmt.Sprintf("Can't connect to %s: %v", n.Name, err), code: CodeNetworkUnavailable, err: err}
			}
		}
		f.joined = n
		switch {
		case n.Wired:
			f.event(EventChoice, "Network: "+n.Name+" (wired)", nil)
		case secured:
			f.event(EventChoice, fmt.Sprintf("Network: %s (Wi-Fi, %s; passphrase entered)", n.Name, n.Security), nil)
		default:
			f.event(EventChoice, "Network: "+n.Name+" (Wi-Fi, open)", nil)
		}
		return StageUpdateCheck, nil
	}
}
