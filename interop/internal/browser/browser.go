// Package browser does over HTTP what a person does in a web browser on the simulator's pages:
// it reads the page's forms, fills in what the person types, presses the first button and
// follows the answer — redirects, and the form_post page that a browser's script submits by
// itself — until the page that ends the sign-in.
package browser

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// Browser signs in as one person.
type Browser struct {
	// Client reaches the simulator (its transport trusts the simulator's CA) and the app's
	// loopback redirect URI. It follows redirects as a browser does.
	Client   *http.Client
	Username string
	Password string
}

// maxPages bounds a sign-in's page loads: a loop is a bug, not a slow server.
const maxPages = 8

// Page is a loaded page.
type Page struct {
	URL    *url.URL
	Status int
	Body   string
	Forms  []Form
}

// Form is an HTML form: where it posts, its fields in order and its submit buttons.
type Form struct {
	Action  *url.URL
	Method  string
	Fields  []Field
	Buttons []Field
}

// Field is a named input and its value.
type Field struct{ Name, Value, Type string }

// has reports whether the form has an input of that name.
func (f *Form) has(name string) bool {
	for _, fd := range f.Fields {
		if fd.Name == name {
			return true
		}
	}
	return false
}

// Text is the page's visible text, white space collapsed: what a person reads.
func (p *Page) Text() string {
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		return p.Body
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == "head") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

// Open loads a page with GET.
func (b *Browser) Open(ctx context.Context, u string) (*Page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.load(req)
}

// Submit fills in the form's fields from values (every name must be a field of the form),
// presses the first submit button, as Enter in a field does, and loads the answer.
func (b *Browser) Submit(ctx context.Context, f Form, values map[string]string) (*Page, error) {
	return b.Press(ctx, f, values, "")
}

