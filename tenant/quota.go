package tenant

import (
	"fmt"
	"net/http"
)

// DefaultBackupQuota is each user's backup storage in the simulated tenant: 256 MiB of stored
// payload (base64 text, as Graph serves it), room for some sixty 4 MB backups. Microsoft
// documents no figure for Windows backup storage; the quota exists so one user cannot fill the
// simulator's disk or memory. Server.SetBackupQuota changes it.
const DefaultBackupQuota int64 = 256 << 20

// QuotaError is an upload that would leave the user's stored payloads over their quota.
type QuotaError struct {
	Used  int64 // bytes the user would hold with the upload
	Quota int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("the backup would bring the user's stored payloads to %d bytes, over the quota of %d bytes", e.Used, e.Quota)
}

// SetBackupQuota sets each user's backup storage quota in bytes for uploads from now on; zero
// or less means DefaultBackupQuota. Backups already stored stay.
func (s *Server) SetBackupQuota(bytes int64) {
	if bytes <= 0 {
		bytes = DefaultBackupQuota
	}
	s.store.run().quota.Store(bytes)
}

// BackupQuota returns each user's backup storage quota in bytes.
func (s *Server) BackupQuota() int64 { return s.store.run().quota.Load() }

// writeQuotaError answers Graph's error for a full quota: 507 Insufficient Storage, "The
// maximum storage quota has been reached", with the code quotaLimitReached ("The user has
// reached their quota limit"), both from Microsoft Graph's error reference
// (learn.microsoft.com/graph/errors).
func (s *Server) writeQuotaError(w http.ResponseWriter, r *http.Request, e *QuotaError) {
	s.writeGraphError(w, r, http.StatusInsufficientStorage, "quotaLimitReached", fmt.Sprintf(
		"The user has reached their quota limit: the backup would bring their stored backups to %d bytes, over the quota of %d bytes. Delete a device's backup first.",
		e.Used, e.Quota))
}
