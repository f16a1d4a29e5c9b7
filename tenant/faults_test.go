package tenant

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaultsAtNamedEndpoints(t *testing.T) {
	discovery := "/" + contosoID + "/v2.0/.well-known/openid-configuration"
	cases := []struct {
		name  string
		fault Fault
		check func(t *testing.T, h *harness)
	}{
		{"a delay passes on the injected clock, then answers normally",
			Fault{Endpoint: EndpointDiscovery, Kind: FaultDelay, Delay: 30 * time.Second, Times: 1},
			func(t *testing.T, h *harness) {
				resp, body := h.get(discovery)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				if got := h.clock.Now().Sub(testStart); got != 30*time.Second {
					t.Fatalf("virtual clock moved %v, want 30s", got)
				}
			}},
		{"a throttle at the token endpoint is a 429 with Retry-After and Entra's error",
			Fault{Endpoint: EndpointToken, Kind: FaultThrottle, RetryAfter: 6500 * time.Millisecond},
			func(t *testing.T, h *harness) {
				resp, body := h.poll(contosoID, contosoClient, "x")
				wantEntraError(t, resp, body, http.StatusTooManyRequests, "temporarily_unavailable", 90055)
				if ra := resp.Header.Get("Retry-After"); ra != "7" {
					t.Fatalf("Retry-After = %q, want 7", ra)
				}
			}},
		{"a throttle at Graph is a 429 with Graph's error",
			Fault{Endpoint: EndpointGraphMe, Kind: FaultThrottle},
			func(t *testing.T, h *harness) {
				resp, body := h.get("/v1.0/me")
				if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
					t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
				}
				if e := decodeJSON[graphErrorBody](t, body); e.Error.Code != "TooManyRequests" {
					t.Fatalf("error = %+v", e)
				}
			}},
		{"a server error defaults to 503",
			Fault{Endpoint: EndpointDeviceCode, Kind: FaultServerError},
			func(t *testing.T, h *harness) {
				resp, body := h.post("/"+contosoID+"/oauth2/v2.0/devicecode", url.Values{"client_id": {contosoClient}, "scope": {"openid"}})
				wantEntraError(t, resp, body, http.StatusServiceUnavailable, "temporarily_unavailable", 90033)
			}},
		{"a server error takes its status",
			Fault{Endpoint: EndpointGraphDevices, Kind: FaultServerError, Status: 500},
			func(t *testing.T, h *harness) {
				resp, body := h.get("/v1.0/devices")
				if resp.StatusCode != 500 || decodeJSON[graphErrorBody](t, body).Error.Code != "generalException" {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
			}},
		{"a drop closes the connection without an answer",
			Fault{Endpoint: EndpointKeys, Kind: FaultDrop, Times: 1},
			func(t *testing.T, h *harness) {
				// A fresh connection, so the client cannot quietly retry on a reused one.
				c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
				resp, err := c.Get(h.url("/" + contosoID + "/discovery/v2.0/keys"))
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want a dropped connection", resp.StatusCode)
				}
				if resp, _ := h.get("/" + contosoID + "/discovery/v2.0/keys"); resp.StatusCode != http.StatusOK {
					t.Fatalf("after the one drop: status %d", resp.StatusCode)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if err := h.srv.Faults().Add(c.fault); err != nil {
				t.Fatal(err)
			}
			c.check(t, h)
			if !strings.Contains(h.logs.String(), "fault="+c.fault.Kind.String()) {
				t.Errorf("the request log does not name the fault:\n%s", h.logs.String())
			}
		})
	}
}

func TestFaultTimesAndClear(t *testing.T) {
	h := newHarness(t)
	discovery := "/" + contosoID + "/v2.0/.well-known/openid-configuration"
	faults := h.srv.Faults()
	if err := faults.Add(Fault{Endpoint: EndpointDiscovery, Kind: FaultServerError, Times: 2}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{503, 503, 200} {
		if resp, _ := h.get(discovery); resp.StatusCode != want {
			t.Fatalf("request %d: status %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if err := faults.Add(Fault{Endpoint: EndpointDiscovery, Kind: FaultThrottle}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if resp, _ := h.get(discovery); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a fault with Times 0 stopped hitting: %d", resp.StatusCode)
		}
	}
	faults.Clear()
	if resp, _ := h.get(discovery); resp.StatusCode != http.StatusOK {
		t.Fatalf("after Clear: %d", resp.StatusCode)
	}
}

func TestFaultsRefuseWhatCannotHappen(t *testing.T) {
	cases := []struct {
		name  string
		fault Fault
	}{
		{"an unknown endpoint", Fault{Endpoint: "graph.everything", Kind: FaultDrop}},
		{"no kind", Fault{Endpoint: EndpointToken}},
		{"a status that is not 5xx", Fault{Endpoint: EndpointToken, Kind: FaultServerError, Status: 404}},
		{"negative times", Fault{Endpoint: EndpointToken, Kind: FaultDrop, Times: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var f Faults
			if err := f.Add(c.fault); err == nil {
				t.Fatalf("Add(%+v) succeeded", c.fault)
			}
		})
	}
}

func TestFaultsEndpointAddsAndClears(t *testing.T) {
	h := newHarness(t)
	postJSON := func(ctype, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, h.url("/_oobe/faults"), strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+h.srv.AdminSecret())
		resp, _ := h.do(req)
		return resp
	}
	if resp := postJSON("application/x-www-form-urlencoded", "endpoint=token&kind=drop"); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("a form post added a fault: %d", resp.StatusCode)
	}
	if resp := postJSON("application/json", `{"endpoint":"token","kind":"explode"}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown kind: %d", resp.StatusCode)
	}
	if resp := postJSON("application/json", `{"endpoint":"token","kind":"throttle","retryAfter":"3s"}`); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("adding a fault: %d", resp.StatusCode)
	}
	resp, _ := h.poll(contosoID, contosoClient, "x")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("the added fault did not apply: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	req, _ := http.NewRequest(http.MethodDelete, h.url("/_oobe/faults"), nil)
	req.Header.Set(AdminSecretHeader, h.srv.AdminSecret())
	if resp, _ := h.do(req); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("clearing: %d", resp.StatusCode)
	}
	if resp, _ := h.poll(contosoID, contosoClient, "x"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("after clearing: %d", resp.StatusCode)
	}
}

func TestUnfiredFaultsAreThoseNoRequestReached(t *testing.T) {
	var f Faults
	for _, ft := range []Fault{
		{Endpoint: EndpointGraphMe, Kind: FaultThrottle, Times: 2},
		{Endpoint: EndpointToken, Kind: FaultServerError, Times: 1},
		{Endpoint: EndpointKeys, Kind: FaultDrop},
	} {
		if err := f.Add(ft); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := f.take(EndpointGraphMe); !ok {
		t.Fatal("the graph.me fault did not fire")
	}
	got := f.Unfired()
	if len(got) != 2 || got[0].Endpoint != EndpointToken || got[1].Endpoint != EndpointKeys {
		t.Fatalf("unfired %+v, want the token and keys faults", got)
	}
	if got[0].Times != 1 {
		t.Fatalf("an unfired fault reports Times %d, want the 1 it was added with", got[0].Times)
	}
	f.Clear()
	if len(f.Unfired()) != 0 {
		t.Fatal("Clear kept unfired faults")
	}
}
