"""Data files shipped with the analytics core (example instrument, stop words)."""
