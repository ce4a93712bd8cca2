"""Running the ASGI app under granian, the production server (NOTES.md: fastest measured here)."""

from __future__ import annotations

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops

from homewidgets.config import Settings

APP_FACTORY = "homewidgets.inbound.http.app:app_from_environ"


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted; every worker process builds its own app from the environment."""
    Granian(
        APP_FACTORY,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,  # HTTP/2 ends at the load balancer; no per-connection sniffing
        websockets=False,
        workers=workers,
        loop=Loops.uvloop,
        backlog=4096,
        log_level=_granian_level(settings.log_level),
        log_access=False,
        workers_kill_timeout=10,
    ).serve()


def _granian_level(level: str):  # type: ignore[no-untyped-def]
    from granian.log import LogLevels

    return {"debug": LogLevels.debug, "info": LogLevels.info, "warning": LogLevels.warning,
            "error": LogLevels.error}.get(level, LogLevels.warning)
