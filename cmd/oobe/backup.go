package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/when"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/graph"
)

// backupRun is what `oobe backup --json` prints.
type backupRun struct {
	Device          string    `json:"device"`
	WindowsDeviceID string    `json:"windowsDeviceId"`
	User            string    `json:"user"`
	Backups         int       `json:"backups"`
	LastBackup      time.Time `json:"lastBackup"`
}

func newBackupCmd(s streams) *cobra.Command {
	var (
		o    signinOptions
		dir  string
		days int
	)
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Back up a simulated device to the signed-in user's backups",
		Long: `Back up a simulated device (oobe device init) the way Windows Backup for
Organizations does, and upload it to the simulated tenant under the signed-in
user — the old PC's side of a restore.

Without --days it backs up once, now ("Back up now" in the Windows Backup app).
With --days N it replays the automatic schedule (every 8 days) over the last N
days in virtual time: the device backs up whenever a backup falls due, and the
newest backup replaces the older ones as Windows keeps one per device.

Uploading is the simulator's own endpoint (/_oobe/backups): Graph has no API to
make a backup, so this needs the simulated tenant. Use --sim-data DIR (or a
running oobe serve --data DIR via --authority) to keep the backup for a later
oobe restore.`,
		Example: `oobe device init old-pc --os 10.0.19045.6216 --sample
oobe backup --device old-pc --days 30 --sim-data lab --user adele.vance@contoso.com --sim-approve
oobe backups --sim-data lab --user adele.vance@contoso.com --sim-approve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return badInput("--device DIR is required (create one with oobe device init)")
			}
			if days < 0 || days > 3650 {
				return badInput("--days %d: want 0 to 3650", days)
			}
			o.scopes = backupScopes
			return runBackup(cmd.Context(), s, o, dir, days)
		},
	}
	cmd.Flags().StringVar(&dir, "device", "", "simulated device directory to back up")
	cmd.Flags().IntVar(&days, "days", 0, "replay the 8-day automatic schedule over the last N days (virtual time)")
	_ = cmd.MarkFlagDirname("device")
	addSigninFlags(cmd, &o)
	return cmd
}

func runBackup(ctx context.Context, s streams, o signinOptions, dir string, days int) error {
	dev, err := device.Open(dir)
	if err != nil {
		return badInput("--device %s: %v", dir, err)
	}
	if err := device.CanBackUp(dev.State); err != nil {
		return fmt.Errorf("device %s cannot back up: %w", dir, err)
	}
	if u, err := url.Parse(o.authority); o.authority != "" && err == nil {
		if _, simulated := graphFor(u); !simulated {
			return badInput("oobe backup uploads to the simulator's own /_oobe/backups endpoint, and %s is not a simulated tenant: real Graph has no API to make a backup", o.authority)
		}
	}
	sess, err := openSession(ctx, s, o)
	if err != nil {
		return err
	}
	defer sess.close()
	if !sess.simulated {
		return badInput("oobe backup uploads to the simulator's own /_oobe/backups endpoint, and %s is not a simulated tenant: real Graph has no API to make a backup", sess.authority)
	}
	gc, err := graph.New(graph.Config{BaseURL: sess.graphURL, Token: sess.token, HTTPClient: sess.http})
	if err != nil {
		return err
	}
	owner := backup.Owner{TenantID: sess.result.Identity.TenantID, ObjectID: sess.result.Identity.ObjectID}
	send := func(ctx context.Context, up *backup.Upload) error {
		if err := gc.Upload(ctx, *up); err != nil {
			return fmt.Errorf("uploading the backup of %s: %w", up.Profile.DeviceDisplayName, err)
		}
		fmt.Fprintf(s.errOut, "Backed up %s at %s\n", up.Profile.DeviceDisplayName, when.Stamp(time.Unix(up.Profile.LastFullBackupCompletedTime, 0)))
		return nil
	}
	now := sess.clock.Now().UTC().Truncate(time.Second) // the session's clock: a test's, or the wall clock
	sent := 0
	if days == 0 {
		// On demand: a backup now, whatever the schedule says.
		up, err := device.UploadFor(dev.State, owner, now)
		if err != nil {
			return err
		}
		if err := send(ctx, up); err != nil {
			return err
		}
		if err := device.RecordBackup(ctx, dir, now); err != nil {
			return fmt.Errorf("recording the backup on %s: %w", dir, err)
		}
		sent = 1
	} else {
		vc := clock.NewVirtual(now.Add(-time.Duration(days) * 24 * time.Hour))
		if sent, err = (device.Schedule{}).RunUntil(ctx, vc, dir, owner, send, now); err != nil {
			return err
		}
	}
	dev, err = device.Open(dir)
	if err != nil {
		return err
	}
	run := backupRun{Device: dev.State.Profile.Name, WindowsDeviceID: dev.State.Profile.DeviceID, User: sess.result.Identity.UPN, Backups: sent, LastBackup: dev.State.Backups.Last}
	if o.asJSON {
		return json.NewEncoder(s.out).Encode(run)
	}
	if sent == 0 {
		return errors.New("no backup was due in that window")
	}
	_, err = fmt.Fprintf(s.out, "%s backed up %s for %s; last backup %s\n", run.Device, when.Count(sent, "time"), run.User, when.Stamp(run.LastBackup))
	return err
}
