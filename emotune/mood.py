"""Mood smoothing and tracking (see the vision pipeline issue). Placeholder until built."""
