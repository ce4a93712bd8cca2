"""The web client's files and the product images, served by the service itself."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
IMAGES_DIR = Path(__file__).resolve().parents[2] / "products" / "images"


def _page(name: str) -> Route:
    path = WEB_DIR / name

    async def page(_request: Request) -> Response:
        return FileResponse(path, media_type="text/html", headers={"cache-control": "no-cache"})

    return Route("/" if name == "index.html" else "/" + name.removesuffix(".html"), page,
                 methods=["GET", "HEAD"])


def web_routes() -> list[BaseRoute]:
    return [
        _page("index.html"),
        _page("playground.html"),
        Mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static"),
        Mount("/assets/products", StaticFiles(directory=IMAGES_DIR, check_dir=False),
              name="product-images"),
    ]
