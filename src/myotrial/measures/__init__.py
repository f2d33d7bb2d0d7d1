"""myotrial.measures."""
