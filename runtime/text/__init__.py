"""Text as the model reads it: normalization, emoji read as words, (text, role, context) -> windows of token ids. Identical in training and at runtime; a bundle's manifest records the settings.

Import from the modules of this room; this file only names it."""
