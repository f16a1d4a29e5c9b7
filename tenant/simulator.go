package tenant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// maxUploadBytes bounds an upload's body: the largest content payload, base64 encoded, and room
// for the profile around it.
const maxUploadBytes = (backup.MaxPayloadBytes+2)/3*4 + 64<<10

// readStrictJSON decodes a JSON body into v, refusing other content types, bodies over limit,
// unknown fields and trailing data. It answers the refusal itself and reports false.
func (s *Server) readStrictJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if !isJSON(r) {
		s.writeGraphError(w, r, http.StatusUnsupportedMediaType, "UnsupportedMediaType", "The request body must be application/json.")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeGraphError(w, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
				fmt.Sprintf("The request body is larger than %d bytes.", limit))
			return false
		}
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The request body could not be read.")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The request body is not the expected JSON: "+clip(err.Error(), 200))
		return false
	}
	if moreJSON(body[dec.InputOffset():]) {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The request body has data after its JSON object.")
		return false
	}
	return true
}

// moreJSON is json.Decoder.More for what follows a decoded value, read from the bytes rather
// than by the decoder, which would take a second, larger buffer to look ahead: is there
// something other than white space, a closing ']' or '}'.
func moreJSON(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " \t\r\n")
	return len(rest) > 0 && rest[0] != ']' && rest[0] != '}'
}

// uploadAnswer is what an upload returns: the device and the windowsSettings now stored for it.
type uploadAnswer struct {
	WindowsDeviceID string                `json:"windowsDeviceId"`
	Value           []graphWindowsSetting `json:"value"`
}

// handleUpload takes a backup made by a simulated device (backup.Upload) for the signed-in user
// and replaces that device's previous backup with it, in one transaction.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, p *principal) {
	var up backup.Upload
	if !s.readStrictJSON(w, r, maxUploadBytes, &up) {
		return
	}
	bad := func(msg string) { s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", msg) }
	if !IsGUID(up.WindowsDeviceID) {
		bad(fmt.Sprintf("windowsDeviceId %q is not a GUID.", clip(up.WindowsDeviceID, 64)))
		return
	}
	deviceID := strings.ToLower(up.WindowsDeviceID)
	if err := up.Profile.Validate(); err != nil {
		bad("profile: " + err.Error())
		return
	}
	// Names that reach people's terminals may not carry control characters (ESC starts a
	// sequence the terminal obeys).
	if err := up.Profile.CheckText(); err != nil {
		bad("profile." + err.Error())
		return
	}
	if !strings.EqualFold(backup.DeviceIDOf(up.Profile.ProfileID), deviceID) {
		bad(fmt.Sprintf("profile.profileId %s is not windowsDeviceId %s in braces.", up.Profile.ProfileID, deviceID))
		return
	}
	content, err := backup.DecodeContent(up.Content)
	if err != nil {
		bad("content: " + err.Error())
		return
	}
	if err := content.CheckText(); err != nil {
		bad("content." + err.Error())
		return
	}
	tid, oid := p.ts.id, strings.ToLower(p.user.ObjectID)
	if !strings.EqualFold(content.Owner.TenantID, tid) || !strings.EqualFold(content.Owner.ObjectID, oid) {
		s.writeGraphError(w, r, http.StatusForbidden, "Forbidden", fmt.Sprintf(
			"The content belongs to user %s of tenant %s, not to the signed-in user: a device uploads only its own user's backup.",
			clip(content.Owner.ObjectID, 64), clip(content.Owner.TenantID, 64)))
		return
	}
	if full, _ := backup.FullOSVersion(up.Profile.OSVersion); content.SourceOSVersion != full {
		bad(fmt.Sprintf("the content was made on Windows %s but profile.osVersion says %s.", clip(content.SourceOSVersion, 32), clip(up.Profile.OSVersion, 32)))
		return
	}
	// The instance's dates are the backup's own, as Windows stamps them, not the upload's.
	created := time.Unix(up.Profile.CreatedTime, 0).UTC()
	modified := time.Unix(up.Profile.LastFullBackupCompletedTime, 0).UTC()
	if modified.Before(created) {
		modified = created
	}
	if modified.After(s.clock.Now()) {
		bad("profile.lastFullBackupCompletedTime is in the future.")
		return
	}
	settings, err := deviceBackup(tid, oid, deviceID, up.Profile, up.Content, created, modified, KeptForever)
	if err != nil {
		bad(err.Error())
		return
	}
	if err := s.store.replaceDeviceBackup(r.Context(), tid, oid, deviceID, settings, s.BackupQuota()); err != nil {
		var full *QuotaError
		if errors.As(err, &full) {
			s.log.Warn("backup refused: quota", "tenant", tid, "user", oid, "device", deviceID, "used", full.Used, "quota", full.Quota, "trace_id", info(r).traceID)
			s.writeQuotaError(w, r, full)
			return
		}
		s.storeFailed(w, r, err)
		return
	}
	s.log.Info("backup uploaded", "tenant", tid, "user", oid, "device", deviceID, "bytes", len(up.Content), "trace_id", info(r).traceID)
	ans := uploadAnswer{WindowsDeviceID: deviceID}
	for _, st := range settings {
		ans.Value = append(ans.Value, toGraphSetting(st))
	}
	w.Header().Set("Location", s.baseURL(r)+"/v1.0/me/settings/windows?$filter="+
		url.QueryEscape("windowsDeviceId eq '"+deviceID+"'"))
	writeJSON(w, http.StatusCreated, ans)
}

