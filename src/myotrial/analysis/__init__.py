"""myotrial.analysis."""
