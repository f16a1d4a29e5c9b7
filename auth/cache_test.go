package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleResult() *Result {
	return &Result{
		IDToken: "id-token-value", AccessToken: "access-token-value", RefreshToken: "refresh-token-value",
		Expiry:   t0.Add(time.Hour),
		Identity: Identity{UPN: testUPN, Name: "Adele Vance", TenantID: testTenant, ObjectID: testOID},
		Flow:     FlowDevice,
	}
}

func sampleKey() Key {
	return Key{Authority: "https://login.microsoftonline.com/" + testTenant, ClientID: testClient, User: testUPN}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestCacheSaveWritesPrivateFilesInAPrivateDirectory(t *testing.T) {
	if !checkPerms {
		t.Skip("POSIX modes do not protect files on this system")
	}
	cases := []struct {
		name    string
		prepare func(dir string)
	}{
		{"a new directory is created 0700", func(string) {}},
		{"an existing 0755 directory is narrowed to 0700", func(dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"an existing 0644 entry is replaced by a 0600 one", func(dir string) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sampleKey().fileName()), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cache := &Cache{Dir: filepath.Join(t.TempDir(), "oobe", "tokens")}
			tc.prepare(cache.Dir)
			if err := cache.Save(sampleKey(), sampleResult()); err != nil {
				t.Fatalf("Save: %v", err)
			}
			if got := mode(t, cache.Dir); got != 0o700 {
				t.Errorf("directory mode %v, want 0700", got)
			}
			if got := mode(t, cache.Path(sampleKey())); got != 0o600 {
				t.Errorf("file mode %v, want 0600", got)
			}
			entries, _ := os.ReadDir(cache.Dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want 1 (no temporary files left)", len(entries))
			}
			got, err := cache.Load(sampleKey())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.AccessToken != "access-token-value" || got.RefreshToken != "refresh-token-value" || got.Identity.ObjectID != testOID {
				t.Fatalf("loaded %+v", got.Result().Identity)
			}
		})
	}
}

func TestCacheLoadRefusesExposedFiles(t *testing.T) {
	if !checkPerms {
		t.Skip("POSIX modes do not protect files on this system")
	}
	for _, m := range []os.FileMode{0o640, 0o604, 0o660, 0o666} {
		t.Run(fmt.Sprintf("a %v file is not read", m), func(t *testing.T) {
			cache := &Cache{Dir: t.TempDir()}
			if err := cache.Save(sampleKey(), sampleResult()); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(cache.Path(sampleKey()), m); err != nil {
				t.Fatal(err)
			}
			_, err := cache.Load(sampleKey())
			var pe *CachePermissionError
			if !errors.As(err, &pe) || pe.Mode.Perm() != m {
				t.Fatalf("Load = %v, want a CachePermissionError for mode %v", err, m)
			}
		})
	}
	t.Run("a symbolic link is not followed", func(t *testing.T) {
		cache := &Cache{Dir: t.TempDir()}
		target := filepath.Join(t.TempDir(), "elsewhere.json")
		if err := os.WriteFile(target, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, cache.Path(sampleKey())); err != nil {
			t.Skip("no symbolic links here")
		}
		if _, err := cache.Load(sampleKey()); err == nil || errors.Is(err, ErrNotCached) {
			t.Fatalf("Load = %v, want a refusal", err)
		}
	})
}

