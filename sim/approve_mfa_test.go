package sim_test

import (
	"context"
	"slices"
	"testing"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/sim"
)

func TestApproveAnswersTheMFAStepWithTheUsersOwnMethods(t *testing.T) {
	t.Parallel()
	for _, upn := range []string{adele, "megan.bowen@contoso.com"} { // an authenticator; a code and a pass
		tenants := slices.Clone(demo(t)) // shared: change copies only
		for i, tn := range tenants {
			if tn.Name == "Contoso" {
				c := *tn
				c.ConditionalAccess = sim.ConditionalAccess{RequireMFA: true}
				tenants[i] = &c
			}
		}
		ctx := context.Background()
		w := startWorld(t, sim.Spec{Tenants: tenants, User: upn, Start: start})
		client, err := auth.New(ctx, auth.Config{Authority: w.Authority(), ClientID: w.ClientID(), Scopes: live.GraphScopes(),
			Clock: w.Clock(), HTTPClient: w.HTTP()})
		if err != nil {
			t.Fatal(err)
		}
		var approve error
		if _, err := client.DeviceCode(ctx, func(p auth.DeviceCodePrompt) { approve = w.Approve(ctx, p) }); err != nil || approve != nil {
			t.Fatalf("%s: device code sign-in under requireMfa: %v (approve: %v)", upn, err, approve)
		}
	}
}
