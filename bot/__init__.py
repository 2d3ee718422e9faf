"""Parley's platform-free core: documents, answers, summaries, subscriptions and delivery."""
