package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
)

var start = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// fakeGraph serves /v1.0/me/settings/windows from a list, paging by $skiptoken, and can
// answer a scripted number of failures first.
type fakeGraph struct {
	mu       sync.Mutex
	settings []backup.WindowsSetting
	fail     []int // statuses to answer before serving, in order
	retryAft string
	prefer   []string
	tokens   []string
	next     string // overrides the nextLink host, to test the host check
}

func (g *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens = append(g.tokens, r.Header.Get("Authorization"))
	g.prefer = append(g.prefer, r.Header.Get("Prefer"))
	if len(g.fail) > 0 {
		status := g.fail[0]
		g.fail = g.fail[1:]
		if g.retryAft != "" {
			w.Header().Set("Retry-After", g.retryAft)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"code":"TooManyRequests","message":"slow down","innerError":{"request-id":"r-1"}}}`)
		return
	}
	size := 110
	if p := r.Header.Get("Prefer"); strings.HasPrefix(p, "odata.maxpagesize=") {
		size, _ = strconv.Atoi(strings.TrimPrefix(p, "odata.maxpagesize="))
	}
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(skip+size, len(g.settings))
	page := map[string]any{"value": g.settings[skip:end]}
	if end < len(g.settings) {
		host := "http://" + r.Host
		if g.next != "" {
			host = g.next
		}
		page["@odata.nextLink"] = host + "/v1.0/me/settings/windows?$filter=x&$skiptoken=" + strconv.Itoa(end)
	}
	_ = json.NewEncoder(w).Encode(page)
}

func newClient(t *testing.T, g *fakeGraph, vc *clock.Virtual) *Client {
	t.Helper()
	ts := httptest.NewServer(g)
	t.Cleanup(ts.Close)
	n := 0
	c, err := New(Config{BaseURL: ts.URL, Clock: vc, Token: func(context.Context) (string, error) {
		n++
		return "token-" + strconv.Itoa(n), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func settings(n int) []backup.WindowsSetting {
	out := make([]backup.WindowsSetting, n)
	for i := range out {
		out[i] = backup.WindowsSetting{ID: fmt.Sprintf("s-%03d", i), PayloadType: backup.PayloadDeviceProfile, SettingType: "backup", WindowsDeviceID: fmt.Sprintf("d-%03d", i)}
	}
	return out
}

func TestWindowsSettingsFollowsEveryPageOnce(t *testing.T) {
	for _, size := range []int{1, 7, 110, 200} {
		t.Run("page size "+strconv.Itoa(size), func(t *testing.T) {
			g := &fakeGraph{settings: settings(250)}
			c := newClient(t, g, clock.NewVirtual(start))
			got, err := c.WindowsSettings(context.Background(), "settingType eq 'backup'", size)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 250 || got[0].ID != "s-000" || got[249].ID != "s-249" {
				t.Fatalf("got %d settings", len(got))
			}
			if g.prefer[0] != "odata.maxpagesize="+strconv.Itoa(size) {
				t.Fatalf("Prefer = %q", g.prefer[0])
			}
			if want := (250 + size - 1) / size; len(g.tokens) != want {
				t.Fatalf("%d requests, want %d", len(g.tokens), want)
			}
		})
	}
}

func TestANextLinkToAnotherHostIsRefused(t *testing.T) {
	g := &fakeGraph{settings: settings(3), next: "http://evil.example"}
	c := newClient(t, g, clock.NewVirtual(start))
	_, err := c.WindowsSettings(context.Background(), "", 1)
	if err == nil || !strings.Contains(err.Error(), "refusing to follow") {
		t.Fatalf("err = %v, want the foreign nextLink refused", err)
	}
	if len(g.tokens) != 1 {
		t.Fatalf("%d requests: the token went to the foreign host", len(g.tokens))
	}
}

func TestThrottlingIsRetriedAfterRetryAfterInVirtualTime(t *testing.T) {
	g := &fakeGraph{settings: settings(2), fail: []int{429, 429}, retryAft: "7"}
	vc := clock.NewVirtual(start)
	c := newClient(t, g, vc)
	got, err := c.WindowsSettings(context.Background(), "", 200)
	if err != nil || len(got) != 2 {
		t.Fatalf("got %d, err %v", len(got), err)
	}
	if waited := vc.Now().Sub(start); waited != 14*time.Second {
		t.Fatalf("waited %s of virtual time, want 2 × Retry-After 7s", waited)
	}
	if g.tokens[0] == g.tokens[1] {
		t.Fatal("the token was not asked for again before the retry")
	}
}

func TestServerErrorsGiveUpAfterBoundedRetries(t *testing.T) {
	g := &fakeGraph{settings: settings(2), fail: []int{503, 503, 503, 503, 503, 503}}
	vc := clock.NewVirtual(start)
	c := newClient(t, g, vc)
	_, err := c.WindowsSettings(context.Background(), "", 200)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 503 || ge.RequestID != "r-1" {
		t.Fatalf("err = %v, want the Graph 503 error", err)
	}
	if len(g.tokens) != 5 {
		t.Fatalf("%d attempts, want 1 + 4 retries", len(g.tokens))
	}
	if waited := vc.Now().Sub(start); waited != (1+2+4+8)*time.Second {
		t.Fatalf("backoff waited %s, want 15s (1+2+4+8)", waited)
	}
}

func TestANonRetryableErrorIsReturnedAtOnce(t *testing.T) {
	g := &fakeGraph{fail: []int{403}}
	c := newClient(t, g, clock.NewVirtual(start))
	_, err := c.WindowsSettings(context.Background(), "", 200)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 403 || len(g.tokens) != 1 {
		t.Fatalf("err = %v after %d requests, want one 403", err, len(g.tokens))
	}
}

func TestPageSizeOutsideGraphsRangeIsRefused(t *testing.T) {
	c := newClient(t, &fakeGraph{}, clock.NewVirtual(start))
	for _, n := range []int{0, 201} {
		if _, err := c.WindowsSettings(context.Background(), "", n); err == nil {
			t.Fatalf("page size %d accepted", n)
		}
	}
}

func TestADuplicateSettingWhilePagingIsAnError(t *testing.T) {
	list := settings(3)
	list[2] = list[0]
	g := &fakeGraph{settings: list}
	c := newClient(t, g, clock.NewVirtual(start))
	if _, err := c.WindowsSettings(context.Background(), "", 1); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("err = %v, want the duplicate reported", err)
	}
}

// instanceGraph serves two previous PCs: one whose deviceprofile is damaged, and one whose
// content payload fails its checksum.
func instanceGraph(t *testing.T) http.Handler {
	good, _ := backup.EncodePayload(backup.DeviceProfilePayload{ProfileID: "{00000000-0000-0000-0000-000000000002}", DeviceDisplayName: "PC-TWO",
		CreatedBy: "windows", CreatedTime: 1, ModifiedTime: 2, IsActive: true, LastFullBackupCompletedTime: 2, OSVersion: "10.0.22631.4317"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/me/settings/windows", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"value": []backup.WindowsSetting{
			{ID: "p1", PayloadType: backup.PayloadDeviceProfile, SettingType: "backup", WindowsDeviceID: "00000000-0000-0000-0000-000000000001"},
			{ID: "p2", PayloadType: backup.PayloadDeviceProfile, SettingType: "backup", WindowsDeviceID: "00000000-0000-0000-0000-000000000002"},
			{ID: "c2", PayloadType: backup.PayloadContent, SettingType: "backup", WindowsDeviceID: "00000000-0000-0000-0000-000000000002"},
		}})
	})
	instance := func(payload string) map[string]any {
		return map[string]any{"value": []backup.WindowsSettingInstance{{ID: "i", Payload: payload, LastModifiedDateTime: start}}}
	}
	mux.HandleFunc("GET /v1.0/me/settings/windows/p1/instances", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(instance("bm90IGpzb24=")) // "not json"
	})
	mux.HandleFunc("GET /v1.0/me/settings/windows/p2/instances", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(instance(good))
	})
	mux.HandleFunc("GET /v1.0/me/settings/windows/c2/instances", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(instance("eyJ2ZXJzaW9uIjoxfQ==")) // {"version":1}: no checksum
	})
	return mux
}

func TestAnUnreadableProfileIsLeftOutAndReportedWhileTheOthersAreListed(t *testing.T) {
	ts := httptest.NewServer(instanceGraph(t))
	t.Cleanup(ts.Close)
	var skipped []SkippedProfile
	c, err := New(Config{BaseURL: ts.URL, Clock: clock.NewVirtual(start), Token: func(context.Context) (string, error) { return "t", nil },
		OnSkip: func(s SkippedProfile) { skipped = append(skipped, s) }})
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := c.BackupProfiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(profiles) != 1 || profiles[0].DeviceName != "PC-TWO" {
		t.Fatalf("listed %+v, want only PC-TWO", profiles)
	}
	if profiles[0].Content != nil || !strings.Contains(profiles[0].ContentError, "checksum") {
		t.Fatalf("PC-TWO's damaged content: Content %v, ContentError %q", profiles[0].Content, profiles[0].ContentError)
	}
	if len(skipped) != 1 || skipped[0].WindowsDeviceID != "00000000-0000-0000-0000-000000000001" {
		t.Fatalf("skipped %+v, want the PC with the damaged deviceprofile", skipped)
	}
}

func TestATokenRefusedAsExpiredIsRenewedOnce(t *testing.T) {
	calls := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Header.Get("Authorization") != "Bearer fresh" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}`)
			return
		}
		fmt.Fprint(w, `{"value":[]}`)
	}))
	t.Cleanup(ts.Close)
	tokens := []string{"expired", "fresh"}
	c, err := New(Config{BaseURL: ts.URL, Clock: clock.NewVirtual(start), Token: func(context.Context) (string, error) {
		tok := tokens[0]
		if len(tokens) > 1 {
			tokens = tokens[1:]
		}
		return tok, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WindowsSettings(context.Background(), "", 200); err != nil || calls != 2 {
		t.Fatalf("err %v after %d calls, want success on the second with the fresh token", err, calls)
	}
	// A token refused again is an error, not a loop.
	calls, tokens = 0, []string{"expired"}
	var ge *Error
	if _, err := c.WindowsSettings(context.Background(), "", 200); !errors.As(err, &ge) || ge.Status != 401 || calls != 2 {
		t.Fatalf("err %v after %d calls, want the 401 after one renewal", err, calls)
	}
}

// A tenant that stored control characters in a previous PC's name (the simulator refuses
// them; another might not): the PC is left out and reported, never shown or printed raw.
func TestAProfileWhoseNameHoldsControlCharactersIsLeftOut(t *testing.T) {
	hostile, _ := backup.EncodePayload(backup.DeviceProfilePayload{ProfileID: "{00000000-0000-0000-0000-000000000003}", DeviceDisplayName: "PC\x1b[2J",
		CreatedBy: "windows", CreatedTime: 1, ModifiedTime: 2, IsActive: true, LastFullBackupCompletedTime: 2, OSVersion: "10.0.22631.4317"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/me/settings/windows", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"value": []backup.WindowsSetting{
			{ID: "p3", PayloadType: backup.PayloadDeviceProfile, SettingType: "backup", WindowsDeviceID: "00000000-0000-0000-0000-000000000003"},
		}})
	})
	mux.HandleFunc("GET /v1.0/me/settings/windows/p3/instances", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"value": []backup.WindowsSettingInstance{{ID: "i", Payload: hostile, LastModifiedDateTime: start}}})
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	var skipped []SkippedProfile
	c, err := New(Config{BaseURL: ts.URL, Clock: clock.NewVirtual(start), Token: func(context.Context) (string, error) { return "t", nil },
		OnSkip: func(s SkippedProfile) { skipped = append(skipped, s) }})
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := c.BackupProfiles(context.Background())
	if err != nil || len(profiles) != 0 || len(skipped) != 1 || strings.ContainsRune(skipped[0].Reason, '\x1b') || !strings.Contains(skipped[0].Reason, "control character") {
		t.Fatalf("profiles %+v, skipped %+v, err %v: want it left out, its reason naming the control character without it", profiles, skipped, err)
	}
}
