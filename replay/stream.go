package replay

import (
	"context"
	"iter"
	"runtime"
	"sync"
)

// Stream runs a corpus's scenarios, opts.Parallel at a time, and yields their reports in the
// corpus's order, each as soon as it and every one before it have ended: the output is the
// same at any parallelism, and it goes out while the run goes on. Each scenario is parsed
// when its turn comes and dropped with its report once the loop body has it, so a run holds
// a few reports and a few parsed scenarios whatever the corpus's size. A file that no longer
// parses as Scan found it fails its scenario's report. Breaking out of the loop cancels the
// scenarios still running and waits for them.
func Stream(ctx context.Context, corpus []Entry, opts Options) iter.Seq[*Report] {
	return stream(ctx, len(corpus), opts, func(ctx context.Context, i int) *Report {
		e := corpus[i]
		sc, err := e.Scenario()
		if err != nil {
			return unparsed(e, err)
		}
		return Run(ctx, sc, opts)
	})
}

// RunAll runs scenarios, opts.Parallel at a time, and returns their reports in the order of
// scenarios. Each scenario has its own tenant, clock and device, so the reports do not depend
// on the order or the parallelism. It holds every report: for a corpus of any size, Stream.
func RunAll(ctx context.Context, scenarios []*Scenario, opts Options) []*Report {
	reports := make([]*Report, 0, len(scenarios))
	for r := range stream(ctx, len(scenarios), opts, func(ctx context.Context, i int) *Report {
		return Run(ctx, scenarios[i], opts)
	}) {
		reports = append(reports, r)
	}
	return reports
}

// reorderSlack is how many scenarios beyond one per worker may have started and not yet been
// yielded: room for the workers to go on while an earlier, longer scenario (an old PC's weeks
// of backups) ends, without holding more than a handful of reports.
const reorderSlack = 4

// unparsed is the report of a scenario whose file no longer parses.
func unparsed(e Entry, err error) *Report {
	return &Report{Name: e.Name, File: e.File, Failures: []Failure{{Field: "run",
		Expected: "the scenario file parses as it did when the run began", Got: err.Error()}},
		VirtualDuration: "0s", Outcome: Summary{Reasons: []string{}, Backups: []string{}, RestorePage: "hidden"},
		Transcript: []Event{}}
}

// stream plays n scenarios (play(ctx, i) is scenario i's report) on opts.Parallel workers and
// yields the reports in order 0, 1, …, n-1. A scenario starts only while fewer than workers +
// reorderSlack have started and not been yielded, so that many reports at most are held.
// When ctx ends, no scenario starts: the reports of those that had are yielded, then the
// sequence ends.
func stream(ctx context.Context, n int, opts Options, play func(context.Context, int) *Report) iter.Seq[*Report] {
	return func(yield func(*Report) bool) {
		workers := opts.Parallel
		if workers <= 0 {
			workers = runtime.NumCPU()
		}
		workers = min(workers, max(n, 1))
		window := workers + reorderSlack
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()

		type result struct {
			i int
			r *Report
		}
		slots := make(chan struct{}, window) // one per scenario started and not yet yielded
		results := make(chan result, window) // never full: a result holds a slot
		next := make(chan int)
		go func() {
			defer close(next)
			for i := range n {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				select {
				case next <- i:
				case <-ctx.Done():
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := range next {
					results <- result{i, play(ctx, i)}
				}
			})
		}
		go func() {
			wg.Wait()
			close(results)
		}()

		// Started scenarios are numbered from the oldest not yet yielded, so a ring of window
		// places holds every finished report.
		ready := make([]*Report, window)
		yielded := 0
		for res := range results {
			ready[res.i%window] = res.r
			for ready[yielded%window] != nil {
				r := ready[yielded%window]
				ready[yielded%window] = nil
				yielded++
				if !yield(r) {
					cancel()
					for range results { // the scenarios still running end at once, cancelled
					}
					return
				}
				<-slots
			}
		}
	}
}
