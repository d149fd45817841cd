"""Development tooling: what `make stack`, the tests and the benchmarks start on this machine.

Never installed in production: no app imports it (tests/test_layout.py).
"""
