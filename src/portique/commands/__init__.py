"""The `portique` sub-commands, one module per area."""
