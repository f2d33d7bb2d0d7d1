"""myotrial.ingest."""
