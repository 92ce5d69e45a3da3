"""The embedded runtime: the real template, Lambda code, state machine and SQL on one machine."""
