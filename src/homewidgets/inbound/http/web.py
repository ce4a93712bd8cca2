"""The web client's files and the product images, served by the service itself."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
IMAGES_DIR = Path(__file__).resolve().parents[2] / "products" / "images"


def _page(name: str) -> Route:
    path = WEB_DIR / name

    async def page(_request: Request) -> Response:
        return FileResponse(path, media_type="text/html", headers={"cache-control": "no-cache"})

    return Route(
        "/" if name == "index.html" else "/" + name.removesuffix(".html"),
        page,
        methods=["GET", "HEAD"],
    )


_GO_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offer</title>
<link rel="stylesheet" href="/static/styles.css"></head><body><main style="padding:2rem">
<h1>Leaving the home page</h1><p>Here the product's own page would open. Product links
are site-relative paths under <code>/go/</code>, so each product team decides where they
lead.</p><p><a href="/">Back to the home page</a></p></main></body></html>"""


async def _go(_request: Request) -> Response:
    """Where the demo products' offer links lead: an honest dead end, not a 404."""
    return HTMLResponse(_GO_PAGE)


def web_routes() -> list[BaseRoute]:
    return [
        _page("index.html"),
        _page("playground.html"),
        Route("/go/{rest:path}", _go, methods=["GET"]),
        Mount("/static", StaticFiles(directory=WEB_DIR, check_dir=False), name="static"),
        Mount(
            "/assets/products",
            StaticFiles(directory=IMAGES_DIR, check_dir=False),
            name="product-images",
        ),
    ]
