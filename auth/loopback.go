package auth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
)

// Response modes for the authorization response.
const (
	ResponseModeQuery    = "query"
	ResponseModeFormPost = "form_post"
)

// maxCallbackValue bounds each callback parameter; Entra's codes are a few kilobytes.
const maxCallbackValue = 16 << 10

// callback is one authorization response that reached the loopback listener.
type callback struct {
	Code             string
	State            string
	Error            string
	ErrorDescription string
}

// parseCallback reads an authorization response. It refuses repeated parameters (one could
// smuggle a second state or code), a missing state, and a response that is neither code nor error.
func parseCallback(v url.Values) (callback, error) {
	get := func(k string) (string, error) {
		vs := v[k]
		switch {
		case len(vs) > 1:
			return "", fmt.Errorf("parameter %s is repeated", k)
		case len(vs) == 0:
			return "", nil
		case len(vs[0]) > maxCallbackValue:
			return "", fmt.Errorf("parameter %s is too long", k)
		}
		return vs[0], nil
	}
	var cb callback
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"code", &cb.Code}, {"state", &cb.State}, {"error", &cb.Error}, {"error_description", &cb.ErrorDescription}} {
		if *f.dst, err = get(f.key); err != nil {
			return callback{}, err
		}
	}
	switch {
	case cb.State == "":
		return callback{}, errors.New("no state")
	case cb.Code == "" && cb.Error == "":
		return callback{}, errors.New("neither a code nor an error")
	case cb.Code != "" && cb.Error != "":
		return callback{}, errors.New("both a code and an error")
	}
	return cb, nil
}

// parseCallbackQuery parses a raw query or form body, then the callback in it.
func parseCallbackQuery(raw string) (callback, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return callback{}, fmt.Errorf("malformed parameters: %w", err)
	}
	return parseCallback(v)
}

// loopback receives the one authorization response of a browser sign-in on 127.0.0.1.
type loopback struct {
	mode  string // ResponseModeQuery or ResponseModeFormPost
	state string
	host  string // the Host header a browser sends: 127.0.0.1:PORT
	log   *slog.Logger

	mu       sync.Mutex
	accepted bool

	results  chan callback // the accepted callback; buffered, written once
	outcome  chan error    // the sign-in's outcome, for the page shown to the person
	finished chan struct{} // closed when Browser returns
}

func newLoopback(mode, state, host string, log *slog.Logger) *loopback {
	return &loopback{
		mode: mode, state: state, host: host, log: log,
		results:  make(chan callback, 1),
		outcome:  make(chan error, 1),
		finished: make(chan struct{}),
	}
}

func (l *loopback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A page on another site can reach 127.0.0.1 through DNS rebinding; its Host header gives it away.
	if r.Host != l.host {
		page(w, http.StatusBadRequest, "Wrong address", "This listener only answers at "+l.host+".")
		return
	}
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	var values url.Values
	switch {
	case l.mode == ResponseModeQuery && r.Method == http.MethodGet:
		values = r.URL.Query()
	case l.mode == ResponseModeFormPost && r.Method == http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4*maxCallbackValue)
		if err := r.ParseForm(); err != nil {
			page(w, http.StatusBadRequest, "Not a sign-in response", "The form could not be read.")
			return
		}
		values = r.PostForm
	default:
		w.Header().Set("Allow", map[string]string{ResponseModeQuery: http.MethodGet, ResponseModeFormPost: http.MethodPost}[l.mode])
		page(w, http.StatusMethodNotAllowed, "Not a sign-in response", "This listener expects a "+l.mode+" response.")
		return
	}
	cb, err := parseCallback(values)
	if err != nil {
		l.log.Warn("loopback callback refused", "reason", err.Error())
		page(w, http.StatusBadRequest, "Not a sign-in response", "This is not a valid sign-in response: "+err.Error()+".")
		return
	}
	if subtle.ConstantTimeCompare([]byte(cb.State), []byte(l.state)) != 1 {
		// Not ours: a forged or stale response. Keep waiting for the real one.
		l.log.Warn("loopback callback refused", "reason", "state does not match this sign-in")
		page(w, http.StatusBadRequest, "Sign-in response refused",
			"This response does not belong to the sign-in in progress. Return to the terminal.")
		return
	}
	l.mu.Lock()
	already := l.accepted
	l.accepted = true
	l.mu.Unlock()
	if already {
		l.log.Info("loopback callback ignored", "reason", "sign-in already completed")
		page(w, http.StatusOK, "Sign-in already completed", "This sign-in has already completed. You can close this tab.")
		return
	}
	l.results <- cb
	select {
	case err := <-l.outcome:
		if err != nil {
			msg := err.Error()
			var se *SignInError
			if errors.As(err, &se) {
				msg = se.Reason
			}
			page(w, http.StatusOK, "Sign-in failed", msg+" You can close this tab and return to the terminal.")
			return
		}
		page(w, http.StatusOK, "Signed in", "You are signed in. You can close this tab and return to the terminal.")
	case <-l.finished:
		page(w, http.StatusOK, "Sign-in ended", "The sign-in ended. Return to the terminal.")
	case <-r.Context().Done():
	}
}

// page writes a small HTML page; every text is escaped because some comes from the request.
func page(w http.ResponseWriter, status int, title, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>"+
		"<body><h1>%s</h1><p>%s</p></body></html>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(body))
}
