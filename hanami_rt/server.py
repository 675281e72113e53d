"""Running the app under uvicorn: used by `hanami-rt serve` and by the end-to-end tests."""

from __future__ import annotations

import socket

import uvicorn

from hanami_rt.app import create_app
from hanami_rt.settings import Settings


def make_server(settings: Settings) -> uvicorn.Server:
    """A uvicorn server for a fresh app; SIGINT/SIGTERM shut it down gracefully (persisting)."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        ws_max_size=settings.ws_max_frame_bytes,  # a bigger frame closes with 1009
    )
    return uvicorn.Server(config)


def serve(settings: Settings, sock: socket.socket | None = None) -> bool:
    """Serve until told to stop; True when startup succeeded. `sock` is an already-bound
    listening socket (tests bind port 0 and pass it, so there is no race for a free port)."""
    server = make_server(settings)
    server.run(sockets=[sock] if sock is not None else None)
    return bool(server.started)
