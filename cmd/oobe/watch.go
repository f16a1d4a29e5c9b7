package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/oobe-dev/oobe/internal/inputfile"
	"github.com/oobe-dev/oobe/replay"
)

// watchPoll is how often --watch looks at the scenario files. Polling their contents needs no
// file-system notifications (and so no dependency); a corpus of a thousand files is read in
// milliseconds.
const watchPoll = 300 * time.Millisecond

// watchReplay replays, until ctx ends, each scenario file under paths that changes or appears
// after the run of corpus: one round per change, with its own tally. Bad files are reported
// and watched on; --run still selects.
func watchReplay(ctx context.Context, s streams, o replayOptions, paths []string, corpus []replay.Entry, run *regexp.Regexp, opts replay.Options) error {
	text := s.out
	if o.asJSON {
		text = s.errOut
	}
	seen := fileSums(corpus)
	fmt.Fprintln(text, "Watching for changes (Ctrl+C to stop)…")
	tick := time.NewTicker(watchPoll)
	defer tick.Stop()
	lastErr := ""
	for {
		select {
		case <-ctx.Done():
			return nil // Ctrl+C is how watching ends: not an interruption of a run
		case <-tick.C:
		}
		entries, err := replay.Scan(paths...)
		if err != nil {
			if msg := err.Error(); msg != lastErr {
				fmt.Fprintf(text, "%v\n", err)
				lastErr = msg
			}
			continue
		}
		lastErr = ""
		now := fileSums(entries)
		var changed []replay.Entry
		for _, e := range entries {
			if now[e.File] != seen[e.File] && replay.Matches(run, e.Name, e.File, e.Rel) {
				changed = append(changed, e)
			}
		}
		seen = now
		if len(changed) == 0 {
			continue
		}
		fmt.Fprintf(text, "\nChanged: %s\n", names(changed))
		passed, failed := 0, 0
		for r := range replay.Stream(ctx, changed, opts) {
			if ctx.Err() != nil {
				return nil
			}
			if tell(s, o, text, r) {
				passed++
			} else {
				failed++
			}
		}
		fmt.Fprintf(text, "%d passed, %d failed\n", passed, failed)
	}
}

// fileSums is each entry's file's content hash ("" when it cannot be read now).
func fileSums(entries []replay.Entry) map[string]string {
	sums := map[string]string{}
	for _, e := range entries {
		data, err := inputfile.Read(e.File, replay.MaxScenarioBytes)
		if err != nil {
			continue
		}
		sums[e.File] = fmt.Sprintf("%x", sha256.Sum256(data))
	}
	return sums
}

// names lists the entries' files, sorted.
func names(entries []replay.Entry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.File)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
