"""Fake platform APIs on 127.0.0.1 that tests drive the real client libraries against."""
