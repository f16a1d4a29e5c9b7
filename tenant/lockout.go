package tenant

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync"
	"time"
)

// Entra's smart lockout defaults for the global cloud (domain.md §7.5; Entra's smart lockout
// documentation).
const (
	defaultLockoutThreshold = 10
	defaultLockoutDuration  = 60 * time.Second
)

// Lockout is a tenant's smart lockout: after Threshold failed sign-ins the account is locked for
// Duration, and refused even with the right password (AADSTS50053). Entra lets a P1 tenant
// change both; it cannot be turned off.
type Lockout struct {
	Threshold int           `yaml:"threshold"`
	Duration  time.Duration `yaml:"duration"`
}

// lockoutOf is the tenant's lockout, Entra's defaults where the fixture says nothing.
func lockoutOf(t *Tenant) Lockout {
	l := Lockout{Threshold: defaultLockoutThreshold, Duration: defaultLockoutDuration}
	if t.Lockout != nil {
		if t.Lockout.Threshold > 0 {
			l.Threshold = t.Lockout.Threshold
		}
		if t.Lockout.Duration > 0 {
			l.Duration = t.Lockout.Duration
		}
	}
	return l
}

// errLocked is AADSTS50053 with the words Entra's sign-in page shows a locked account.
func errLocked() *entraError {
	return &entraError{Err: "invalid_grant", Code: 50053, Desc: "Your account is temporarily locked to prevent unauthorized use. Try again later, and if you still have trouble, contact your admin."}
}

// lockouts counts failed sign-ins per user; only users of the tenant are counted, so its size is
// bounded by the fixtures.
type lockouts struct {
	mu    sync.Mutex
	users map[string]*lockState // by "tid/oid"
}

// lockState is one user's failures since their last successful sign-in.
type lockState struct {
	failures int
	until    time.Time // locked until then
	// relock: a lock has passed without a successful sign-in since, so the next failure locks
	// again at once, as Entra's does ("the account locks again after each subsequent failed
	// sign-in attempt"; Entra lengthens the lock by an undisclosed rate, the simulator does not).
	relock bool
	// recent are hashes of the last three wrong passwords: Entra does not count the same wrong
	// password twice.
	recent [][sha256.Size]byte
}

// attempt records a password sign-in of u, right or wrong, at now; it answers AADSTS50053 when
// the account is locked or this failure locks it, and nil when the caller decides by the
// password.
func (l *lockouts) attempt(ts *tenantState, u *User, password string, right bool, now time.Time) *entraError {
	key := ts.id + "/" + strings.ToLower(u.ObjectID)
	pol := lockoutOf(ts.t)
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.users[key]
	if st != nil && now.Before(st.until) {
		return errLocked()
	}
	if right {
		delete(l.users, key)
		return nil
	}
	if st == nil {
		if l.users == nil {
			l.users = map[string]*lockState{}
		}
		st = &lockState{}
		l.users[key] = st
	}
	h := sha256.Sum256([]byte(password))
	if slices.Contains(st.recent, h) {
		return nil
	}
	st.recent = append(st.recent, h)
	if len(st.recent) > 3 {
		st.recent = st.recent[1:]
	}
	st.failures++
	if st.relock || st.failures >= pol.Threshold {
		st.until, st.failures, st.relock = now.Add(pol.Duration), 0, true
		return errLocked()
	}
	return nil
}
