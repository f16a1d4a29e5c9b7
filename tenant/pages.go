package tenant

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// pageData feeds every sign-in page; each page uses the fields it needs.
type pageData struct {
	Title    string
	Tenant   string // branding: the tenant's name
	AppName  string
	Error    *pageError
	UserCode string
	Username string
	Action   string // form action of the authorize page
	Flow     string
	Heading  string
	Message  string
	// the MFA step: the method asked for, its button, and the other ways offered
	Method string
	Verb   string
	Others []mfaOption
	// form_post delivery
	RedirectURI string
	Fields      []formField
	// formAction is the extra origin the page may post or redirect to (CSP form-action).
	formAction string
}

// formField is one hidden field of the form_post page.
type formField struct{ Name, Value string }

// pageError is an error shown on a page, with the ids Entra's error pages show.
type pageError struct {
	Code      int
	Message   string
	TraceID   string
	CorrID    string
	Timestamp string
}

func (s *Server) pageError(r *http.Request, e *entraError) *pageError {
	ri := info(r)
	return &pageError{Code: e.Code, Message: e.Desc, TraceID: ri.traceID, CorrID: ri.corrID,
		Timestamp: s.clock.Now().UTC().Format(entraTimestamp)}
}

// autoSubmit is the form_post page's only script; its hash goes in the CSP so nothing else runs.
const autoSubmit = "document.forms[0].submit()"

var autoSubmitHash = func() string {
	sum := sha256.Sum256([]byte(autoSubmit))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

const layoutHTML = `{{define "layout"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f2f2f2;font-family:"Segoe UI","Segoe UI Web",-apple-system,"Helvetica Neue",Arial,sans-serif;color:#1b1b1b}
main{width:100%;max-width:440px;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-size:15px;font-weight:600;color:#505050;margin-bottom:4px}
.sim{font-size:12px;color:#6b6b6b;margin-bottom:20px}
h1{font-size:24px;font-weight:600;margin:0 0 12px}
p{font-size:15px;line-height:1.4;margin:0 0 16px}
label{display:block;font-size:13px;color:#505050;margin-top:12px}
input[type=text],input[type=email],input[type=password]{width:100%;font-size:16px;padding:6px 0;border:0;border-bottom:1px solid #666;outline:none;background:transparent}
input:focus{border-bottom-color:#0067b8}
.actions{display:flex;flex-direction:row-reverse;gap:8px;margin-top:28px}
button{min-width:108px;font-size:16px;padding:6px 12px;border:0;cursor:pointer}
.primary{background:#0067b8;color:#fff}
.primary:hover{background:#005da6}
.secondary{background:#ccc;color:#1b1b1b}
.link{background:none;color:#0067b8;padding:0;min-width:0;font-size:13px}
.error{color:#e81123;font-size:15px;margin:8px 0 12px}
.error .meta{color:#6b6b6b;font-size:12px}
code{font-size:15px}
@media (max-width:480px){
body{align-items:flex-start;background:#fff}
main{padding:24px;box-shadow:none}
button{flex:1;min-width:0;min-height:44px}
}
</style>
</head>
<body>
<main>
{{if .Tenant}}<div class="brand">{{.Tenant}}</div>{{end}}
<div class="sim">Simulated Microsoft Entra ID (oobe) &middot; not a Microsoft service</div>
{{template "content" .}}
</main>
</body>
</html>
{{end}}
{{define "credentials"}}<label for="username">Email or username</label>
<input type="text" id="username" name="username" value="{{.Username}}" autocomplete="username" spellcheck="false" required {{if not .Username}}autofocus{{end}}>
<label for="password">Enter password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required {{if .Username}}autofocus{{end}}>
{{end}}
{{define "error"}}{{with .Error}}<div class="error" role="alert">
<p>{{if .Code}}AADSTS{{.Code}}: {{end}}{{.Message}}</p>
{{if .TraceID}}<p class="meta">Trace ID: {{.TraceID}}<br>Correlation ID: {{.CorrID}}<br>Timestamp: {{.Timestamp}}</p>{{end}}
</div>{{end}}{{end}}`

// pageContents are the page bodies; each is parsed into its own copy of the layout.
var pageContents = map[string]string{
	"enter_code": `<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>
{{template "error" .}}
<form method="post" action="/devicelogin">
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="64" required autofocus>
<div class="actions"><button type="submit" class="primary">Next</button></div>
</form>`,

	"device_signin": `<h1>Sign in</h1>
<p>You're signing in to <b>{{.AppName}}</b> on another device. If it's not you trying to sign in, select Cancel.</p>
{{template "error" .}}
<form method="post" action="/devicelogin">
<input type="hidden" name="user_code" value="{{.UserCode}}">
{{template "credentials" .}}
<div class="actions">
<button type="submit" name="action" value="approve" class="primary">Sign in</button>
<button type="submit" name="action" value="deny" class="secondary">Cancel</button>
</div>
</form>`,

	"authorize": `<h1>Sign in</h1>
<p>to continue to <b>{{.AppName}}</b></p>
{{template "error" .}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
{{template "credentials" .}}
<div class="actions">
<button type="submit" name="action" value="signin" class="primary">Sign in</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
</form>`,

	"mfa": `<h1>{{.Heading}}</h1>
<p>{{.Message}}</p>
{{template "error" .}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="flow" value="{{.Flow}}">
<input type="hidden" name="method" value="{{.Method}}">
{{if eq .Method "otp"}}<label for="otc">Code</label>
<input type="text" id="otc" name="otc" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required autofocus>
{{else if eq .Method "tap"}}<label for="tap">Temporary Access Pass</label>
<input type="password" id="tap" name="tap" autocomplete="off" required autofocus>
{{end}}<div class="actions">
{{if .Verb}}<button type="submit" name="action" value="verify" class="primary">{{.Verb}}</button>
{{end}}<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>
</div>
{{range .Others}}<p><button type="submit" name="switch" value="{{.Method}}" class="link" formnovalidate>{{.Label}}</button></p>
{{end}}</form>`,

	"form_post": `<h1>Signing you in</h1>
<p>Returning you to the app.</p>
<form method="post" action="{{.RedirectURI}}">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>Script is disabled. Select Continue to finish signing in.</p>
<div class="actions"><button type="submit" class="primary">Continue</button></div></noscript>
</form>
<script>` + autoSubmit + `</script>`,

	"done": `<h1>{{.Heading}}</h1>
<p>{{.Message}}</p>`,

	"error": `<h1>{{.Heading}}</h1>
{{template "error" .}}`,
}

// pages holds one parsed template per page.
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("layout").Parse(layoutHTML))
	out := map[string]*template.Template{}
	for name, content := range pageContents {
		t := template.Must(base.Clone())
		template.Must(t.New("content").Parse(content))
		out[name] = t
	}
	return out
}()

