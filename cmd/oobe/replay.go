package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"

	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/localca"
	"github.com/oobe-dev/oobe/replay"
)

type replayOptions struct {
	parallel int
	run      string
	asJSON   bool
	junit    string
	shard    string
	tui      bool
	size     string
	record   string
	screens  string
	tls      bool
	watch    bool
}

func newReplayCmd(s streams) *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay PATH...",
		Short: "Replay enrollment scenarios headless and check what each expects",
		Long: `Replay enrollment scenarios (YAML files, docs/scenarios.md) against a fresh
simulated tenant each, over real loopback HTTP: real OIDC sign-in, Graph-shaped
calls, the real apply engine on a temporary device, all on a virtual clock.
PATH is a scenario file or a directory searched for *.yaml and *.yml.

One line per scenario (PASS or FAIL, its name, its virtual duration), then
"N passed, N failed" (and ", N skipped" when --run or --shard left some out).
A failing scenario shows what it expected, what happened, and the transcript
around the point where they part.

--shard I/N runs shard I (0 to N-1) of N; without it, a Kubernetes Indexed
Job's JOB_COMPLETION_INDEX and JOB_COMPLETIONS choose the shard. Shards split
by a hash of each file's path under PATH, so every machine must be given the
same PATH arguments.

--tui drives the real terminal UI instead, headless at --size (default
100x30): each screen is answered with the key presses the scenario's steps
give, and the outcomes and reports are those of the headless replay.
--record DIR writes an asciicast v2 recording of each scenario to DIR
(play it with asciinema play DIR/NAME.cast), --screens DIR a plain-text
snapshot of every screen to DIR/NAME/ with an index.txt. The password, the
Wi-Fi passphrase and the device code are masked in both. --size, --record
and --screens imply --tui.

--watch replays the scenarios, then watches PATH and replays each scenario
file that changes or appears (its name, the result and the tally of that
round), until Ctrl+C. A file that no longer parses is reported and watched.

--tls serves every scenario's tenant over https, with one certificate from a
CA made in memory for the run (nothing is written to disk) that the device's
clients trust alone.

Exit status: 0 when every scenario passes, 1 when one fails, 2 for bad input
(a broken scenario file is named with its line).`,
		Example: `oobe replay fixtures/scenarios
oobe replay fixtures/scenarios --run 'throttl' --parallel 2
oobe replay fixtures/scenarios --json > reports.jsonl --junit replay.xml
oobe replay fixtures/scenarios --shard 0/4
oobe replay --tls fixtures/scenarios
oobe replay fixtures/scenarios --tui --record casts --screens screens
oobe replay fixtures/scenarios --run first-sign-in --watch`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.tui = o.tui || cmd.Flags().Changed("size") || o.record != "" || o.screens != ""
			return runReplay(cmd.Context(), s, o, args)
		},
	}
	cmd.Flags().IntVar(&o.parallel, "parallel", runtime.NumCPU(), "scenarios to run at once")
	cmd.Flags().StringVar(&o.run, "run", "", "run only the scenarios whose name or file path matches this regular expression")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print one JSON report per scenario per line on stdout (the text goes to stderr)")
	cmd.Flags().StringVar(&o.junit, "junit", "", "also write a JUnit XML report to this file")
	cmd.Flags().StringVar(&o.shard, "shard", "", "run only shard I/N of the corpus (I from 0 to N-1)")
	cmd.Flags().BoolVar(&o.tui, "tui", false, "drive the terminal UI, headless, with each scenario's steps as key presses")
	cmd.Flags().StringVar(&o.size, "size", "100x30", "the terminal UI's size under --tui, WIDTHxHEIGHT (implies --tui)")
	cmd.Flags().StringVar(&o.record, "record", "", "write an asciicast v2 recording of each scenario to this directory (implies --tui)")
	cmd.Flags().BoolVar(&o.tls, "tls", false, "serve each scenario's tenant over https, with a CA made in memory for the run")
	cmd.Flags().StringVar(&o.screens, "screens", "", "write a plain-text snapshot of every screen of each scenario to this directory (implies --tui)")
	cmd.Flags().BoolVar(&o.watch, "watch", false, "after the run, replay each scenario file that changes or appears, until Ctrl+C")
	_ = cmd.MarkFlagFilename("junit", "xml")
	_ = cmd.MarkFlagDirname("record")
	_ = cmd.MarkFlagDirname("screens")
	return cmd
}

