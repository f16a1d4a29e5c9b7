package tenant

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// OData types of the device enrollment configurations served.
const (
	odataRestoreConfiguration = "#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration"
	odataLimitConfiguration   = "#microsoft.graph.deviceEnrollmentLimitConfiguration"
)

// Intune names its tenant-wide default configurations "{tenant id}_{kind}".
const (
	restoreConfigurationSuffix = "_WindowsRestore"
	limitConfigurationSuffix   = "_DefaultLimit"
)

// defaultDeviceLimit is Intune's default device limit restriction: five devices per user.
const defaultDeviceLimit = 5

// graphEnrollmentConfiguration is Graph's deviceEnrollmentConfiguration with the properties of
// the two kinds served: the Windows restore flag (state) and the default device limit (limit).
type graphEnrollmentConfiguration struct {
	Context                           string    `json:"@odata.context,omitempty"`
	Type                              string    `json:"@odata.type"`
	ID                                string    `json:"id"`
	DisplayName                       string    `json:"displayName"`
	Description                       string    `json:"description"`
	Priority                          int       `json:"priority"`
	CreatedDateTime                   time.Time `json:"createdDateTime"`
	LastModifiedDateTime              time.Time `json:"lastModifiedDateTime"`
	Version                           int       `json:"version"`
	RoleScopeTagIDs                   []string  `json:"roleScopeTagIds"`
	DeviceEnrollmentConfigurationType string    `json:"deviceEnrollmentConfigurationType"`
	State                             string    `json:"state,omitempty"`
	Limit                             *int      `json:"limit,omitempty"`
}

func (s *Server) enrollmentContext(r *http.Request) string {
	return s.baseURL(r) + "/beta/$metadata#deviceManagement/deviceEnrollmentConfigurations"
}

// enrollmentConfigurations are the tenant's configurations, the default device limit first, as
// Intune lists its defaults.
func (s *Server) enrollmentConfigurations(rc restoreConfig, tid string) []graphEnrollmentConfiguration {
	limit := defaultDeviceLimit
	return []graphEnrollmentConfiguration{
		{
			Type: odataLimitConfiguration, ID: tid + limitConfigurationSuffix,
			DisplayName:     "All users and all devices",
			Description:     "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
			CreatedDateTime: rc.Created, LastModifiedDateTime: rc.Created, Version: 1,
			RoleScopeTagIDs: []string{"0"}, DeviceEnrollmentConfigurationType: "limit", Limit: &limit,
		},
		{
			Type: odataRestoreConfiguration, ID: tid + restoreConfigurationSuffix,
			DisplayName:     "Windows Backup and Restore",
			Description:     "Tenant-wide: shows the restore page during Windows setup (OOBE). Read at enrollment time.",
			CreatedDateTime: rc.Created, LastModifiedDateTime: rc.Modified, Version: rc.Version,
			RoleScopeTagIDs: []string{"0"}, DeviceEnrollmentConfigurationType: "windowsRestore", State: rc.State,
		},
	}
}

// handleListEnrollmentConfigurations lists the tenant's device enrollment configurations, for a
// token with DeviceManagementServiceConfig.Read.All (the route checks it). The simulated device
// reads the restore flag with its user's token, so the simulator's own client asks for that
// permission (a real device learns the flag from Intune during enrollment).
func (s *Server) handleListEnrollmentConfigurations(w http.ResponseWriter, r *http.Request, p *principal) {
	rc, err := s.store.restoreConfig(r.Context(), p.ts.id)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	graphJSON(w, graphPage[graphEnrollmentConfiguration]{Context: s.enrollmentContext(r), Value: s.enrollmentConfigurations(rc, p.ts.id)})
}

// restoreConfigurationPatch lists the properties a PATCH may carry: the type's own. Only state
// changes anything; the rest are accepted and ignored, as read-only or not simulated.
var restoreConfigurationPatch = []string{"@odata.type", "state", "id", "displayName", "description", "priority",
	"createdDateTime", "lastModifiedDateTime", "version", "roleScopeTagIds", "deviceEnrollmentConfigurationType"}

// handleEnrollmentConfiguration reads one configuration (GET) or changes the restore flag (PATCH,
// admins only, answering the updated object as Graph does).
func (s *Server) handleEnrollmentConfiguration(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	rc, err := s.store.restoreConfig(r.Context(), p.ts.id)
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	var found *graphEnrollmentConfiguration
	for _, c := range s.enrollmentConfigurations(rc, p.ts.id) {
		if strings.EqualFold(c.ID, id) {
			found = &c
		}
	}
	if found == nil {
		s.writeGraphError(w, r, http.StatusNotFound, "ResourceNotFound",
			"The deviceEnrollmentConfiguration '"+clip(id, 200)+"' was not found.")
		return
	}
	if r.Method != http.MethodPatch {
		found.Context = s.enrollmentContext(r) + "/$entity"
		graphJSON(w, found)
		return
	}
	if found.Type != odataRestoreConfiguration {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest",
			"The simulator changes only the windowsRestoreDeviceEnrollmentConfiguration.")
		return
	}
	if !isJSON(r) {
		s.writeGraphError(w, r, http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			"The request body must be application/json.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The request body could not be read or is larger than 64 KiB.")
		return
	}
	var patch map[string]json.RawMessage
	if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The request body is not a JSON object.")
		return
	}
	for k := range patch {
		if !slices.Contains(restoreConfigurationPatch, k) {
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "The property '"+clip(k, 64)+
				"' does not exist on type 'microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration'. Make sure to only use property names that are defined by the type.")
			return
		}
	}
	if raw, ok := patch["@odata.type"]; ok {
		var typ string
		if json.Unmarshal(raw, &typ) != nil || "#"+strings.TrimPrefix(typ, "#") != odataRestoreConfiguration {
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest",
				"The @odata.type must be #microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration.")
			return
		}
	}
	if raw, ok := patch["state"]; ok {
		var state string
		if json.Unmarshal(raw, &state) != nil || !slices.Contains(RestorePageStates(), state) {
			s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", "Invalid value "+clip(string(raw), 64)+
				" for property 'state' of type 'microsoft.graph.enablement': use notConfigured, enabled or disabled.")
			return
		}
		if rc, err = s.store.setRestoreState(r.Context(), p.ts.id, state, s.clock.Now()); err != nil {
			s.storeFailed(w, r, err)
			return
		}
		s.log.Info("restore page setting changed", "tenant", p.ts.id, "state", state,
			"by", p.by(), "trace_id", info(r).traceID)
	}
	out := s.enrollmentConfigurations(rc, p.ts.id)[1]
	out.Context = s.enrollmentContext(r) + "/$entity"
	graphJSON(w, out)
}
