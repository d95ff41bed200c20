"""Ways in: the Flask app and its CLI commands. Thin: HTTP in, use case calls, HTTP out."""
