"""Bundles: the manifest schema, loading and verifying a bundle folder, whose signature to trust, the shipped model tiers, GGUF metadata keys.

Import from the modules of this room; this file only names it."""
