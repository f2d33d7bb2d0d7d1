"""myotrial.store."""
