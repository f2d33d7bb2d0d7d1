"""myotrial.design."""
