"""Flights, hotels and package holidays: short-lived deals, hence countdowns and TTLs."""

from __future__ import annotations

from homewidgets.products import _sdui as ui
from homewidgets.products._common import CITIES, City, Component, Ctx, Offer

# (IATA, city, typical return fare low, high)
DESTINATIONS = (
    ("PMI", "Palma de Mallorca", 69, 240),
    ("LIS", "Lisbon", 89, 290),
    ("FCO", "Rome", 79, 260),
    ("BCN", "Barcelona", 69, 250),
    ("LHR", "London", 59, 220),
    ("AYT", "Antalya", 129, 380),
    ("HER", "Heraklion", 119, 340),
    ("JFK", "New York", 389, 790),
    ("BKK", "Bangkok", 549, 990),
    ("OPO", "Porto", 79, 260),
)
AIRLINES = ("Condor", "Eurowings", "Lufthansa", "Discover", "TUIfly", "Ryanair")

HOTELS = (
    ("Hotel Am Stadtpark", "Hamburg"),
    ("Seeblick Resort & Spa", "Lake Constance"),
    ("Altstadt Boutique Hotel", "Bamberg"),
    ("Hotel Alpenrose", "Garmisch-Partenkirchen"),
    ("Strandhotel Ostseeperle", "Binz, Rügen"),
    ("Hotel Lindenhof", "Dresden"),
    ("Casa del Mar", "Palma de Mallorca"),
    ("Hotel Riva", "Lake Garda"),
)

HOLIDAYS = (
    ("Mallorca", "PMI", "Playa de Palma", "palm.svg"),
    ("Crete", "HER", "Hersonissos", "palm.svg"),
    ("Turkish Riviera", "AYT", "Side", "beach.svg"),
    ("Gran Canaria", "LPA", "Maspalomas", "beach.svg"),
    ("Egypt", "HRG", "Hurghada", "palm.svg"),
    ("Madeira", "FNC", "Funchal", "beach.svg"),
)
BOARDS = ("breakfast", "half board", "all inclusive")


def _flight_card(
    ctx: Ctx, index: int, origin: City, destination: tuple[str, str, int, int]
) -> Component:
    code, city, low, high = destination
    fare = ctx.money(low, high, step=1)
    number = ctx.offer_no()
    stops = ctx.rng.choice(("direct", "direct", "1 stop"))
    return ui.card(
        ctx.cid("flight", index),
        f"{origin.airport} → {code}",
        subtitle=f"{origin.name} to {city} · {ctx.rng.choice(AIRLINES)} · {stops}",
        image=ui.image(
            ctx.cid("flight", index, "img"),
            ctx.rng.choice(("plane.svg", "plane-sunset.svg")),
            f"Flight to {city}",
            16 / 9,
        ),
        badge=ui.badge(ctx.cid("flight", index, "badge"), "Price drop", "deal")
        if ctx.rng.random() < 0.4
        else None,
        children=[
            ui.price(ctx.cid("flight", index, "price"), fare, period="once"),
            ui.text(ctx.cid("flight", index, "note"), "Return, per person, incl. taxes", "caption"),
        ],
        actions=[
            ui.button(
                ctx.cid("flight", index, "go"),
                "See dates",
                ui.navigate(ctx.offer_url(number)),
                "secondary",
            )
        ],
    )


def flights_generic(ctx: Ctx) -> Offer:
    origins = ctx.rng.sample(CITIES, 3)
    routes = ctx.rng.sample(DESTINATIONS, 3)
    ends = ctx.deal_end(4, 48)
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.carousel(
                    ctx.cid("top"),
                    [
                        _flight_card(ctx, i, o, d)
                        for i, (o, d) in enumerate(zip(origins, routes, strict=True))
                    ],
                    "Cheap flights from Germany",
                ),
                ui.countdown(ctx.cid("ends"), ends, "Weekend deals end in"),
                ui.row(
                    ctx.cid("actions"),
                    [
                        ui.button(
                            ctx.cid("search"), "Search flights", ui.navigate("/go/flights/search")
                        ),
                        ui.dismiss_button(ctx.cid("dismiss")),
                    ],
                ),
            ],
            "Flights",
        ),
        ctx.ttl_until(ends),
    )


def flights_personal(ctx: Ctx) -> Offer:
    assert ctx.city is not None
    ends = ctx.deal_end(3, 36)
    routes = ctx.rng.sample(DESTINATIONS, 3)
    cards = [_flight_card(ctx, i, ctx.city, d) for i, d in enumerate(routes)]
    cards[0]["actions"] = [*cards[0]["actions"], ui.dismiss_button(ctx.cid("dismiss"))]
    return Offer(
        ui.section(
            ctx.cid("personal"),
            [
                ui.text(
                    ctx.cid("from"),
                    f"Deals from {ctx.city.airport_name} ({ctx.city.airport})",
                    "subtitle",
                ),
                ui.carousel(ctx.cid("deals"), cards),
                ui.countdown(ctx.cid("ends"), ends, "Fares guaranteed for"),
            ],
            "Flights for you",
        ),
        ctx.ttl_until(ends),
    )


