"""Norma's domain and storage: acts, campaigns, verdicts, reports, and the CLI."""
