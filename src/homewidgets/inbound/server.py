"""Running the app under granian's RSGI interface, the production server (fastest measured
here: NOTES.md and docs/PERFORMANCE.md)."""

from __future__ import annotations

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops, TaskImpl

from homewidgets.config import Settings

APP_FACTORY = "homewidgets.inbound.http.app:rsgi_app_from_environ"


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted; every worker process builds its own app from the environment."""
    Granian(
        APP_FACTORY,
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        http=HTTPModes.http1,  # HTTP/2 ends at the load balancer; no per-connection sniffing
        websockets=False,
        workers=workers,
        loop=Loops.uvloop,
        # "rust": granian steps each request's coroutine itself instead of wrapping it in an
        # asyncio Task. Code that needs a current task (anyio in Starlette, asyncio.timeout,
        # redis-py) runs in real tasks: the control plane (rsgi_bridge) and L2 reads.
        task_impl=TaskImpl(settings.server_tasks),
        backlog=4096,
        log_level=_granian_level(settings.log_level),
        log_access=False,
        workers_kill_timeout=10,
    ).serve()


def _granian_level(level: str):  # type: ignore[no-untyped-def]
    from granian.log import LogLevels

    return {"debug": LogLevels.debug, "info": LogLevels.info, "warning": LogLevels.warning,
            "error": LogLevels.error}.get(level, LogLevels.warning)
