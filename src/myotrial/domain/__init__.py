"""myotrial.domain."""
