package tenant

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// Owners: every device a restore result names is an Entra device object of the tenant,
// registered to one user. A device is registered to the user whose backup was made on it (the
// fixture's backups and every upload), or, for the new PC being set up, to the user whose
// report first names it: the device joins the tenant during setup, with that user's sign-in,
// before the restore page reports. The simulated flow makes no join call of its own, so the
// first report stands for it. From then on only that user may report for the device.

// maxReportSkew is how far ahead of the tenant's clock a report's reportedDateTime may be: the
// 5 minutes Microsoft's token validation allows for clock skew.
const maxReportSkew = 5 * time.Minute

// maxReportItems bounds a report's item counts together: an apply report covers a backup's
// items, and a backup holds far fewer than this.
const maxReportItems = 1_000_000

// graphRefusal is a Graph error a handler answers with.
type graphRefusal struct {
	status int
	code   string
	msg    string
}

// checkRestoreCounts refuses counts that no apply report makes: negative, beyond
// maxReportItems, or items for a status under which nothing was applied.
func checkRestoreCounts(res *backup.RestoreResult) *graphRefusal {
	counts := []int{res.Applied, res.AlreadySet, res.KeptByPolicy, res.NotSupported, res.NotRestorable, res.Failed}
	bad := func(msg string) *graphRefusal { return &graphRefusal{http.StatusBadRequest, "BadRequest", msg} }
	total := 0
	for _, n := range counts {
		if n < 0 {
			return bad("The item counts (applied, alreadySet, keptByPolicy, notSupported, notRestorable, failed) cannot be negative.")
		}
		if n > maxReportItems || total+n > maxReportItems {
			return bad(fmt.Sprintf("The item counts add up to more than %d, more than a backup holds.", maxReportItems))
		}
		total += n
	}
	if total > 0 && res.Status != backup.StatusSucceeded && res.Status != backup.StatusFailed {
		return bad(fmt.Sprintf("status %q restores nothing, so its item counts must be 0.", res.Status))
	}
	return nil
}

// checkReportDate refuses a reportedDateTime ahead of the tenant's clock by more than
// maxReportSkew.
func checkReportDate(at, now time.Time) *graphRefusal {
	if at.After(now.Add(maxReportSkew)) {
		return &graphRefusal{http.StatusBadRequest, "BadRequest", fmt.Sprintf(
			"reportedDateTime %s is in the future: the tenant's clock says %s (%s of skew allowed).",
			at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), maxReportSkew)}
	}
	return nil
}

// checkDeviceOwners registers the reported device to the signed-in user if the tenant does not
// have it yet, and refuses a device registered to another user (403) or a source device the
// tenant does not have (404) or that is another user's (403).
func (s *Server) checkDeviceOwners(ctx context.Context, tid, oid string, res *backup.RestoreResult) (*graphRefusal, error) {
	owner, err := s.store.registerDevice(ctx, tid, res.WindowsDeviceID, oid)
	if err != nil {
		return nil, err
	}
	if owner != oid {
		return &graphRefusal{http.StatusForbidden, "Authorization_RequestDenied", fmt.Sprintf(
			"Device %s is registered to another user of the tenant: only the user who enrolled a device reports its restore.", res.WindowsDeviceID)}, nil
	}
	if res.SourceWindowsDeviceID == "" || res.SourceWindowsDeviceID == res.WindowsDeviceID {
		return nil, nil
	}
	src, err := s.store.registerDevice(ctx, tid, res.SourceWindowsDeviceID, "")
	switch {
	case err != nil:
		return nil, err
	case src == "":
		return &graphRefusal{http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(
			"Resource '%s' does not exist or one of its queried reference-property objects are not present: the tenant has no device it could have restored from.", res.SourceWindowsDeviceID)}, nil
	case src != oid:
		return &graphRefusal{http.StatusForbidden, "Authorization_RequestDenied", fmt.Sprintf(
			"Source device %s is another user's: a restore uses the signed-in user's own backups.", res.SourceWindowsDeviceID)}, nil
	}
	return nil, nil
}

// checkRestoreResultFields refuses a malformed report: ids that are not GUIDs, a status that is
// not Intune's, counts no apply makes.
func checkRestoreResultFields(res *backup.RestoreResult) *graphRefusal {
	bad := func(msg string) *graphRefusal { return &graphRefusal{http.StatusBadRequest, "BadRequest", msg} }
	switch {
	case !IsGUID(res.WindowsDeviceID):
		return bad(fmt.Sprintf("windowsDeviceId %q is not a GUID.", clip(res.WindowsDeviceID, 64)))
	case res.SourceWindowsDeviceID != "" && !IsGUID(res.SourceWindowsDeviceID):
		return bad(fmt.Sprintf("sourceWindowsDeviceId %q is not a GUID.", clip(res.SourceWindowsDeviceID, 64)))
	case !slices.Contains(backup.Statuses(), res.Status):
		return bad(fmt.Sprintf("status %q is not one of Intune's: %s.", clip(res.Status, 64), strings.Join(backup.Statuses(), ", ")))
	}
	return checkRestoreCounts(res)
}
