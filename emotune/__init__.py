"""EmoTune: reads the listener's mood from a webcam and plays fitting music from their own library."""

__version__ = "0.1.0"
