"""What users write: scenario, batch, sensitivity-study and target files."""
