"""Camera frames to faces to emotion probabilities. No Qt here."""
