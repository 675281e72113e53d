"""hanami-rt: a websocket-first realtime server for Hanami's growing neural networks."""

__version__ = "0.1.0"
