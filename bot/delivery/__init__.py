"""Pushes: the outbox, subscriptions and digests."""
