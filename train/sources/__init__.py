"""Seed-data loaders: one module per source, each with its explicit mapping table."""
