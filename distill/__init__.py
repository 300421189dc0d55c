"""Teacher-to-student distillation (see issue 4)."""
