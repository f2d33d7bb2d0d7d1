"""myotrial.report."""
