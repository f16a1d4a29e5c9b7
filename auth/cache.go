package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// ErrNotCached is wrapped by Load when no token is cached for the key.
var ErrNotCached = errors.New("no cached token")

// Cache keeps tokens in Dir: one 0600 file per Key in a 0700 directory.
type Cache struct {
	Dir string
}

// DefaultCacheDir is oobe/tokens under the user's cache directory (for example ~/.cache/oobe/tokens).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory for the token cache: %w", err)
	}
	return filepath.Join(d, "oobe", "tokens"), nil
}

// Key names one cached sign-in: the same user at another authority or client is another entry.
type Key struct {
	Authority string
	ClientID  string
	User      string // the UPN asked for, or "" for whoever signs in
}

// fileName hashes the key so that no UPN or tenant appears in a directory listing.
func (k Key) fileName() string {
	b, _ := json.Marshal([]string{
		strings.TrimSuffix(strings.ToLower(k.Authority), "/"),
		strings.ToLower(k.ClientID),
		strings.ToLower(k.User),
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) + ".json"
}

func (k Key) matches(o Key) bool { return k.fileName() == o.fileName() }

// CachedToken is one cache file's content; String, Format and LogValue never reveal a token.
type CachedToken struct {
	Version      int       `json:"version"`
	Key          Key       `json:"key"`
	IDToken      string    `json:"id_token"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry"`
	Identity     Identity  `json:"identity"`
	Claims       *Claims   `json:"claims,omitempty"`
}

const cacheVersion = 1

// Result returns the cached sign-in as a Result from the cache.
func (t *CachedToken) Result() *Result {
	return &Result{
		IDToken: t.IDToken, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		Expiry: t.Expiry, Identity: t.Identity, Claims: t.Claims, Flow: FlowCache,
	}
}

// String describes the entry without any token value.
func (t CachedToken) String() string {
	return fmt.Sprintf("cached sign-in of %s (tenant %s, object %s) at %s; access token valid until %s; refresh token %t",
		t.Identity.UPN, t.Identity.TenantID, t.Identity.ObjectID, t.Key.Authority, t.Expiry.UTC().Format(time.RFC3339), t.RefreshToken != "")
}

// Format prints String for every verb.
func (t CachedToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue logs the entry as a Result from the cache, without any token value.
func (t CachedToken) LogValue() slog.Value { return t.Result().LogValue() }

// CachePermissionError means a cache file or directory is open to other users, so its tokens may
// have been read or planted; the file is not used.
type CachePermissionError struct {
	Path string
	Mode fs.FileMode
}

func (e *CachePermissionError) Error() string {
	return fmt.Sprintf("token cache file %s has mode %v, readable or writable by others; not using it "+
		"(delete it and sign in again, or chmod 600 it if you trust its content)", e.Path, e.Mode.Perm())
}

// checkPerms reports whether POSIX mode bits protect files here; on Windows the user profile's
// ACLs do instead and Go reports no meaningful bits.
var checkPerms = runtime.GOOS != "windows"

// dir creates the cache directory with mode 0700, and narrows an existing looser one.
func (c *Cache) dir() (string, error) {
	if c == nil || c.Dir == "" {
		return "", errors.New("the token cache has no directory")
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the token cache directory: %w", err)
	}
	fi, err := os.Stat(c.Dir)
	if err != nil {
		return "", fmt.Errorf("checking the token cache directory: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("token cache path %s is not a directory", c.Dir)
	}
	if checkPerms && fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(c.Dir, 0o700); err != nil {
			return "", fmt.Errorf("narrowing the token cache directory %s to 0700: %w", c.Dir, err)
		}
	}
	return c.Dir, nil
}

// Path returns the file that holds key's tokens.
func (c *Cache) Path(k Key) string { return filepath.Join(c.Dir, k.fileName()) }

// Load reads key's cached tokens. It wraps ErrNotCached when there are none, and refuses a file
// that is not a regular file or is group/world accessible (*CachePermissionError).
func (c *Cache) Load(k Key) (*CachedToken, error) {
	if _, err := c.dir(); err != nil {
		return nil, err
	}
	p := c.Path(k)
	lfi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s", ErrNotCached, k.Authority)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the token cache: %w", err)
	}
	if !lfi.Mode().IsRegular() {
		return nil, fmt.Errorf("token cache file %s is not a regular file (a link?); not using it", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("reading the token cache: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the token cache: %w", err)
	}
	if !os.SameFile(lfi, fi) {
		return nil, fmt.Errorf("token cache file %s changed while being opened; not using it", p)
	}
	if checkPerms && fi.Mode().Perm()&0o077 != 0 {
		return nil, &CachePermissionError{Path: p, Mode: fi.Mode()}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the token cache: %w", err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("token cache file %s is too large; delete it", p)
	}
	var t CachedToken
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("token cache file %s is damaged (%v); delete it and sign in again", p, err)
	}
	if t.Version != cacheVersion || !t.Key.matches(k) {
		return nil, fmt.Errorf("token cache file %s belongs to another key or format; delete it", p)
	}
	return &t, nil
}

// Save writes r under key atomically (a temporary file renamed into place), mode 0600.
func (c *Cache) Save(k Key, r *Result) error {
	if r == nil {
		return errors.New("no sign-in result to cache")
	}
	dir, err := c.dir()
	if err != nil {
		return err
	}
	b, err := json.Marshal(CachedToken{
		Version: cacheVersion, Key: k,
		IDToken: r.IDToken, AccessToken: r.AccessToken, RefreshToken: r.RefreshToken,
		Expiry: r.Expiry, Identity: r.Identity, Claims: r.Claims,
	})
	if err != nil {
		return fmt.Errorf("encoding the token cache entry: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".token-*.tmp") // CreateTemp makes the file 0600
	if err != nil {
		return fmt.Errorf("writing the token cache: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && checkPerms {
		return fmt.Errorf("writing the token cache: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("writing the token cache: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing the token cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the token cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.Path(k)); err != nil {
		return fmt.Errorf("writing the token cache: %w", err)
	}
	done = true
	return nil
}

// Delete removes key's cached tokens; a missing entry is not an error.
func (c *Cache) Delete(k Key) error {
	if c == nil || c.Dir == "" {
		return errors.New("the token cache has no directory")
	}
	if err := os.Remove(c.Path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting the cached token: %w", err)
	}
	return nil
}
