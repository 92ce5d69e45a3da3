"""The embedded runtime: the real template, Lambda code, state machine and SQL on one machine."""

from .lazy_moto import defer_batch_service

defer_batch_service()
