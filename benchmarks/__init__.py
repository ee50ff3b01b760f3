"""Speed benchmarks of trialdesk against the R peer packages (run: ./scripts/bench)."""
