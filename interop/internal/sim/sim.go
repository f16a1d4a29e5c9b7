// Package sim builds the oobe binary from the parent module and runs `oobe serve --tls` for the
// interop tests: the simulated Microsoft cloud on 127.0.0.1, with a CA of its own.
package sim

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Tenant is one tenant of `oobe serve --json`.
type Tenant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Authority string `json:"authority"`
	ClientID  string `json:"clientId"`
}

// Info is the line `oobe serve --json` prints once it listens.
type Info struct {
	URL string `json:"url"`
	// Listen is where the server listens when URL is a --public-url: a DNS name that only the
	// tests' transport resolves, as a QA lab's DNS or a reverse proxy would.
	Listen  string   `json:"listen"`
	CACert  string   `json:"caCert"`
	Tenants []Tenant `json:"tenants"`
}

// Server is a running `oobe serve --tls`.
type Server struct {
	Info
	// Roots holds the simulator's CA and nothing else.
	Roots *x509.CertPool

	cmd    *exec.Cmd
	done   chan struct{}
	stderr *lockedBuffer
}

// startTimeout bounds the build and the wait for the JSON line; it is a safety net, not a
// measurement.
const startTimeout = 5 * time.Minute

// Start builds ./cmd/oobe of the module in productDir into dir and serves the demo tenants
// from it, keeping their state in dir/data and the user's config in dir/config.
func Start(productDir, dir string) (*Server, error) {
	bin, err := Build(productDir, dir)
	if err != nil {
		return nil, err
	}
	return Serve(bin, dir)
}

// Build builds ./cmd/oobe of the module in productDir into dir and returns the binary's path.
func Build(productDir, dir string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	bin := filepath.Join(dir, "oobe")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/oobe")
	build.Dir = productDir
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building oobe: %v\n%s", err, out)
	}
	return bin, nil
}

// Serve runs `bin serve --tls` with its state in dir and extra flags (such as --public-url).
func Serve(bin, dir string, extra ...string) (*Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	args := append([]string{"serve", "--tls", "--data", filepath.Join(dir, "data"), "--json",
		"--device-code-interval", "1s"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"XDG_STATE_HOME="+filepath.Join(dir, "state"), "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, done: make(chan struct{}), stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting oobe serve: %w", err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		// Keep draining, so the server never blocks on a full pipe.
		_, _ = r.WriteTo(discard{})
	}()
	go func() { _ = cmd.Wait(); close(s.done) }()

	var line string
	select {
	case line = <-lines:
	case <-ctx.Done():
		s.Stop()
		return nil, fmt.Errorf("oobe serve printed no line in %v; stderr:\n%s", startTimeout, s.Stderr())
	}
	if err := json.Unmarshal([]byte(line), &s.Info); err != nil {
		s.Stop()
		return nil, fmt.Errorf("oobe serve --json printed %q: %v; stderr:\n%s", strings.TrimSpace(line), err, s.Stderr())
	}
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") && !strings.HasPrefix(s.Listen, "https://127.0.0.1:") {
		s.Stop()
		return nil, fmt.Errorf("oobe serve --tls serves at %q (listening at %q), want https://127.0.0.1:PORT", s.URL, s.Listen)
	}
	if s.CACert == "" {
		s.Stop()
		return nil, fmt.Errorf("oobe serve --tls --json printed no caCert: %s", strings.TrimSpace(line))
	}
	pem, err := os.ReadFile(s.CACert)
	if err != nil {
		s.Stop()
		return nil, fmt.Errorf("reading the simulator's CA: %w", err)
	}
	s.Roots = x509.NewCertPool()
	if !s.Roots.AppendCertsFromPEM(pem) {
		s.Stop()
		return nil, fmt.Errorf("%s holds no PEM certificate", s.CACert)
	}
	return s, nil
}

// Stop interrupts the server as Ctrl+C would, and kills it if it has not stopped after a while.
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Stderr is what the server has logged so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// Tenant is the tenant of that name.
func (s *Server) Tenant(name string) (Tenant, error) {
	for _, t := range s.Tenants {
		if t.Name == name {
			return t, nil
		}
	}
	return Tenant{}, fmt.Errorf("oobe serve lists no tenant %q", name)
}

// Transport trusts the simulator's CA and no other. Behind a public URL it resolves the public
// host to the listening address, and only that host: everything else goes nowhere.
func (s *Server) Transport() *http.Transport {
	t := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: s.Roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	if s.Listen != "" {
		pub, lis := hostPort(s.URL), hostPort(s.Listen)
		var d net.Dialer
		t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == pub || addr == lis {
				return d.DialContext(ctx, network, lis)
			}
			return nil, fmt.Errorf("the interop tests reach only the simulator, not %s", addr)
		}
	}
	return t
}

// hostPort is a URL's host:port, with the scheme's default port when none is written.
func hostPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "http" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// HTTPClient is an *http.Client over Transport.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 2 * time.Minute}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