def _hotel_card(ctx: Ctx, index: int, name: str, where: str) -> Component:
    number = ctx.offer_no()
    night = ctx.money(69, 260, step=1)
    was = round(night * ctx.rng.uniform(1.15, 1.45)) - 0.01
    return ui.card(
        ctx.cid("hotel", index),
        name,
        subtitle=where,
        image=ui.image(
            ctx.cid("hotel", index, "img"),
            ctx.rng.choice(("bed.svg", "hotel.svg")),
            f"Room at {name}",
            4 / 3,
        ),
        badge=ui.badge(ctx.cid("hotel", index, "badge"), "Free cancellation", "info"),
        children=[
            ui.rating(
                ctx.cid("hotel", index, "rating"),
                ctx.rng.uniform(7.6, 9.6),
                ctx.rng.randint(80, 5200),
                10,
            ),
            ui.price(ctx.cid("hotel", index, "price"), night, period="once", was=was),
            ui.text(ctx.cid("hotel", index, "per"), "per night, 2 guests", "caption"),
        ],
        actions=[
            ui.button(
                ctx.cid("hotel", index, "go"), "Check rooms", ui.navigate(ctx.offer_url(number))
            )
        ],
    )


def hotels_generic(ctx: Ctx) -> Offer:
    picks = ctx.rng.sample(HOTELS, 3)
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.carousel(
                    ctx.cid("top"),
                    [_hotel_card(ctx, i, *h) for i, h in enumerate(picks)],
                    "Weekend getaways",
                ),
                ui.dismiss_button(ctx.cid("dismiss")),
            ],
            "Hotels",
        )
    )


def hotels_personal(ctx: Ctx) -> Offer:
    assert ctx.city is not None
    picks = ctx.rng.sample(HOTELS, 2)
    cards = [_hotel_card(ctx, i, *h) for i, h in enumerate(picks)]
    ends = ctx.deal_end(12, 96)
    cards[0]["badge"] = ui.badge(ctx.cid("hotel", 0, "badge"), "Member price", "deal")
    cards[0]["children"] = [
        *cards[0]["children"],
        ui.countdown(ctx.cid("hotel", 0, "ends"), ends, "Member price ends in"),
    ]
    return Offer(
        ui.section(
            ctx.cid("personal"),
            [
                ui.text(
                    ctx.cid("why"),
                    f"Popular with travellers from {ctx.city.name}",
                    "caption",
                ),
                ui.carousel(ctx.cid("picks"), cards),
                ui.dismiss_button(ctx.cid("dismiss"), "Hide hotel tips"),
            ],
            "Hotels you may like",
        ),
        ctx.ttl_until(ends),
    )


def _holiday_card(ctx: Ctx, index: int, origin: City) -> Component:
    region, _airport, town, picture = ctx.rng.choice(HOLIDAYS)
    number = ctx.offer_no()
    stars = ctx.rng.choice((3, 4, 4, 5))
    board = ctx.rng.choice(BOARDS)
    amount = ctx.money(399, 1899, step=10)
    return ui.card(
        ctx.cid("trip", index),
        f"{region}: 7 nights in {town}",
        subtitle=f"{'★' * stars} hotel · {board} · flight from {origin.airport}",
        image=ui.image(ctx.cid("trip", index, "img"), picture, f"Beach in {region}", 16 / 9),
        badge=ui.badge(ctx.cid("trip", index, "badge"), "Last minute", "deal")
        if ctx.rng.random() < 0.5
        else None,
        children=[
            ui.price(
                ctx.cid("trip", index, "price"),
                amount,
                period="once",
                was=round(amount * 1.2, -1) - 0.01,
            ),
            ui.text(
                ctx.cid("trip", index, "pp"), "per person incl. flight and transfer", "caption"
            ),
            ui.rating(
                ctx.cid("trip", index, "rating"),
                ctx.rng.uniform(3.8, 4.9),
                ctx.rng.randint(40, 2600),
            ),
        ],
        actions=[
            ui.button(
                ctx.cid("trip", index, "go"), "View holiday", ui.navigate(ctx.offer_url(number))
            )
        ],
    )


def travel_generic(ctx: Ctx) -> Offer:
    origin = ctx.rng.choice(CITIES)
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.carousel(
                    ctx.cid("top"),
                    [_holiday_card(ctx, i, origin) for i in range(3)],
                    "Sun guaranteed",
                ),
                ui.row(
                    ctx.cid("actions"),
                    [
                        ui.button(
                            ctx.cid("all"),
                            "All package holidays",
                            ui.navigate("/go/travel/search"),
                            "link",
                        ),
                        ui.dismiss_button(ctx.cid("dismiss")),
                    ],
                ),
            ],
            "Package holidays",
        )
    )


def travel_personal(ctx: Ctx) -> Offer:
    assert ctx.city is not None
    main = _holiday_card(ctx, 0, ctx.city)
    ends = ctx.deal_end(6, 72)
    main["children"] = [
        *main["children"],
        ui.countdown(ctx.cid("trip", 0, "ends"), ends, "Last-minute price for"),
    ]
    main["actions"] = [*main["actions"], ui.dismiss_button(ctx.cid("dismiss"))]
    return Offer(
        ui.section(ctx.cid("personal"), [main], f"Holidays from {ctx.city.name}"),
        ctx.ttl_until(ends),
    )
