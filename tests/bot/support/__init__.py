"""Helpers for the delivery, source and scheduler tests: fake platforms, canned rows, subprocess workers."""
