"""One module per figure; each `run(plan)` returns an `Outcome`."""
