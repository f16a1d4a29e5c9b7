package auth_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/oobe-dev/oobe/auth"
)

// A command-line sign-in: cached tokens first, then a refresh, then the device code flow.
func ExampleClient_SignIn() {
	ctx := context.Background()
	c, err := auth.New(ctx, auth.Config{
		Authority: "https://login.microsoftonline.com/39150fda-e360-47ce-b98e-d9250ba6f8e8",
		ClientID:  "9c6fb39d-8205-4a69-8a44-e2bae12741d2",
	})
	if err != nil {
		log.Fatal(err)
	}
	dir, err := auth.DefaultCacheDir()
	if err != nil {
		log.Fatal(err)
	}
	res, err := c.SignIn(ctx, &auth.Cache{Dir: dir}, "", func(ctx context.Context) (*auth.Result, error) {
		return c.DeviceCode(ctx, func(p auth.DeviceCodePrompt) { fmt.Fprintln(os.Stderr, p.Message) })
	})
	if err != nil {
		log.Fatal(err) // a *auth.SignInError says what happened and what to do
	}
	fmt.Println(res.Identity.UPN, res.Identity.TenantID, res.Identity.ObjectID)
}
