"""The simulation: the Mesa model of Iraq after Mosul, its agents, rules, recording, the
parameter registry and the outcome catalogue. Reads no files and writes none."""