// Press is Submit with the button of that value pressed ("" is the first button).
func (b *Browser) Press(ctx context.Context, f Form, values map[string]string, button string) (*Page, error) {
	form := url.Values{}
	used := map[string]bool{}
	for _, fd := range f.Fields {
		v := fd.Value
		if nv, ok := values[fd.Name]; ok {
			v, used[fd.Name] = nv, true
		}
		form.Add(fd.Name, v)
	}
	for name := range values {
		if !used[name] {
			return nil, fmt.Errorf("the form posting to %s has no field %q", f.Action, name)
		}
	}
	switch {
	case button != "":
		i := slices.IndexFunc(f.Buttons, func(fd Field) bool { return fd.Value == button })
		if i < 0 {
			return nil, fmt.Errorf("the form posting to %s has no button %q", f.Action, button)
		}
		form.Add(f.Buttons[i].Name, f.Buttons[i].Value)
	case len(f.Buttons) > 0 && f.Buttons[0].Name != "":
		form.Add(f.Buttons[0].Name, f.Buttons[0].Value)
	}
	if f.Method != http.MethodPost {
		return nil, fmt.Errorf("the form to %s has method %s; the simulator's forms post", f.Action, f.Method)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.Action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.load(req)
}

func (b *Browser) load(req *http.Request) (*Page, error) {
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", "oobe-interop-browser")
	resp, err := b.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	p := &Page{URL: resp.Request.URL, Status: resp.StatusCode, Body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		p.Forms, err = parseForms(p.URL, p.Body)
		if err != nil {
			return nil, fmt.Errorf("reading the page at %s: %w", p.URL, err)
		}
	}
	return p, nil
}

// SignIn opens the authorization URL an app gives the browser, signs in on the sign-in page and
// follows the answer back to the app's redirect URI. It returns the app's last page.
func (b *Browser) SignIn(ctx context.Context, authorizeURL string) (*Page, error) {
	return b.authorize(ctx, authorizeURL, "")
}

// CancelSignIn opens the authorization URL and presses Cancel on the sign-in page, following the
// answer (an error for the app) back to the app's redirect URI.
func (b *Browser) CancelSignIn(ctx context.Context, authorizeURL string) (*Page, error) {
	return b.authorize(ctx, authorizeURL, "cancel")
}

func (b *Browser) authorize(ctx context.Context, authorizeURL, button string) (*Page, error) {
	p, err := b.Open(ctx, authorizeURL)
	if err != nil {
		return nil, err
	}
	signedIn := false
	for range maxPages {
		switch f, kind := p.form(); kind {
		case signInForm:
			if signedIn {
				return p, fmt.Errorf("the sign-in page came back after signing in (%d): %s", p.Status, p.Text())
			}
			signedIn = true
			if p, err = b.Press(ctx, f, map[string]string{"username": b.Username, "password": b.Password}, button); err != nil {
				return nil, err
			}
		case autoSubmitForm:
			// The form_post page: a browser runs its script, which submits the form.
			if p, err = b.Submit(ctx, f, nil); err != nil {
				return nil, err
			}
		default:
			if !signedIn {
				return p, fmt.Errorf("the authorization URL shows no sign-in form (%d): %s", p.Status, p.Text())
			}
			if p.Status != http.StatusOK {
				return p, fmt.Errorf("the sign-in ended at %s with %d: %s", p.URL, p.Status, p.Text())
			}
			return p, nil
		}
	}
	return p, fmt.Errorf("the sign-in did not end after %d pages; last %s", maxPages, p.URL)
}

// ApproveDeviceCode opens the verification page a device code flow names, enters the code,
// signs in and approves. It returns the page that says the sign-in is done.
func (b *Browser) ApproveDeviceCode(ctx context.Context, verificationURL, userCode string) (*Page, error) {
	return b.answerDeviceCode(ctx, verificationURL, userCode, "")
}

// DenyDeviceCode is ApproveDeviceCode pressing Cancel instead: the person signs in and declines.
func (b *Browser) DenyDeviceCode(ctx context.Context, verificationURL, userCode string) (*Page, error) {
	return b.answerDeviceCode(ctx, verificationURL, userCode, "deny")
}

func (b *Browser) answerDeviceCode(ctx context.Context, verificationURL, userCode, button string) (*Page, error) {
	p, err := b.Open(ctx, verificationURL)
	if err != nil {
		return nil, err
	}
	f, ok := p.formWith("user_code")
	if !ok || p.Status != http.StatusOK {
		return p, fmt.Errorf("the verification page %s asks for no code (%d): %s", verificationURL, p.Status, p.Text())
	}
	if p, err = b.Submit(ctx, f, map[string]string{"user_code": userCode}); err != nil {
		return nil, err
	}
	f, kind := p.form()
	if kind != signInForm || p.Status != http.StatusOK {
		return p, fmt.Errorf("entering the code shows no sign-in form (%d): %s", p.Status, p.Text())
	}
	if p, err = b.Press(ctx, f, map[string]string{"username": b.Username, "password": b.Password}, button); err != nil {
		return nil, err
	}
	if _, kind := p.form(); kind == signInForm || p.Status != http.StatusOK {
		return p, fmt.Errorf("answering the code was refused (%d): %s", p.Status, p.Text())
	}
	return p, nil
}

type formKind int

const (
	noForm formKind = iota
	signInForm
	autoSubmitForm
	otherForm
)

// form finds the form a person acts on: one with a password field, or a page of hidden fields
// only (form_post), which its script submits.
func (p *Page) form() (Form, formKind) {
	if f, ok := p.formWith("password"); ok {
		return f, signInForm
	}
	for _, f := range p.Forms {
		hidden := len(f.Fields) > 0
		for _, fd := range f.Fields {
			hidden = hidden && fd.Type == "hidden"
		}
		if hidden && strings.Contains(p.Body, "<script") {
			return f, autoSubmitForm
		}
	}
	if len(p.Forms) > 0 {
		return p.Forms[0], otherForm
	}
	return Form{}, noForm
}

func (p *Page) formWith(name string) (Form, bool) {
	for _, f := range p.Forms {
		if f.has(name) {
			return f, true
		}
	}
	return Form{}, false
}

// parseForms reads the forms of a page, resolving their actions against the page's URL.
func parseForms(base *url.URL, body string) ([]Form, error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	var forms []Form
	var cur *Form
	var walk func(*html.Node) error
	walk = func(n *html.Node) error {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				action, err := base.Parse(attr(n, "action"))
				if err != nil {
					return fmt.Errorf("form action %q: %w", attr(n, "action"), err)
				}
				method := strings.ToUpper(attr(n, "method"))
				if method == "" {
					method = http.MethodGet
				}
				forms = append(forms, Form{Action: action, Method: method})
				cur = &forms[len(forms)-1]
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					if err := walk(c); err != nil {
						return err
					}
				}
				cur = nil
				return nil
			case "input":
				if cur != nil && attr(n, "name") != "" {
					typ := strings.ToLower(attr(n, "type"))
					if typ == "" {
						typ = "text"
					}
					fd := Field{Name: attr(n, "name"), Value: attr(n, "value"), Type: typ}
					if typ == "submit" {
						cur.Buttons = append(cur.Buttons, fd)
					} else {
						cur.Fields = append(cur.Fields, fd)
					}
				}
			case "button":
				if cur != nil {
					if typ := strings.ToLower(attr(n, "type")); typ == "" || typ == "submit" {
						cur.Buttons = append(cur.Buttons, Field{Name: attr(n, "name"), Value: attr(n, "value"), Type: "submit"})
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(doc); err != nil {
		return nil, err
	}
	return forms, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
