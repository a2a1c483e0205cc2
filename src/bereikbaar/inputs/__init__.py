"""Readers for every input; each returns a ReadResult (see report.py)."""
