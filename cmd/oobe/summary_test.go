package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/replay"
)

// stopAt is where a run is interrupted: on entering a stage, or at the first progress event of
// a restore (the device has committed it, its progress is playing). "" runs to the end.
type stopAt struct {
	stage    oobe.Stage
	progress bool
}

func (s stopAt) String() string {
	switch {
	case s.stage == "":
		return "the end"
	case s.progress:
		return "the progress of " + string(s.stage)
	}
	return string(s.stage)
}

// playUntil replays sc with the flow cancelled at stop.
func playUntil(t *testing.T, sc *replay.Scenario, stop stopAt) *oobe.Outcome {
	t.Helper()
	var out *oobe.Outcome
	drive := func(ctx context.Context, d *replay.Drive) (*oobe.Outcome, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cfg := d.Config
		observe := cfg.Observe
		cfg.Observe = func(e oobe.Event) {
			if observe != nil {
				observe(e)
			}
			if stop.stage != "" && e.Stage == stop.stage && (e.Kind == oobe.EventEnter && !stop.progress || e.Kind == oobe.EventProgress && stop.progress) {
				cancel()
			}
		}
		o, err := oobe.Run(ctx, cfg)
		out = o
		return o, err
	}
	replay.Run(context.Background(), sc, replay.Options{Drive: drive, WorkDir: t.TempDir()})
	if out == nil {
		t.Fatalf("%s stopped at %s: no outcome", sc.Name, stop)
	}
	return out
}

// checkSummaryAgrees checks a summary against the transcript it was told from, and its text
// and JSON against it.
func checkSummaryAgrees(t *testing.T, out *oobe.Outcome) {
	t.Helper()
	s := oobe.Summarize(out)
	var entered []oobe.Stage
	choice := map[oobe.Stage]string{}
	restoring, reported := map[oobe.Stage]bool{}, false
	var errs []string
	for _, e := range out.Transcript {
		switch e.Kind {
		case oobe.EventEnter:
			entered = append(entered, e.Stage)
		case oobe.EventChoice:
			if e.Stage == oobe.StageRestorePage || e.Stage == oobe.StageFirstSignInRestorePage {
				choice[e.Stage] = e.Text
			}
		case oobe.EventError:
			errs = append(errs, e.Text)
		case oobe.EventWarning:
			if d, ok := e.Detail.(oobe.ErrorDetail); ok && d.Code != "" && e.Stage == oobe.StageDesktop {
				errs = append(errs, e.Text) // a status that did not reach Intune: the person saw it
			}
		case oobe.EventInfo:
			if strings.HasPrefix(e.Text, "Restoring from ") {
				restoring[e.Stage] = true
			}
			if strings.HasPrefix(e.Text, "Intune restore status reported: ") {
				reported = true
			}
		}
	}
	// How it ended.
	switch last := entered[len(entered)-1]; {
	case last == oobe.StageFailed:
		if s.Result != oobe.ResultFailed || s.Error == nil {
			t.Errorf("the transcript ends in failed; the summary says %s (%+v)", s.Result, s.Error)
		}
	case s.Result == oobe.ResultFinished:
		if !slices.Contains(entered, oobe.StageDesktop) {
			t.Errorf("finished, but the desktop was never entered")
		}
	case s.Result != oobe.ResultInterrupted:
		t.Errorf("the run stopped at %s; the summary says %s", last, s.Result)
	}
	// Each moment: shown, chosen, restored as the transcript has it.
	for _, m := range []struct {
		page, apply oobe.Stage
		r           *oobe.RestoreSummary
	}{{oobe.StageRestorePage, oobe.StageRestoreApply, &s.Restore}, {oobe.StageFirstSignInRestorePage, oobe.StageFirstSignInRestore, s.FirstSignIn}} {
		if m.r == nil {
			if slices.Contains(entered, m.page) {
				t.Errorf("%s was entered, but the summary has no such moment", m.page)
			}
			continue
		}
		if shown := slices.Contains(entered, m.page); shown != (m.r.Page == oobe.PageShown) {
			t.Errorf("%s entered %v, summary page %s", m.page, shown, m.r.Page)
		}
		c := choice[m.page]
		switch {
		case c == "Set up as new PC" && m.r.Choice != oobe.ChoiceNew,
			strings.HasPrefix(c, "Restore from ") && (m.r.Choice != oobe.ChoiceRestore || !strings.HasPrefix(c, "Restore from "+m.r.From+" ")),
			c == "" && m.r.Choice != "":
			t.Errorf("%s: the person chose %q; the summary says %q from %q", m.page, c, m.r.Choice, m.r.From)
		}
		if m.r.Outcome == oobe.RestoreDone && !restoring[m.apply] {
			t.Errorf("the summary says restored, but the transcript never started restoring at %s", m.apply)
		}
		if m.r.Choice == oobe.ChoiceRestore && !restoring[m.apply] && m.r.Outcome != oobe.RestoreNotRun && m.r.Outcome != oobe.RestoreFailed {
			t.Errorf("%s: chosen but not started; the summary says %s", m.apply, m.r.Outcome)
		}
	}
	// What Intune was told, and every error the person saw.
	if got := s.Intune != nil && s.Intune.Reported; got != reported {
		t.Errorf("the transcript says reported %v, the summary %v", reported, got)
	}
	told := len(s.ContinuedPast)
	if s.Error != nil && s.Result == oobe.ResultFailed {
		told++
	}
	if told > len(errs) {
		t.Errorf("the summary tells %d errors, the transcript has %d", told, len(errs))
	}
	// The text tells the same.
	var b bytes.Buffer
	if err := writeSummary(&b, out, "", false); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, r := range []*oobe.RestoreSummary{&s.Restore, s.FirstSignIn} {
		if r == nil || r.Choice != oobe.ChoiceRestore {
			continue
		}
		if says := strings.Contains(text, "restored from "+r.From+":"); says != (r.Outcome == oobe.RestoreDone) {
			t.Errorf("the text says restored from %s: %v; the summary's outcome is %s:\n%s", r.From, says, r.Outcome, text)
		}
	}
	if s.Restore.Choice == "" && strings.Contains(text, "Set up as new PC") && !strings.Contains(text, "First sign-in") {
		t.Errorf("no choice was made, the text says set up as new:\n%s", text)
	}
	if n := strings.Count(text, "  Got past:"); (n == 1) != (len(s.ContinuedPast) > 0) {
		t.Errorf("%d errors got past, the text lists %d:\n%s", len(s.ContinuedPast), n, text)
	}
	for _, bad := range []string{"interrupted: ", "context canceled", "Person.", "(%!"} {
		if strings.Contains(text, bad) {
			t.Errorf("the text says %q:\n%s", bad, text)
		}
	}
	// The JSON is the summary itself.
	b.Reset()
	if err := writeSummary(&b, out, "", true); err != nil {
		t.Fatal(err)
	}
	var back runSummary
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(runSummary{Summary: s})
	if reparsed, _ := json.Marshal(back); !bytes.Equal(again, reparsed) {
		t.Errorf("--json does not round-trip the summary:\n%s\n%s", again, reparsed)
	}
}

