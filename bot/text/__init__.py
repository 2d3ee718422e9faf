"""Language: normalization, i18n, the negotiation profile, and the language data they read."""
