"""The bottom layer: how neuroloom touches the disk.

Atomic writes (temp name, then rename) and reading TOML/YAML/JSON configs.
Every package above may import it; it imports nothing of neuroloom but
:mod:`neuroloom.errors`.
"""
