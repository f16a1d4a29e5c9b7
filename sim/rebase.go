package sim

import (
	"time"

	"github.com/oobe-dev/oobe/tenant"
)

// Backup is a user's previous PC and its backup, as a tenant serves it.
type Backup = tenant.Backup

// Rebase returns copies of tenants whose backups (created, last backup, retired) are moved by
// to−from, so that they keep their distance from from but are dated relative to to: a live run
// on today's date (to) sees the demo fixtures' "3 days ago" as a replay starting at the
// scenario's default start (from) does. The tenants given are not changed; a zero time stays
// zero. Generated backups (User.GenerateBackups) are dated by the tenant and do not move.
func Rebase(tenants []*Tenant, from, to time.Time) []*Tenant {
	shift := to.Sub(from)
	out := make([]*Tenant, 0, len(tenants))
	for _, t := range tenants {
		if t == nil {
			out = append(out, nil)
			continue
		}
		c := *t
		c.Users = make([]User, len(t.Users))
		for i, u := range t.Users {
			u.Backups = make([]Backup, len(t.Users[i].Backups))
			for j, b := range t.Users[i].Backups {
				b.Created = moved(b.Created, shift)
				b.LastBackup = moved(b.LastBackup, shift)
				b.Retired = moved(b.Retired, shift)
				u.Backups[j] = b
			}
			if t.Users[i].Backups == nil {
				u.Backups = nil
			}
			c.Users[i] = u
		}
		if t.Users == nil {
			c.Users = nil
		}
		out = append(out, &c)
	}
	return out
}

func moved(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}
