"""The SDUI catalogue of schema version 1 (CONTRACT section 7) as msgspec Structs.

Private to `homewidgets.domain.sdui`, which adds the rules msgspec cannot state (URL
schemes, nesting depth). Split off because the catalogue alone is a page long.

The Structs are the single source of truth: the decoder, the canonical encoder and the
published JSON Schema are all derived from them, so they cannot drift apart. They live
for the whole process. `gc=False` because a decoded tree has no reference cycles and is
thrown away right after re-encoding. (Not `frozen`: mypy then wants it repeated on every
subclass, and nothing keeps a tree long enough to mutate it.)

Shared conventions:
- every component is tagged by `"type"` and may carry `id` and `fallback`;
- optional fields default to `UNSET` (never `null`: a `null` is refused, not ignored);
- `omit_defaults=True` drops defaults from the canonical output, so it stays compact;
- every string and list has a length cap, stated in the error when it is exceeded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

from msgspec import UNSET, Meta, Struct, UnsetType

MAX_TEXT = 2000
"""Characters in a `text` component's text."""
MAX_LABEL = 200
"""Characters in titles, subtitles, labels, alt texts, ids and event names."""
MAX_URL = 2048
"""Characters in a URL."""
MAX_CHILDREN = 50
"""Components in one `children` or `items` list."""
MAX_ACTIONS = 10
"""Buttons in one card's `actions`."""
MAX_AMOUNT = 1e12
"""Largest price amount; also keeps `inf` (e.g. from `1e400`) out of the output."""
MAX_RATING = 1000.0
"""Largest `rating.max`."""
MAX_ASPECT_RATIO = 100.0
"""Largest `image.aspect_ratio` (width / height)."""

Label = Annotated[str, Meta(max_length=MAX_LABEL)]
Url = Annotated[
    str, Meta(max_length=MAX_URL, description="https://..., /site-relative path or app scheme")
]
Children = Annotated[list["Component"], Meta(max_length=MAX_CHILDREN)]

TextStyle = Literal["title", "subtitle", "body", "caption"]
ButtonStyle = Literal["primary", "secondary", "link"]
BadgeTone = Literal["neutral", "info", "success", "warning", "danger", "deal"]
PricePeriod = Literal["once", "month", "year"]


class _Node(Struct, tag_field="type", forbid_unknown_fields=True, omit_defaults=True, gc=False):
    """Options shared by components and actions."""


# ---------------------------------------------------------------- actions


class Navigate(_Node, tag="navigate"):
    """Open `url` (same URL rule as images)."""

    url: Url


class Dismiss(_Node, tag="dismiss"):
    """Hide the widget for this user; the client reports it to `POST /v1/events`."""


class Track(_Node, tag="track"):
    """Report `event` to `POST /v1/events` and do nothing else."""

    event: Label


Action = Navigate | Dismiss | Track


# ---------------------------------------------------------------- components


class _Component(_Node, kw_only=True):
    """Fields every component may carry; keyword-only so they go after each type's own fields.

    `NESTED` and `NESTED_LISTS` name the fields holding further components, so the depth
    check in `sdui.py` walks the tree without knowing each type.
    """

    NESTED: ClassVar[tuple[str, ...]] = ("fallback",)
    NESTED_LISTS: ClassVar[tuple[str, ...]] = ()

    id: Label | UnsetType = UNSET
    fallback: Component | UnsetType = UNSET


class Section(_Component, tag="section"):
    """A titled group of components stacked vertically."""

    NESTED_LISTS = ("children",)

    children: Children
    title: Label | UnsetType = UNSET


class Carousel(_Component, tag="carousel"):
    """A horizontally scrolling list of components, usually cards."""

    NESTED_LISTS = ("items",)

    items: Children
    title: Label | UnsetType = UNSET


class Text(_Component, tag="text"):
    """Plain text, never markup: clients must not interpret it as HTML."""

    text: Annotated[str, Meta(max_length=MAX_TEXT)]
    style: TextStyle = "body"


class Image(_Component, tag="image"):
    """An image; `aspect_ratio` (width / height) lets clients reserve space before it loads."""

    url: Url
    alt: Label
    aspect_ratio: Annotated[float, Meta(gt=0, le=MAX_ASPECT_RATIO)] | UnsetType = UNSET


class Badge(_Component, tag="badge"):
    """A short highlighted label, e.g. "-20 %" or "New"."""

    label: Label
    tone: BadgeTone = "neutral"


class Button(_Component, tag="button"):
    """A button that runs one action."""

    label: Label
    action: Action
    style: ButtonStyle = "primary"


class Card(_Component, tag="card"):
    """The main building block: a title with optional image, badge, content and buttons."""

    NESTED = ("fallback", "image", "badge")
    NESTED_LISTS = ("children", "actions")

    title: Label
    subtitle: Label | UnsetType = UNSET
    image: Image | UnsetType = UNSET
    badge: Badge | UnsetType = UNSET
    children: Children = []
    actions: Annotated[list[Button], Meta(max_length=MAX_ACTIONS)] = []


class Price(_Component, tag="price"):
    """An amount of money; `was_amount` is the struck-through price of an offer."""

    amount: Annotated[float, Meta(ge=0, le=MAX_AMOUNT)]
    currency: Annotated[str, Meta(pattern="^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")]
    period: PricePeriod | UnsetType = UNSET
    was_amount: Annotated[float, Meta(ge=0, le=MAX_AMOUNT)] | UnsetType = UNSET


class Rating(_Component, tag="rating"):
    """A score out of `max` (e.g. 4.6 of 5 stars) from `count` reviews."""

    value: Annotated[float, Meta(ge=0, le=MAX_RATING)]
    max: Annotated[float, Meta(gt=0, le=MAX_RATING)] = 5.0
    count: Annotated[int, Meta(ge=0)] | UnsetType = UNSET

    def __post_init__(self) -> None:
        if self.value > self.max:
            # "@field:" routes the problem's pointer to that field (see sdui._problem).
            raise ValueError(f"@value:must be at most `max` ({self.max:g}), got {self.value:g}")


class Row(_Component, tag="row"):
    """Components side by side."""

    NESTED_LISTS = ("children",)

    children: Children


class Column(_Component, tag="column"):
    """Components stacked vertically, without a title."""

    NESTED_LISTS = ("children",)

    children: Children


class Countdown(_Component, tag="countdown"):
    """Time left until `until` (RFC 3339 with a time zone), e.g. when an offer ends."""

    until: Annotated[datetime, Meta(tz=True)]
    label: Label | UnsetType = UNSET


class Divider(_Component, tag="divider"):
    """A horizontal rule."""


Component = (
    Section
    | Carousel
    | Card
    | Text
    | Image
    | Button
    | Price
    | Badge
    | Rating
    | Row
    | Column
    | Countdown
    | Divider
)
"""One SDUI component: the union msgspec decodes by its `"type"` tag."""

COMPONENT_TYPES: tuple[type[Any], ...] = Component.__args__
COMPONENT_TAGS: tuple[str, ...] = tuple(sorted(t.__struct_config__.tag for t in COMPONENT_TYPES))
ACTION_TAGS: tuple[str, ...] = ("dismiss", "navigate", "track")
ENUM_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("text", "style"): get_args(TextStyle),
    ("button", "style"): get_args(ButtonStyle),
    ("badge", "tone"): get_args(BadgeTone),
    ("price", "period"): get_args(PricePeriod),
}
"""The allowed values of each enum field, by (component type, field), for error messages."""
