package sim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/internal/devicelogin"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/oobe/live"
	"github.com/oobe-dev/oobe/restore/graph"
)

// AdminDelete is an admin deleting every Windows backup of Spec.User before setup starts,
// with Graph beta's DELETE /users/{id}@{tid}/settings/windows (domain.md §7.4 [G]): the
// admin signs in with the device code flow and UserWindowsSettings.ReadWrite.All, and needs
// the Microsoft 365 Backup Administrator role. A refusal (403 for a Global Administrator
// alone) is noted and setup goes on with the backups still there.
type AdminDelete struct {
	// Admin is the UPN of the tenant user who deletes; their password is the tenant's.
	Admin string
}

// adminLead is how long before setup starts the admin deletes: the old PC's last backup
// comes before it, and the setup starts on Spec.Start whatever the admin's sign-in took.
const adminLead = time.Hour

// adminScopes are what the admin's sign-in asks for.
func adminScopes() []string {
	return append(live.GraphScopes(), "UserWindowsSettings.ReadWrite.All")
}

// adminDelete carries out Spec.AdminDelete, after the old PC's backups and before setup.
func (w *World) adminDelete(ctx context.Context) error {
	d := w.spec.AdminDelete
	admin := w.tenantUser(d.Admin)
	client, err := auth.New(ctx, auth.Config{Authority: w.Authority(), ClientID: w.clientID,
		Scopes: adminScopes(), Clock: w.clock, HTTPClient: w.hc})
	if err != nil {
		return fmt.Errorf("the admin's sign-in client: %w", err)
	}
	signIn := live.NewSignIn(client, w.clock)
	var approve error
	sess, err := signIn.DeviceCode(ctx, func(p auth.DeviceCodePrompt) {
		if !w.onTenant(p.VerificationURI) {
			approve = fmt.Errorf("the verification page %s is not the simulated tenant's", p.VerificationURI)
			return
		}
		approve = devicelogin.ApproveWithMFA(ctx, w.Browser(), p.VerificationURI, p.UserCode, admin.UPN, admin.Password, w.mfaFor(admin))
	})
	if err != nil {
		if approve != nil {
			err = fmt.Errorf("%w (%v)", err, approve)
		}
		return fmt.Errorf("signing the admin %s in: %w", admin.UPN, err)
	}
	gc, err := graph.New(graph.Config{BaseURL: w.srv.URL(), Token: signIn.Token, HTTPClient: w.hc, Clock: w.clock})
	if err != nil {
		return err
	}
	target := graph.UserRef{ObjectID: w.user.ObjectID, TenantID: sess.Identity.TenantID}
	if err := gc.DeleteUserWindowsSettings(ctx, target); err != nil {
		var gerr *graph.Error
		if errors.As(err, &gerr) {
			w.note(oobe.EventWarning, fmt.Sprintf("%s could not delete %s's Windows backups: %v", admin.UPN, w.user.UPN, err))
			return nil
		}
		return fmt.Errorf("the admin %s deleting %s's backups: %w", admin.UPN, w.user.UPN, err)
	}
	w.note(oobe.EventInfo, fmt.Sprintf("%s deleted every Windows backup of %s (DELETE /beta/users/{id}@{tid}/settings/windows: 204)", admin.UPN, w.user.UPN))
	return nil
}

// tenantUser is the world's tenant's user with that UPN, or nil.
func (w *World) tenantUser(upn string) *User {
	for i := range w.tenant.Users {
		if strings.EqualFold(w.tenant.Users[i].UPN, upn) {
			return &w.tenant.Users[i]
		}
	}
	return nil
}
