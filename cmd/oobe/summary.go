package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/oobe-dev/oobe/oobe"
)

// runSummary is what `oobe run --json` prints: the run's summary (oobe.Summary, the same
// model the desktop, the text summary and the accessible mode tell) and where its log is.
type runSummary struct {
	oobe.Summary
	Log string `json:"log,omitempty"`
}

// writeSummary prints what the setup did after the UI has gone: oobe.Summary's text, or with
// asJSON the summary as one JSON object.
func writeSummary(w io.Writer, o *oobe.Outcome, logPath string, asJSON bool) error {
	s := oobe.Summarize(o)
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(runSummary{Summary: s, Log: logPath})
	}
	for _, l := range s.Text() {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	if logPath != "" {
		_, err := fmt.Fprintf(w, "  %-15s %s\n", "Log:", logPath)
		return err
	}
	return nil
}
