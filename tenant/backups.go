package tenant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// Paging of /me/settings/windows, as Graph documents it: Prefer: odata.maxpagesize, 1 to 200,
// default 110.
const (
	defaultPageSize = 110
	minPageSize     = 1
	maxPageSize     = 200
)

// OData types of the objects served here.
const (
	odataWindowsSetting         = "#microsoft.graph.windowsSetting"
	odataWindowsSettingInstance = "#microsoft.graph.windowsSettingInstance"
)

// backupRoutes registers the Graph-shaped backup API and the simulator's own backup endpoints.
func backupRoutes(handle func(pattern, endpoint string, h serverFunc, alsoFaultedAs ...string)) {
	for _, v := range []string{"v1.0", "beta"} {
		base := "/" + v + "/me/settings/windows"
		// The listing reads the instances it carries inline, so a fault at the instances fails it too.
		handle(base, EndpointGraphWindowsSettings, graph(needOwnWindowsSettings, (*Server).handleListSettings), EndpointGraphWindowsSettingInstances)
		handle(base+"/{id}", EndpointGraphWindowsSettings, graph(needOwnWindowsSettings, (*Server).handleGetSetting))
		handle(base+"/{id}/instances", EndpointGraphWindowsSettingInstances, graph(needOwnWindowsSettings, (*Server).handleListInstances))
		handle(base+"/{id}/instances/{instance}", EndpointGraphWindowsSettingInstances, graph(needOwnWindowsSettings, (*Server).handleGetInstance))
	}
	// An admin's view of one user's settings (beta): read and list with Read.All, delete all
	// with ReadWrite.All, both for a Microsoft 365 Backup Administrator (domain.md §7.4 [G]).
	handle("/beta/users/{user}/settings/windows", EndpointGraphUserSettings,
		graphAPI(graphMethods{http.MethodGet: needUsersSettingsRead, http.MethodHead: needUsersSettingsRead,
			http.MethodDelete: needUsersSettingsDelete}, (*Server).handleUserSettings), EndpointGraphWindowsSettingInstances)
	handle("/beta/users/{user}/settings/windows/{id}", EndpointGraphUserSettings,
		graph(needUsersSettingsRead, (*Server).handleGetUserSetting))
	handle("/beta/deviceManagement/deviceEnrollmentConfigurations", EndpointGraphEnrollmentConfigurations,
		graph(needEnrollmentRead, (*Server).handleListEnrollmentConfigurations))
	handle("/beta/deviceManagement/deviceEnrollmentConfigurations/{id}", EndpointGraphEnrollmentConfigurations,
		graphAPI(graphMethods{http.MethodGet: needEnrollmentRead, http.MethodHead: needEnrollmentRead, http.MethodPatch: needEnrollmentWrite}, (*Server).handleEnrollmentConfiguration))
	handle(backup.UploadPath, EndpointSimBackups, graphAPI(graphMethods{http.MethodPost: needAnyUserToken}, (*Server).handleUpload))
	handle(backup.RestoreResultPath, EndpointSimRestoreResults, graphAPI(graphMethods{http.MethodPost: needAnyUserToken}, (*Server).handleRestoreResult))
	handle("/_oobe/tenants/{tid}/restore-results", EndpointSimRestoreResults, graph(needRestoreReport, (*Server).handleListRestoreResults))
}

// graphWindowsSetting is Graph's windowsSetting, fields in the order Graph's documentation shows.
// A listing carries each setting's instances inline, as Graph's list example does and Microsoft's
// admin scripts rely on (domain.md §7.4 [G][S]); …/{id}/instances still serves them alone.
type graphWindowsSetting struct {
	Context         string                 `json:"@odata.context,omitempty"`
	Type            string                 `json:"@odata.type"`
	ID              string                 `json:"id"`
	WindowsDeviceID string                 `json:"windowsDeviceId,omitempty"`
	SettingType     string                 `json:"settingType"`
	PayloadType     string                 `json:"payloadType"`
	Instances       []graphSettingInstance `json:"instances,omitempty"`
}

// graphSettingInstance is Graph's windowsSettingInstance.
type graphSettingInstance struct {
	Context              string    `json:"@odata.context,omitempty"`
	Type                 string    `json:"@odata.type"`
	ID                   string    `json:"id"`
	Payload              string    `json:"payload"`
	LastModifiedDateTime time.Time `json:"lastModifiedDateTime"`
	CreatedDateTime      time.Time `json:"createdDateTime"`
	ExpirationDateTime   time.Time `json:"expirationDateTime"`
}