// handleRestoreResult keeps what a device reports after the restore page, from the user the
// device is registered to (owners.go), the newest per device by its reportedDateTime.
func (s *Server) handleRestoreResult(w http.ResponseWriter, r *http.Request, p *principal) {
	var res backup.RestoreResult
	if !s.readStrictJSON(w, r, maxFormBytes, &res) {
		return
	}
	refuse := func(g *graphRefusal) { s.writeGraphError(w, r, g.status, g.code, g.msg) }
	if g := checkRestoreResultFields(&res); g != nil {
		refuse(g)
		return
	}
	res.WindowsDeviceID = strings.ToLower(res.WindowsDeviceID)
	res.SourceWindowsDeviceID = strings.ToLower(res.SourceWindowsDeviceID)
	now := s.clock.Now()
	if res.ReportedDateTime.IsZero() {
		res.ReportedDateTime = now
	}
	res.ReportedDateTime = res.ReportedDateTime.UTC()
	if g := checkReportDate(res.ReportedDateTime, now); g != nil {
		refuse(g)
		return
	}
	oid := strings.ToLower(p.user.ObjectID)
	g, err := s.checkDeviceOwners(r.Context(), p.ts.id, oid, &res)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	if g != nil {
		s.log.Warn("restore result refused", "tenant", p.ts.id, "user", oid, "device", res.WindowsDeviceID,
			"status", g.status, "trace_id", info(r).traceID)
		refuse(g)
		return
	}
	rec := RestoreResultRecord{RestoreResult: res, UserID: oid}
	latest, err := s.store.putRestoreResult(r.Context(), p.ts.id, rec)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	s.log.Info("restore result reported", "tenant", p.ts.id, "device", res.WindowsDeviceID, "status", res.Status,
		"latest", latest, "trace_id", info(r).traceID)
	writeJSON(w, http.StatusCreated, rec)
}

// restoreResultsAnswer is the body of GET /_oobe/tenants/{tid}/restore-results.
type restoreResultsAnswer struct {
	Tenant string                `json:"tenant"`
	Value  []RestoreResultRecord `json:"value"`
}

// handleListRestoreResults lists a tenant's latest restore result per device, for its admins.
func (s *Server) handleListRestoreResults(w http.ResponseWriter, r *http.Request, p *principal) {
	ts := s.tenantBySegment(r.PathValue("tid"))
	if ts == nil {
		s.writeGraphError(w, r, http.StatusNotFound, "ResourceNotFound", "No such tenant: use a tenant GUID from /_oobe/tenants.")
		return
	}
	if ts != p.ts {
		s.writeGraphError(w, r, http.StatusForbidden, "Forbidden",
			"Restore results are for an administrator of the same tenant.")
		return
	}
	list, err := s.store.restoreResults(r.Context(), ts.id)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, restoreResultsAnswer{Tenant: ts.id, Value: list})
}
