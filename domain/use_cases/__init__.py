"""One module per use case. Each is a class built once with its ports and called with a plain command."""
