"""Questions out: question reading, the passage index, the answering engine and its parts."""