// graphPage is a Graph collection page.
type graphPage[T any] struct {
	Context  string `json:"@odata.context"`
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink,omitempty"`
}

func toGraphSetting(st storedSetting) graphWindowsSetting {
	return graphWindowsSetting{Type: odataWindowsSetting, ID: st.ID, WindowsDeviceID: st.DeviceID,
		SettingType: st.SettingType, PayloadType: st.PayloadType}
}

// toGraphSettingInline is the setting as a listing shows it: with its instances inline.
func toGraphSettingInline(st storedSetting) graphWindowsSetting {
	out := toGraphSetting(st)
	out.Instances = make([]graphSettingInstance, 0, len(st.Instances))
	for _, in := range st.Instances {
		out.Instances = append(out.Instances, toGraphInstance(in))
	}
	return out
}

func toGraphInstance(in storedInstance) graphSettingInstance {
	return graphSettingInstance{Type: odataWindowsSettingInstance, ID: in.ID, Payload: in.Payload,
		LastModifiedDateTime: in.Modified, CreatedDateTime: in.Created, ExpirationDateTime: in.Modified.Add(InstanceExpiry)}
}

// graphVersion is the Graph version a request was made under, "v1.0" or "beta".
func graphVersion(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/beta/") {
		return "beta"
	}
	return "v1.0"
}

// settingsContext is the @odata.context root of a user's Windows settings (oid lower case).
func (s *Server) settingsContext(r *http.Request, oid string) string {
	return s.baseURL(r) + "/" + graphVersion(r) + "/$metadata#users('" + oid + "')/settings/windows"
}

// pageCursor is what a $skiptoken carries: whose listing, which filter, and the last id served.
// Listing after an id rather than at an offset means a backup uploaded or deleted between pages
// neither repeats nor skips any other.
type pageCursor struct {
	V      int           `json:"v"`
	Tenant string        `json:"t"`
	User   string        `json:"u"`
	After  string        `json:"a"`
	Filter settingFilter `json:"f"`
}

const cursorVersion = 1

// signCursor makes a $skiptoken: the cursor and an HMAC over it, so a client can neither forge
// one nor use another user's.
func (s *Server) signCursor(c pageCursor) string {
	c.V = cursorVersion
	body, _ := json.Marshal(c) // a struct of strings always encodes
	mac := hmac.New(sha256.New, s.pageKey)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

var errBadSkipToken = errors.New("the $skiptoken is not one this service issued for this listing; start again without it")

// readCursor checks a $skiptoken and returns its cursor.
func (s *Server) readCursor(tok string) (pageCursor, error) {
	var c pageCursor
	b64body, b64mac, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 4096 {
		return c, errBadSkipToken
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64body)
	sum, err2 := base64.RawURLEncoding.DecodeString(b64mac)
	if err1 != nil || err2 != nil {
		return c, errBadSkipToken
	}
	mac := hmac.New(sha256.New, s.pageKey)
	mac.Write(body)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return c, errBadSkipToken
	}
	if err := json.Unmarshal(body, &c); err != nil || c.V != cursorVersion {
		return c, errBadSkipToken
	}
	return c, nil
}

// preferredPageSize reads odata.maxpagesize from the Prefer header(s). A value outside 1 to 200
// is refused rather than clamped, so a client's paging bug shows here and not in production.
func preferredPageSize(h http.Header) (size int, asked bool, err error) {
	for _, line := range h.Values("Prefer") {
		for _, pref := range strings.Split(line, ",") {
			pref, _, _ = strings.Cut(pref, ";")
			name, val, _ := strings.Cut(strings.TrimSpace(pref), "=")
			if !strings.EqualFold(strings.TrimSpace(name), "odata.maxpagesize") {
				continue
			}
			val = strings.Trim(strings.TrimSpace(val), `"`)
			n, err := strconv.Atoi(val)
			if err != nil || n < minPageSize || n > maxPageSize {
				return 0, true, fmt.Errorf("Prefer: odata.maxpagesize=%s is not a page size between %d and %d", clip(val, 20), minPageSize, maxPageSize)
			}
			return n, true, nil
		}
	}
	return defaultPageSize, false, nil
}

// filterClauseRE is one clause of the $filter Graph documents for this API: equality on
// settingType or windowsDeviceId, the value in single quotes, a quote inside doubled.
var filterClauseRE = regexp.MustCompile(`^\s*([A-Za-z]+)\s+([A-Za-z]+)\s+'((?:[^']|'')*)'\s*$`)

