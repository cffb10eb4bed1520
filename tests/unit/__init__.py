"""Tests without a database: pure functions, files of the repository."""
