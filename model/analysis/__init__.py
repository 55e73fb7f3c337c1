"""Analysis of stored results: comparison and report, sensitivity, discovery, validation."""
