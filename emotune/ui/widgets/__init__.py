"""Self-contained widgets of the main window; each paints or lays out one thing."""
