package oobe

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// collectedLogs is the JSON file "Collect logs" writes.
type collectedLogs struct {
	Collected  time.Time   `json:"collected"`
	Failure    *ESPFailure `json:"failure,omitempty"`
	Transcript []Event     `json:"transcript"`
}

// CollectLogs is "Collect logs", for every driver (the terminal UI's ESP button, the
// accessible mode's choice): it writes the transcript to dir (made 0700) as a text file and
// a JSON file (0600), named by the flow clock's time, and returns the text file's path. The
// flow keeps tokens and codes out of the transcript; nothing else is added here.
func CollectLogs(dir string, now time.Time, transcript []Event, failure *ESPFailure) (string, error) {
	if dir == "" {
		return "", errors.New("no folder is set for logs")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if fi, err := os.Stat(dir); err != nil {
		return "", err
	} else if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", err
		}
	}
	var text strings.Builder
	text.WriteString("Windows setup logs\n")
	fmt.Fprintf(&text, "Collected %s (setup's clock)\n", now.UTC().Format(time.RFC3339))
	if failure != nil {
		fmt.Fprintf(&text, "Failure: %s\n", failure.String())
	}
	text.WriteString("\n")
	for _, ev := range transcript {
		fmt.Fprintf(&text, "%s  %-16s %-8s %s\n", ev.At.UTC().Format(time.RFC3339), ev.Stage, ev.Kind, ev.Text)
	}
	data, err := json.MarshalIndent(collectedLogs{Collected: now.UTC(), Failure: failure, Transcript: transcript}, "", "  ")
	if err != nil {
		return "", err
	}
	base := "oobe-setup-logs-" + now.UTC().Format("20060102T150405Z")
	for n := 1; n < 100; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		txt, js := filepath.Join(dir, name+".txt"), filepath.Join(dir, name+".json")
		err := writeNew(txt, []byte(text.String()))
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := writeNew(js, append(data, '\n')); err != nil {
			return "", err
		}
		return txt, nil
	}
	return "", fmt.Errorf("too many logs named %s in %s", base, dir)
}

// writeNew writes a new file readable by its owner only; it refuses to replace one.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
