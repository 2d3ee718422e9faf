"""Chat platform adapters: each turns platform events into core requests and replies into messages."""
