"""Production settings: exactly the base, which is safe by default. Kept as the documented name."""

from .base import *  # noqa: F403
