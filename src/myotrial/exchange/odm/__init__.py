"""CDISC ODM 1.3.2: a trial written as one ODM file (:mod:`.export`), read back by
:mod:`myotrial.ingest.odm`."""
