"""Experiments: designs and seeds, one run, executors, the store, reading results back."""