func TestCacheKeysAreHashedAndSeparate(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	a := sampleKey()
	b := a
	b.User = "admin@contoso.com"
	c := a
	c.ClientID = "6eb51157-314b-4085-9b7e-31b5067e1083"
	if err := cache.Save(a, sampleResult()); err != nil {
		t.Fatal(err)
	}
	for _, k := range []Key{b, c} {
		if _, err := cache.Load(k); !errors.Is(err, ErrNotCached) {
			t.Errorf("Load(%+v) = %v, want ErrNotCached", k, err)
		}
	}
	upper := a
	upper.User = strings.ToUpper(a.User)
	if _, err := cache.Load(upper); err != nil {
		t.Errorf("a UPN in another case is another entry: %v", err)
	}
	name := filepath.Base(cache.Path(a))
	if strings.Contains(name, "adele") || strings.Contains(name, testTenant) || len(name) != 64+len(".json") {
		t.Errorf("file name %q reveals the key or is not a hash", name)
	}
	if err := cache.Delete(a); err != nil {
		t.Fatal(err)
	}
	if err := cache.Delete(a); err != nil {
		t.Errorf("deleting a missing entry: %v", err)
	}
	if _, err := cache.Load(a); !errors.Is(err, ErrNotCached) {
		t.Errorf("Load after Delete = %v", err)
	}
}

func TestCacheLoadRefusesAFileMovedFromAnotherKey(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	other := sampleKey()
	other.User = "admin@contoso.com"
	if err := cache.Save(other, sampleResult()); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(cache.Path(other), cache.Path(sampleKey())); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Load(sampleKey()); err == nil {
		t.Fatal("Load accepted another key's entry")
	}
}

func TestSignInUsesCacheThenRefreshThenInteraction(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	cache := &Cache{Dir: filepath.Join(t.TempDir(), "tokens")}
	interactive := 0
	deviceFlow := func(ctx context.Context) (*Result, error) {
		interactive++
		return c.DeviceCode(ctx, nil)
	}
	signIn := func(step string, wantFlow Flow) *Result {
		t.Helper()
		res, err := c.SignIn(context.Background(), cache, testUPN, deviceFlow)
		if err != nil {
			t.Fatalf("%s: SignIn: %v", step, err)
		}
		if res.Flow != wantFlow || res.Identity.ObjectID != testOID {
			t.Fatalf("%s: result %v, want flow %s", step, res, wantFlow)
		}
		return res
	}

	first := signIn("first sign-in", FlowDevice)
	signIn("while the access token is valid", FlowCache)
	if interactive != 1 || len(ti.requests()) != 1 {
		t.Fatalf("the cached token caused %d interactive runs and %d token requests", interactive, len(ti.requests()))
	}

	ti.clk.Advance(time.Hour) // the access token (3599 s) has expired
	refreshed := signIn("after the access token expired", FlowRefresh)
	last := ti.requests()[len(ti.requests())-1]
	if last.Form.Get("grant_type") != "refresh_token" || last.Form.Get("refresh_token") != first.RefreshToken || last.Form.Has("client_secret") {
		t.Fatalf("refresh request %v", last.Form)
	}
	if refreshed.RefreshToken == first.RefreshToken {
		t.Fatal("the rotated refresh token was not kept")
	}
	cached, err := cache.Load(c.Key(testUPN))
	if err != nil || cached.RefreshToken != refreshed.RefreshToken || !cached.Expiry.Equal(ti.clk.Now().Add(3599*time.Second)) {
		t.Fatalf("cache after refresh: %v, %v", cached, err)
	}
	if interactive != 1 {
		t.Fatalf("refresh ran the interactive flow")
	}

	ti.clk.Advance(time.Hour)
	ti.mu.Lock()
	ti.refreshTokens = map[string]bool{} // the tenant revoked every refresh token
	ti.mu.Unlock()
	signIn("after the refresh token was revoked", FlowDevice)
	if interactive != 2 {
		t.Fatalf("a revoked refresh token ran the interactive flow %d times, want 2 in all", interactive)
	}
}

func TestSignInRefusesAnotherUserThanAskedFor(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	cache := &Cache{Dir: t.TempDir()}
	_, err := c.SignIn(context.Background(), cache, "admin@contoso.com", func(ctx context.Context) (*Result, error) {
		return c.DeviceCode(ctx, nil)
	})
	wantSignInError(t, err, CodeWrongUser, 0)
	if _, err := cache.Load(c.Key("admin@contoso.com")); !errors.Is(err, ErrNotCached) {
		t.Fatalf("the wrong user's tokens were cached: %v", err)
	}
}

