"""Loader throughput benchmarks: a generated corpus, a Lhotse-native baseline pipeline, and
the harness behind `spelangy bench` (docs: benchmarks/README.md)."""
