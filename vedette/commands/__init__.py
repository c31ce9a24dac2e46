"""One module per CLI command family; each returns the exit status."""
