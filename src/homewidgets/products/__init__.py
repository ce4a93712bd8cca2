"""The simulated product backends (CONTRACT 6): content, pull endpoint, push mode.

Importing this package opens nothing; `homewidgets.products.server.main` runs the backends.
`IMAGES_DIR` is the folder the home service serves at `/assets/products/`.
"""

from __future__ import annotations

from pathlib import Path

from homewidgets.products.content import (
    PRODUCT_IDS,
    generic_offer,
    generic_widget,
    personalised_offer,
    personalised_widget,
)
from homewidgets.products.simulator import DEMO_USER_IDS

IMAGES_DIR: Path = Path(__file__).resolve().parent / "images"

__all__ = [
    "DEMO_USER_IDS",
    "IMAGES_DIR",
    "PRODUCT_IDS",
    "generic_offer",
    "generic_widget",
    "personalised_offer",
    "personalised_widget",
]
