"""End-to-end tests that drive a real browser against the live server."""