// renderPage writes a page with headers that keep it out of caches and frames and let it run no
// script but the form_post one.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, pd *pageData) {
	body, err := renderedPage(name, pd)
	if err != nil {
		s.log.Error("rendering a page failed", "page", name, "trace_id", info(r).traceID, "err", err)
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
		return
	}
	formAction := "'self'"
	if pd.formAction != "" {
		formAction += " " + pd.formAction
	}
	script := "'none'"
	if name == "form_post" {
		script = autoSubmitHash
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// The page's Date is the tenant's clock, as a real server's is its own: a person's phone,
	// synchronised with it, shows the authenticator code of that time (replays read it).
	h.Set("Date", s.clock.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'none'", "style-src 'unsafe-inline'", "script-src " + script,
		"form-action " + formAction, "frame-ancestors 'none'", "base-uri 'none'",
	}, "; "))
	h.Set("Content-Length", strconv.Itoa(len(body))) // see writeJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// staticPage is what a page shows when nothing on it is particular to one request (no error
// ids, code, flow or form fields): the same data always renders the same bytes.
type staticPage struct {
	name                                                      string
	title, tenant, appName, username, heading, message, redir string
}

// maxStaticPages bounds renderedPages; past it the cache starts afresh.
const maxStaticPages = 256

// renderedPages keeps the static pages already rendered: every device sign-in ends on the
// same "Signed in" page of its tenant, and executing the templates costs more than the rest of
// the request.
var renderedPages struct {
	mu    sync.Mutex
	pages map[staticPage][]byte
}

// renderedPage renders a page, from renderedPages when it is static. The bytes returned are
// shared: callers only write them.
func renderedPage(name string, pd *pageData) ([]byte, error) {
	static := pd.Error == nil && pd.UserCode == "" && pd.Action == "" && pd.Flow == "" && pd.Fields == nil
	key := staticPage{name, pd.Title, pd.Tenant, pd.AppName, pd.Username, pd.Heading, pd.Message, pd.RedirectURI}
	if static {
		renderedPages.mu.Lock()
		body, ok := renderedPages.pages[key]
		renderedPages.mu.Unlock()
		if ok {
			return body, nil
		}
	}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		return nil, err
	}
	if static {
		renderedPages.mu.Lock()
		if renderedPages.pages == nil || len(renderedPages.pages) >= maxStaticPages {
			renderedPages.pages = map[staticPage][]byte{}
		}
		renderedPages.pages[key] = buf.Bytes()
		renderedPages.mu.Unlock()
	}
	return buf.Bytes(), nil
}

// handleErrorPage explains an AADSTS code; error_uri in error bodies points here.
func (s *Server) handleErrorPage(w http.ResponseWriter, r *http.Request) {
	code := 0
	raw := r.URL.Query().Get("code")
	for _, c := range raw {
		if c < '0' || c > '9' || code > 1e8 {
			code = 0
			break
		}
		code = code*10 + int(c-'0')
	}
	msg, ok := errorCatalog[code]
	if !ok {
		s.renderPage(w, r, http.StatusNotFound, "error", &pageData{Title: "Unknown error code", Heading: "Unknown error code",
			Error: &pageError{Message: "The simulator does not use this AADSTS code."}})
		return
	}
	s.renderPage(w, r, http.StatusOK, "error", &pageData{Title: "Error code", Heading: "Error code",
		Error: &pageError{Code: code, Message: msg}})
}
