"""The embedder front (e5-small) and the engines that run it."""
