"""The widgets of the simulated products: generic ones and personalised ones per user.

Personalised content is deterministic per (product, user_id, variant): the same call
always builds the same widget, so tests can assert on it and a restarted backend
answers like before. `variant` picks another offer (a user dismissed the last one).
Deals end relative to `now` (whole hours), so pass `now` to pin them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from homewidgets.products import _offers_contracts as contracts
from homewidgets.products import _offers_household as household
from homewidgets.products import _offers_travel as travel
from homewidgets.products._common import Component, Ctx, Offer, home_city, seeded, utc_now

Builder = Callable[[Ctx], Offer]

# product id -> (generic builder, personalised builder); ids as in registry.DEMO_PRODUCTS.
_BUILDERS: dict[str, tuple[Builder, Builder]] = {
    "car_insurance": (household.car_insurance_generic, household.car_insurance_personal),
    "energy": (household.energy_generic, household.energy_personal),
    "dsl": (household.dsl_generic, household.dsl_personal),
    "mobile": (contracts.mobile_generic, contracts.mobile_personal),
    "flights": (travel.flights_generic, travel.flights_personal),
    "hotels": (travel.hotels_generic, travel.hotels_personal),
    "credit_card": (contracts.credit_card_generic, contracts.credit_card_personal),
    "travel": (travel.travel_generic, travel.travel_personal),
}

PRODUCT_IDS: tuple[str, ...] = tuple(_BUILDERS)

# How often the generic deals change: the generic widget is seeded per hour.
GENERIC_PERIOD_SECONDS = 3600


class UnknownSimulatedProduct(KeyError):
    """A product id this simulator has no content for."""


def _builders(product: str) -> tuple[Builder, Builder]:
    try:
        return _BUILDERS[product]
    except KeyError:
        raise UnknownSimulatedProduct(product) from None


def generic_offer(product: str, *, now: datetime | None = None) -> Offer:
    """The product's widget for people it knows nothing about; changes every hour."""
    build, _ = _builders(product)
    moment = now or utc_now()
    bucket = int(moment.astimezone(UTC).timestamp()) // GENERIC_PERIOD_SECONDS
    return build(Ctx(product, seeded("generic", product, bucket), moment))


def personalised_offer(
    product: str, user_id: str, variant: int = 0, *, now: datetime | None = None
) -> Offer:
    """The user's personalised widget with its TTL (deals end) and priority."""
    _, build = _builders(product)
    ctx = Ctx(product, seeded(product, user_id, variant), now or utc_now(), home_city(user_id))
    return build(ctx)


def generic_widget(product: str, *, now: datetime | None = None) -> Component:
    """The generic widget's SDUI content."""
    return generic_offer(product, now=now).content


def personalised_widget(
    product: str, user_id: str, variant: int = 0, *, now: datetime | None = None
) -> Component:
    """The personalised widget's SDUI content (see `personalised_offer`)."""
    return personalised_offer(product, user_id, variant, now=now).content
