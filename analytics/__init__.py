"""Analytics: per-day counters of what followers send and what answered them, and reports over a date range."""
