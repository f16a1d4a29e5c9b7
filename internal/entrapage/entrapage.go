// Package entrapage reads the error the simulated tenant's sign-in pages show — the device
// login page, the authorize page — the way Entra words it: its AADSTS code and message.
package entrapage

import (
	"encoding/json"
	"html"
	"regexp"
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/internal/printable"
)

var (
	// errorDivRE is the error a page shows: <div class="error" role="alert"><p>AADSTS…: …</p>.
	errorDivRE = regexp.MustCompile(`(?s)<div class="error" role="alert">\s*<p>([^<]*)</p>`)
	aadstsRE   = regexp.MustCompile(`^AADSTS(\d+):`)
)

// Error is the AADSTS code and message of an error page, or of an Entra JSON error (what the
// tenant answers for a request it will not route, or an injected fault): 0 and "" when the
// body shows neither.
func Error(body []byte) (code int, message string) {
	if m := errorDivRE.FindSubmatch(body); m != nil {
		message = html.UnescapeString(strings.TrimSpace(string(m[1])))
	} else {
		var je struct {
			Description string `json:"error_description"`
			Codes       []int  `json:"error_codes"`
		}
		if json.Unmarshal(body, &je) == nil && je.Description != "" {
			message = strings.TrimSpace(je.Description)
			if len(je.Codes) > 0 && !aadstsRE.MatchString(message) {
				message = "AADSTS" + strconv.Itoa(je.Codes[0]) + ": " + message
			}
		}
	}
	// The message is shown on screens and printed: a page's text is outside data.
	message = printable.Line(message)
	if m := aadstsRE.FindStringSubmatch(message); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	return code, message
}

// Text is message without its AADSTS prefix: what the page says in words.
func Text(message string) string {
	if m := aadstsRE.FindStringIndex(message); m != nil {
		return strings.TrimSpace(message[m[1]:])
	}
	return message
}