func TestSignInReplacesAnExposedCacheEntry(t *testing.T) {
	if !checkPerms {
		t.Skip("POSIX modes do not protect files on this system")
	}
	ti := newTestIssuer(t)
	c := ti.client(t)
	cache := &Cache{Dir: t.TempDir()}
	planted := sampleResult()
	planted.Expiry = t0.Add(24 * time.Hour)
	if err := cache.Save(c.Key(""), planted); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cache.Path(c.Key("")), 0o666); err != nil {
		t.Fatal(err)
	}
	res, err := c.SignIn(context.Background(), cache, "", func(ctx context.Context) (*Result, error) { return c.DeviceCode(ctx, nil) })
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if res.Flow != FlowDevice || res.AccessToken == planted.AccessToken {
		t.Fatalf("the exposed entry was used: %v", res)
	}
	if got := mode(t, cache.Path(c.Key(""))); got != 0o600 {
		t.Fatalf("the replaced entry has mode %v", got)
	}
}

func TestNoTokenOrCodeReachesLogsOrOutput(t *testing.T) {
	ti := newTestIssuer(t)
	c := ti.client(t)
	cache := &Cache{Dir: t.TempDir()}
	b := newBrowser(t)
	var printed syncBuffer
	var results []*Result
	var errs []error
	keep := func(r *Result, err error) {
		if r != nil {
			results = append(results, r)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Every flow once, with success and failure, so every log line is produced.
	ti.devicePolls = []pollAnswer{pending, slowDown, {drop: true}, approve}
	keep(c.SignIn(context.Background(), cache, testUPN, func(ctx context.Context) (*Result, error) { return c.DeviceCode(ctx, nil) }))
	keep(c.SignIn(context.Background(), cache, testUPN, nil))
	ti.clk.Advance(2 * time.Hour)
	keep(c.SignIn(context.Background(), cache, testUPN, nil))
	keep(c.Browser(context.Background(), BrowserOptions{Out: &printed, Open: func(u string) error {
		p := authParams(t, u)
		b.get(p.Get("redirect_uri") + "?code=forged&state=wrong")
		b.get(u)
		return nil
	}}))
	keep(c.Refresh(context.Background(), "refresh-token-never-issued"))
	ti.devicePolls = []pollAnswer{{code: CodeExpiredToken, aadsts: 70019}}
	keep(c.DeviceCode(context.Background(), nil))
	if len(results) != 4 || len(errs) != 2 {
		t.Fatalf("%d results and %d errors (%v), want 4 and 2", len(results), len(errs), errs)
	}

	var shown []string
	for _, r := range results {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			shown = append(shown, fmt.Sprintf(verb, r), fmt.Sprintf(verb, *r))
		}
		j, _ := json.Marshal(r)
		shown = append(shown, string(j))
	}
	cached, err := cache.Load(c.Key(testUPN))
	if err != nil {
		t.Fatal(err)
	}
	shown = append(shown, fmt.Sprintf("%+v", cached), fmt.Sprintf("%#v", *cached))
	for _, e := range errs {
		shown = append(shown, e.Error())
	}
	logs := ti.logs.String()
	if !strings.Contains(logs, "signed in") {
		t.Fatalf("nothing was logged: %s", logs)
	}
	secrets := ti.allSecrets()
	for _, r := range results {
		secrets = append(secrets, r.AccessToken, r.RefreshToken, r.IDToken)
	}
	secrets = append(secrets, "refresh-token-never-issued")
	for _, req := range ti.requests() {
		if v := req.Form.Get("code_verifier"); v != "" {
			secrets = append(secrets, v)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(logs, s) {
			t.Errorf("the logs contain a secret %.20s…", s)
		}
		for _, out := range shown {
			if strings.Contains(out, s) {
				t.Errorf("printed output contains a secret %.20s…: %.200s", s, out)
			}
		}
	}
}