// parseSettingFilter reads "settingType eq 'backup'", "windowsDeviceId eq '<id>'", or both
// joined by "and".
func parseSettingFilter(raw string) (settingFilter, error) {
	var f settingFilter
	clauses := splitAnd(raw)
	if len(clauses) > 2 {
		return f, errors.New("Invalid filter clause: combine at most settingType and windowsDeviceId with 'and'.")
	}
	for _, clause := range clauses {
		m := filterClauseRE.FindStringSubmatch(clause)
		if m == nil || !strings.EqualFold(m[2], "eq") {
			return f, errors.New("Invalid filter clause: only settingType eq '<type>' and windowsDeviceId eq '<device id>' are supported.")
		}
		val := strings.ReplaceAll(m[3], "''", "'")
		switch strings.ToLower(m[1]) {
		case "settingtype":
			if f.SettingType != "" {
				return f, errors.New("Invalid filter clause: settingType appears twice.")
			}
			if val != backup.SettingTypeBackup && val != backup.SettingTypeRoaming && val != "unknownFutureValue" {
				return f, fmt.Errorf("Invalid filter clause: '%s' is not a windowsSettingType (roaming, backup).", clip(val, 64))
			}
			f.SettingType = val
		case "windowsdeviceid":
			if f.DeviceID != "" {
				return f, errors.New("Invalid filter clause: windowsDeviceId appears twice.")
			}
			if val == "" {
				val = "\x00" // an empty id matches nothing, rather than everything
			}
			f.DeviceID = strings.ToLower(val)
		default:
			return f, fmt.Errorf("Invalid filter clause: the property '%s' cannot be filtered on; use settingType or windowsDeviceId.", clip(m[1], 64))
		}
	}
	return f, nil
}

// splitAnd splits a filter at each " and " outside quotes.
func splitAnd(raw string) []string {
	const sep = " and "
	var parts []string
	inQuote, start := false, 0
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\'':
			inQuote = !inQuote
		case !inQuote && i > start && i+len(sep) <= len(raw) && strings.EqualFold(raw[i:i+len(sep)], sep):
			parts = append(parts, raw[start:i])
			start = i + len(sep)
			i = start - 1
		}
	}
	return append(parts, raw[start:])
}

// listQuery is a parsed listing request.
type listQuery struct {
	filter   settingFilter
	after    string
	pageSize int
	asked    bool
}

// parseListQuery reads $filter, $skiptoken, $expand=instances and Prefer. Other system query
// options are refused: Graph documents none for this API. $expand=instances changes nothing,
// since a listing always carries its instances, but clients written against other Graph APIs
// send it.
func (s *Server) parseListQuery(r *http.Request, tid, oid string) (listQuery, error) {
	var lq listQuery
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return lq, errors.New("The query string is malformed.")
	}
	for k, vals := range q {
		if !strings.HasPrefix(k, "$") {
			continue
		}
		if k != "$filter" && k != "$skiptoken" && k != "$expand" {
			return lq, fmt.Errorf("Query option '%s' is not supported by this API; use $filter and follow @odata.nextLink.", clip(k, 32))
		}
		if len(vals) > 1 {
			return lq, fmt.Errorf("Query option '%s' was specified more than once, but it must be specified at most once.", k)
		}
		if k == "$expand" && strings.TrimSpace(vals[0]) != "instances" {
			return lq, fmt.Errorf("Could not find a property named '%s' on type 'microsoft.graph.windowsSetting' to expand; only instances can be expanded.", clip(vals[0], 64))
		}
	}
	if q.Has("$filter") {
		if lq.filter, err = parseSettingFilter(q.Get("$filter")); err != nil {
			return lq, err
		}
	}
	if q.Has("$skiptoken") {
		c, err := s.readCursor(q.Get("$skiptoken"))
		if err != nil {
			return lq, err
		}
		if c.Tenant != tid || c.User != oid {
			return lq, errBadSkipToken
		}
		if q.Has("$filter") && c.Filter != lq.filter {
			return lq, errors.New("The $filter differs from the one the $skiptoken was issued for; follow @odata.nextLink unchanged.")
		}
		lq.filter, lq.after = c.Filter, c.After
	}
	lq.pageSize, lq.asked, err = preferredPageSize(r.Header)
	return lq, err
}

