"""The music side: library scanning and tagging, placement on the mood map, recommendation and
playback. No Qt here."""
