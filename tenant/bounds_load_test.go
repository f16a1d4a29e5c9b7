package tenant

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// loadRequests is how many authorize GETs and device-code POSTs the bounded load test sends,
// each: well past the default caps (1,024 per tenant), so eviction is what keeps memory down.
const loadRequests = 6000

// loadHeapBound is the most the heap may grow over the load test (docs/performance.md): the
// capped stores at their longest parameters (1,024 flows of ~3 KB, 1,024 live and 1,024 retired
// device codes) come to about 5 MB.
const loadHeapBound = 16 << 20

// heapInUse is the heap in use after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestBoundedMemoryUnderSignInFlood sends authorize GETs (half of them with a 60 KB login_hint,
// which is refused, half with every kept parameter at its limit) and device-code POSTs over
// loopback to a served tenant, and checks that the heap grows by less than loadHeapBound. It
// bounds memory, never time.
func TestBoundedMemoryUnderSignInFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("the load test sends 12,000 requests")
	}
	srv, err := New(Config{Tenants: demoTenants(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	base, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(client.CloseIdleConnections)

	long := authorizeQuery("http://127.0.0.1:49152/", "", "")
	long.Set("login_hint", strings.Repeat("h", 256))
	long.Set("state", strings.Repeat("s", 2048))
	long.Set("nonce", strings.Repeat("n", 512))
	tooLong := authorizeQuery("http://127.0.0.1:49152/", "", "")
	tooLong.Set("login_hint", strings.Repeat("h", 60<<10))
	authorize := []string{
		base + "/" + contosoID + "/oauth2/v2.0/authorize?" + long.Encode(),
		base + "/" + contosoID + "/oauth2/v2.0/authorize?" + tooLong.Encode(),
	}
	device := url.Values{"client_id": {contosoClient}, "scope": {harnessScope}}.Encode()

	before := heapInUse()
	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, 1)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var resp *http.Response
				var err error
				if i%2 == 0 {
					resp, err = client.Get(authorize[(i/2)%2])
				} else {
					resp, err = client.Post(base+"/"+contosoID+"/oauth2/v2.0/devicecode", "application/x-www-form-urlencoded", strings.NewReader(device))
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for i := range 2 * loadRequests {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	client.CloseIdleConnections()
	after := heapInUse()
	sz := srv.grantSizes()
	growth := int64(after) - int64(before)
	t.Logf("%d authorize GETs and %d device-code POSTs: heap in use %d -> %d bytes (growth %.1f MB); kept %d flows, %d device codes",
		loadRequests, loadRequests, before, after, float64(growth)/(1<<20), sz.flows, sz.devices)
	if sz.flows > defaultPendingPerTenant || sz.devices > 2*defaultPendingPerTenant {
		t.Errorf("kept %d flows and %d device codes, past the caps", sz.flows, sz.devices)
	}
	if growth > loadHeapBound {
		t.Errorf("heap grew by %d bytes, more than the %d bound", growth, loadHeapBound)
	}
}
