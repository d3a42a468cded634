"""Performance harnesses: ``python -m benchmarks.run`` (``make bench``)."""