// TestEveryCorpusRunIsSummarizedAsItsTranscriptSays plays every scenario of the corpus to the
// end and interrupted at each point where what it can say changes (each restore page and
// restore, the ESP, quality updates, the desktop, the first sign-in), and checks the summary
// every driver tells against the transcript.
func TestEveryCorpusRunIsSummarizedAsItsTranscriptSays(t *testing.T) {
	t.Parallel()
	scenarios, err := replay.Load(scenarioCorpus)
	if err != nil {
		t.Fatal(err)
	}
	points := []stopAt{{stage: oobe.StageRestorePage}, {stage: oobe.StageESP}, {stage: oobe.StageQualityUpdates},
		{stage: oobe.StageRestoreApply}, {stage: oobe.StageRestoreApply, progress: true}, {stage: oobe.StageDesktop},
		{stage: oobe.StageFirstSignInRestorePage}, {stage: oobe.StageFirstSignInRestore, progress: true}}
	var mu sync.Mutex
	runs := 0
	for _, sc := range scenarios {
		t.Run(sc.Rel, func(t *testing.T) {
			t.Parallel()
			full := playUntil(t, sc, stopAt{})
			checkSummaryAgrees(t, full)
			n := 1
			for _, p := range points {
				if !slices.ContainsFunc(full.Transcript, func(e oobe.Event) bool { return e.Stage == p.stage }) {
					continue
				}
				t.Run(p.String(), func(t *testing.T) {
					checkSummaryAgrees(t, playUntil(t, sc, p))
				})
				n++
			}
			mu.Lock()
			runs += n
			mu.Unlock()
		})
	}
	t.Cleanup(func() { t.Logf("%d runs of %d scenarios", runs, len(scenarios)) })
}
