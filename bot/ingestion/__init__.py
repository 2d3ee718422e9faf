"""Documents in: fetch, extract, the pipeline, the position ledger, stories, summaries and sources."""