func runReplay(ctx context.Context, s streams, o replayOptions, paths []string) error {
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(replayGCPercent))
	}
	if o.parallel < 1 {
		return badInput("--parallel %d: want 1 or more", o.parallel)
	}
	if o.watch && (o.junit != "" || o.shard != "") {
		return badInput("--watch reruns what changes on this machine; it does not write --junit or take --shard")
	}
	var run *regexp.Regexp
	if o.run != "" {
		re, err := regexp.Compile(o.run)
		if err != nil {
			return badInput("--run %q: %v", o.run, err)
		}
		run = re
	}
	shard, err := pickShard(o.shard, s.env)
	if err != nil {
		return badInput("%v", err)
	}
	if o.tui {
		if _, _, err := parseSize(o.size); err != nil {
			return badInput("%v", err)
		}
	}
	var junit *os.File
	var cases *replay.JUnitWriter
	if o.junit != "" {
		// A temporary file beside the report, made before the run so a path that cannot be
		// written fails at once, and renamed over it at the end: an earlier report is never
		// left truncated by a run that stops on bad input or an interrupt. The test cases wait
		// in a spool file beside it until the counts for the header are known.
		if junit, err = os.CreateTemp(filepath.Dir(o.junit), ".oobe-junit-*.xml"); err != nil {
			return badInput("--junit: %v", err)
		}
		defer func() {
			junit.Close()
			os.Remove(junit.Name()) // a no-op once renamed
		}()
		if cases, err = replay.NewJUnitWriter(filepath.Dir(o.junit)); err != nil {
			return badInput("--junit: %v", err)
		}
		defer cases.Close()
	}
	corpus, err := replay.Scan(paths...)
	if err != nil {
		return badInput("%v", err)
	}
	if run != nil && !slices.ContainsFunc(corpus, func(e replay.Entry) bool { return replay.Matches(run, e.Name, e.File, e.Rel) }) {
		return badInput("--run %q matches none of the %d scenarios' names or files", o.run, len(corpus))
	}
	selected, skipped := replay.SelectEntries(corpus, run, shard)
	opts := replay.Options{Parallel: o.parallel}
	if o.tls {
		if opts.TLS, err = replayTLS(); err != nil {
			return err
		}
	}
	var tuiRun *tuiReplay
	if o.tui {
		if tuiRun, err = newTUIReplay(o, selected); err != nil {
			return err
		}
		opts.Drive = tuiRun.drive
	}

	// Each report goes out as soon as it and every one before it in corpus order are done, so
	// the output is the same at any --parallel, and nothing but the counts outlives it.
	text := s.out
	if o.asJSON {
		text = s.errOut
	}
	passed, failed := 0, 0
	var junitErr error
	for r := range replay.Stream(ctx, selected, opts) {
		if ctx.Err() != nil {
			break // interrupted: this report may be one the interrupt cut short
		}
		if tell(s, o, text, r) {
			passed++
		} else {
			failed++
		}
		if cases != nil && junitErr == nil {
			junitErr = cases.Add(r)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(text, summary)
	if junit != nil {
		// Scenarios filtered out by --run or another shard are not this suite's tests: counting
		// them as skipped would inflate every shard's totals when a CI system merges them.
		if junitErr == nil {
			junitErr = writeJUnit(junit, cases, o.junit)
		}
		if junitErr != nil {
			return fmt.Errorf("writing %s: %w", o.junit, junitErr)
		}
	}
	if tuiRun != nil {
		if err := tuiRun.err(); err != nil {
			return err
		}
	}
	if o.watch {
		return watchReplay(ctx, s, o, paths, corpus, run, opts)
	}
	if failed > 0 {
		// The tally above says it all; keep it the last line CI shows.
		return &exitError{code: 1, err: errQuiet}
	}
	return nil
}

// tell prints one report as it comes: its line, a failure's diff, its JSON with --json. It
// reports whether the scenario passed.
func tell(s streams, o replayOptions, text io.Writer, r *replay.Report) bool {
	fmt.Fprintln(text, r.Line())
	if !r.Passed {
		_ = r.WriteFailure(text)
	}
	if o.asJSON {
		_ = replay.WriteJSON(s.out, []*replay.Report{r})
	}
	return r.Passed
}

// writeJUnit finishes the JUnit report in its temporary file and renames it over path.
func writeJUnit(tmp *os.File, cases *replay.JUnitWriter, path string) error {
	w := bufio.NewWriter(tmp)
	if err := cases.Finish(w, 0); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// replayGCPercent is the collector's GOGC for a replay unless GOGC is set. A streaming
// replay's live heap is small (the fixtures and the few scenarios in flight) and each scenario
// leaves about 600 KB of garbage, so at the default of 100 the collector ran every two or three
// scenarios — five times as often as when every report stayed in memory — and a scenario cost
// 13 % more CPU. At 400 it runs about as often as it did then, and the heap stays near 45 MiB.
const replayGCPercent = 400

// pickShard takes --shard, or else the Indexed Job's environment; no shard is the whole corpus.
func pickShard(flag string, getenv func(string) string) (replay.Shard, error) {
	if flag != "" {
		sh, err := replay.ParseShard(flag)
		if err != nil {
			return replay.Shard{}, fmt.Errorf("--shard: %w", err)
		}
		return sh, nil
	}
	sh, _, err := replay.ShardFromEnv(getenv)
	return sh, err
}

// replayTLS is one certificate for the whole run, from a CA that lives in memory only: the
// run's own clients are all that must trust it.
func replayTLS() (*replay.TLS, error) {
	ca, err := localca.New()
	if err != nil {
		return nil, err
	}
	return replay.NewTLS(ca)
}
