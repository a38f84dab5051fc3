"""Demonstrations run by ``neuroloom demo``."""
