"""Prepared corpora: documents read once by `spelangy index` into memory-mappable column
files (`format`, `writer`, `build`), read back one document at a time (`corpus`). A source
given a prepared directory reads it instead of its manifest (docs/prepared.md)."""