// handleListSettings lists the signed-in user's Windows settings that have a live instance.
func (s *Server) handleListSettings(w http.ResponseWriter, r *http.Request, p *principal) {
	s.listSettings(w, r, p, strings.ToLower(p.user.ObjectID))
}

// listSettings lists the Windows settings of the user oid (lower case) of the caller's tenant
// that have a live instance: the signed-in user's own, or, for an admin, another user's.
func (s *Server) listSettings(w http.ResponseWriter, r *http.Request, p *principal, oid string) {
	lq, err := s.parseListQuery(r, p.ts.id, oid)
	if err != nil {
		s.writeGraphError(w, r, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	list, err := s.store.liveSettings(r.Context(), p.ts.id, oid, lq.filter, lq.after, lq.pageSize+1, s.clock.Now())
	if err != nil {
		s.storeFailed(w, r, err)
		return
	}
	page := graphPage[graphWindowsSetting]{Context: s.settingsContext(r, oid), Value: []graphWindowsSetting{}}
	if len(list) > lq.pageSize {
		list = list[:lq.pageSize]
		tok := s.signCursor(pageCursor{Tenant: p.ts.id, User: oid, After: list[len(list)-1].ID, Filter: lq.filter})
		page.NextLink = s.baseURL(r) + r.URL.Path + "?$skiptoken=" + url.QueryEscape(tok)
	}
	for _, st := range list {
		page.Value = append(page.Value, toGraphSettingInline(st))
	}
	if lq.asked {
		w.Header().Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(lq.pageSize))
	}
	graphJSON(w, page)
}

// liveSettingOr404 finds one of the signed-in user's settings with a live instance, or answers
// 404: another user's id and an expired backup look the same as one that never was.
func (s *Server) liveSettingOr404(w http.ResponseWriter, r *http.Request, p *principal) *storedSetting {
	return s.liveSettingOf(w, r, p.ts.id, strings.ToLower(p.user.ObjectID), "the signed-in user")
}

// liveSettingOf is liveSettingOr404 for the user oid (lower case) of tenant tid, named whose
// in the 404.
func (s *Server) liveSettingOf(w http.ResponseWriter, r *http.Request, tid, oid, whose string) *storedSetting {
	id := r.PathValue("id")
	st, err := s.store.liveSetting(r.Context(), tid, oid, id, s.clock.Now())
	if err != nil {
		s.storeFailed(w, r, err)
		return nil
	}
	if st == nil {
		s.writeGraphError(w, r, http.StatusNotFound, "ResourceNotFound",
			"The windowsSetting '"+clip(id, 200)+"' was not found for "+whose+".")
		return nil
	}
	return st
}

func (s *Server) handleGetSetting(w http.ResponseWriter, r *http.Request, p *principal) {
	st := s.liveSettingOr404(w, r, p)
	if st == nil {
		return
	}
	out := toGraphSetting(*st)
	out.Context = s.settingsContext(r, strings.ToLower(p.user.ObjectID)) + "/$entity"
	graphJSON(w, out)
}

func (s *Server) handleListInstances(w http.ResponseWriter, r *http.Request, p *principal) {
	st := s.liveSettingOr404(w, r, p)
	if st == nil {
		return
	}
	page := graphPage[graphSettingInstance]{
		Context: s.settingsContext(r, strings.ToLower(p.user.ObjectID)) + "('" + st.ID + "')/instances",
		Value:   []graphSettingInstance{},
	}
	for _, in := range st.Instances {
		page.Value = append(page.Value, toGraphInstance(in))
	}
	graphJSON(w, page)
}

func (s *Server) handleGetInstance(w http.ResponseWriter, r *http.Request, p *principal) {
	st := s.liveSettingOr404(w, r, p)
	if st == nil {
		return
	}
	want := r.PathValue("instance")
	for _, in := range st.Instances {
		if in.ID == want {
			out := toGraphInstance(in)
			out.Context = s.settingsContext(r, strings.ToLower(p.user.ObjectID)) + "('" + st.ID + "')/instances/$entity"
			graphJSON(w, out)
			return
		}
	}
	s.writeGraphError(w, r, http.StatusNotFound, "ResourceNotFound",
		"The windowsSettingInstance '"+clip(want, 200)+"' was not found.")
}

// storeFailed answers a database failure as Graph answers its own: a 500 generalException.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("tenant database failed", "trace_id", info(r).traceID, "err", err)
	s.writeGraphError(w, r, http.StatusInternalServerError, "generalException",
		"An internal error occurred in the simulated tenant's database.")
}
