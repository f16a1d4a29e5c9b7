package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/graph"
	"github.com/oobe-dev/oobe/restore/profile"
)

// GraphScopes are the delegated Graph permissions setup's device signs in with, beside the OIDC
// scopes: the user's backups (UserWindowsSettings.Read) and the tenant's restore flag
// (DeviceManagementServiceConfig.Read.All). The app registration needs them consented.
func GraphScopes() []string { return append(BackupScopes(), "DeviceManagementServiceConfig.Read.All") }

// BackupScopes are what listing the user's own backups needs: UserWindowsSettings.Read, which
// the user can consent to, beside the OIDC scopes. Reading the restore flag as well
// (GraphScopes) needs an admin's consent on a real tenant.
func BackupScopes() []string { return append(auth.DefaultScopes(), "UserWindowsSettings.Read") }

// RestoreScopes are the scopes of the tokens the restore page needs besides Graph's, in the
// order they are asked for: the restore app, which Conditional Access can block, then the
// restore experience app, for which phishing-resistant MFA can be demanded (domain.md §2).
func RestoreScopes() [][]string {
	return [][]string{{restore.RestoreAppID + "/.default"}, {restore.RestoreBackupsAppID + "/.default"}}
}

// CloudConfig says where Graph is and how to call it.
type CloudConfig struct {
	// GraphURL is https://graph.microsoft.com, or the simulated tenant's URL.
	GraphURL   string
	HTTPClient *http.Client
	Logger     *slog.Logger
	// MaxRetries and MaxRetryAfter bound Graph's retries of 429 and 5xx (0: graph's defaults).
	MaxRetries    int
	MaxRetryAfter time.Duration
}

// Cloud is oobe.Cloud over Graph, with the tokens of a SignIn.
type Cloud struct {
	graph  *graph.Client
	signIn *SignIn
}

var _ oobe.Cloud = (*Cloud)(nil)

// Connect returns what oobe.Config.Connect takes: the Cloud for the session s signed in. A
// session that is not s's own sign-in is refused.
func (s *SignIn) Connect(cfg CloudConfig) func(ctx context.Context, sess *oobe.Session) (oobe.Cloud, error) {
	return func(ctx context.Context, sess *oobe.Session) (oobe.Cloud, error) {
		_, id, err := s.held()
		if err != nil {
			return nil, fmt.Errorf("connecting to the cloud: %w", err)
		}
		if sess == nil || !sameUser(sess.Identity, id) {
			return nil, errors.New("connecting to the cloud: the session is not the one this sign-in holds")
		}
		gc, err := graph.New(graph.Config{BaseURL: cfg.GraphURL, Token: s.Token, HTTPClient: cfg.HTTPClient,
			Clock: s.clock, Logger: cfg.Logger, MaxRetries: cfg.MaxRetries, MaxRetryAfter: cfg.MaxRetryAfter})
		if err != nil {
			return nil, err
		}
		return &Cloud{graph: gc, signIn: s}, nil
	}
}

// RestorePageState reads the tenant's "Show restore page" flag.
func (c *Cloud) RestorePageState(ctx context.Context) (string, error) {
	rc, err := c.graph.RestoreConfiguration(ctx)
	if err != nil {
		return "", err
	}
	return rc.State, nil
}

// RestoreAccess asks for the restore apps' tokens. An MFA demand with a claims challenge
// (phishing-resistant MFA for the restore experience app) is a prompt on the device, as in
// Windows' setup: the sign-in page asks again with the claims (SignIn.StepUp), and when the
// person satisfies it the token is asked for again. A refusal that stands — a block, or a
// prompt that failed (no passkey, as in a Hyper-V VM) — comes back as the *auth.SignInError
// Entra answered.
func (c *Cloud) RestoreAccess(ctx context.Context) error {
	for _, scopes := range RestoreScopes() {
		err := c.signIn.TokenFor(ctx, scopes...)
		var se *auth.SignInError
		if err != nil && errors.Is(err, auth.ErrMFARequired) && errors.As(err, &se) && se.Claims != "" {
			perr := c.signIn.StepUp(ctx, se.Claims)
			if perr == nil {
				err = c.signIn.TokenFor(ctx, scopes...)
			} else if ctx.Err() != nil {
				return ctx.Err()
			} else {
				err = fmt.Errorf("%w; the prompt on this device failed: %v", err, perr)
			}
		}
		if err != nil {
			return fmt.Errorf("getting a token for %s: %w", scopes[0], err)
		}
	}
	return nil
}

// BackupProfiles lists the user's previous PCs, newest first.
func (c *Cloud) BackupProfiles(ctx context.Context) ([]profile.BackupProfile, error) {
	return c.graph.BackupProfiles(ctx)
}

// ReportRestore sends the device's restore status to the simulated tenant.
func (c *Cloud) ReportRestore(ctx context.Context, r backup.RestoreResult) error {
	return c.graph.ReportRestore(ctx, r)
}
