package tenant

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync/atomic"
)

// AdminSecretHeader carries the admin secret to the /_oobe/ controls that change the simulated
// cloud (key rotation, faults), as an alternative to "Authorization: Bearer <secret>".
const AdminSecretHeader = "X-Oobe-Admin-Secret"

// runState is what a server holds for one run only, never stored: the admin secret and the
// backup quota. It lives beside the tenants' state in the store, which a server opens once
// per run, so both go when the server does.
type runState struct {
	adminSecret string
	quota       atomic.Int64
}

// newRunState makes a run's admin secret from crypto/rand, never from Config.Rand: a replay's
// seeded reader would make it guessable.
func newRunState() *runState {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	rs := &runState{adminSecret: base64.RawURLEncoding.EncodeToString(b[:])}
	rs.quota.Store(DefaultBackupQuota)
	return rs
}

// AdminSecret is this run's secret for the /_oobe/ controls that change the simulated cloud
// (POST /_oobe/tenants/{tid}/keys/rotate, POST and DELETE /_oobe/faults): any local process can
// reach the port, and only the one that started the server, or was told the secret, may rotate
// keys or inject faults. `oobe serve` prints it. Made at New from crypto/rand, new every run.
func (s *Server) AdminSecret() string { return s.store.run().adminSecret }

// hasAdminSecret reports whether r carries the run's admin secret, as a bearer token or in
// AdminSecretHeader, compared in constant time.
func (s *Server) hasAdminSecret(r *http.Request) bool {
	got := r.Header.Get(AdminSecretHeader)
	if got == "" {
		if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			got = strings.TrimSpace(a[7:])
		}
	}
	want := s.AdminSecret()
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// needAdminSecret guards a /_oobe/ control with the run's admin secret: without it, 401 with
// the controls' JSON error, which says where the secret is printed.
func needAdminSecret(h serverFunc) serverFunc {
	return func(s *Server, w http.ResponseWriter, r *http.Request) {
		if !s.hasAdminSecret(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="oobe-admin"`)
			writeJSON(w, http.StatusUnauthorized, adminError{"this control needs the run's admin secret, as Authorization: Bearer <secret> or " +
				AdminSecretHeader + ": <secret>; `oobe serve` prints it at start and in its --json line"})
			return
		}
		h(s, w, r)
	}
}
