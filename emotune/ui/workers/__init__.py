"""Background workers: each owns its slow resource and talks to the GUI only through signals."""
