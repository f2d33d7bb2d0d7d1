"""myotrial.services."""
