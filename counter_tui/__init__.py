"""counter-tui: a keyboard-driven, offline-first app for one-stop counters."""

__version__ = "0.1.0"
