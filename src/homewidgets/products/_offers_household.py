"""Car insurance, electricity & gas, DSL: yearly or monthly contracts people switch to save."""

from __future__ import annotations

from homewidgets.products import _sdui as ui
from homewidgets.products._common import Component, Ctx, Offer

INSURERS = (
    "Nordstern Versicherung",
    "Rheinland Direkt",
    "Alpina Kfz",
    "Hanse Mobil",
    "Elbufer Assekuranz",
    "Kontor24 Versicherung",
)
CARS = (
    ("VW Golf 1.5 TSI", 2019),
    ("Opel Corsa 1.2", 2021),
    ("BMW 320d Touring", 2018),
    ("Škoda Octavia Combi", 2020),
    ("Tesla Model 3", 2022),
    ("Ford Fiesta 1.0 EcoBoost", 2017),
    ("Mercedes A 180", 2020),
    ("Toyota Yaris Hybrid", 2023),
)
COVERS = ("Liability only", "Partial cover (Teilkasko)", "Comprehensive (Vollkasko)")

SUPPLIERS = ("Stadtwerk Nord", "Voltaria", "Grünstrom24", "Energie Südwest", "Lumen Energie")
TARIFFS = ("Ökostrom Plus", "Basis 24", "Fix 12", "Natur Flex", "Klima Strom")

DSL_PROVIDERS = ("Netzwelt", "Glasfaser Plus", "Telekabel", "Wellenreiter DSL", "Lichtnetz")
# (download Mbit/s, upload Mbit/s, regular monthly price)
DSL_SPEEDS = (
    (50, 10, 29.99),
    (100, 40, 34.99),
    (250, 40, 39.99),
    (500, 100, 44.99),
    (1000, 200, 59.99),
)


def _insurance_card(
    ctx: Ctx, index: int, car: str, year: int, cover: str
) -> tuple[Component, float]:
    number = ctx.offer_no()
    insurer = ctx.rng.choice(INSURERS)
    premium = ctx.money(240, 890, step=1, cents=1) + ctx.rng.choice((0.0, 0.5, 0.9))
    stars = ctx.rng.uniform(4.0, 4.9)
    node = ui.card(
        ctx.cid("offer", index),
        insurer,
        subtitle=f"{cover} · {car} ({year})",
        image=ui.image(ctx.cid("offer", index, "img"), "car.svg", "A small blue car", 16 / 9),
        badge=ui.badge(ctx.cid("offer", index, "badge"), "Test winner", "success")
        if stars > 4.6
        else None,
        children=[
            ui.price(ctx.cid("offer", index, "price"), premium, period="year"),
            ui.rating(ctx.cid("offer", index, "rating"), stars, ctx.rng.randint(300, 9000)),
        ],
        actions=[
            ui.button(
                ctx.cid("offer", index, "go"), "To the offer", ui.navigate(ctx.offer_url(number))
            )
        ],
    )
    return node, premium


def car_insurance_generic(ctx: Ctx) -> Offer:
    cards = [
        _insurance_card(ctx, i, *ctx.rng.choice(CARS), ctx.rng.choice(COVERS))[0] for i in range(3)
    ]
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.text(
                    ctx.cid("intro"), "Compare 300+ tariffs and save up to €850 a year.", "subtitle"
                ),
                ui.carousel(ctx.cid("top"), cards, "Popular this week"),
                ui.row(
                    ctx.cid("actions"),
                    [
                        ui.button(
                            ctx.cid("compare"),
                            "Compare car insurance",
                            ui.navigate("/go/car_insurance/compare"),
                        ),
                        ui.dismiss_button(ctx.cid("dismiss")),
                    ],
                ),
            ],
            "Car insurance",
        )
    )


def car_insurance_personal(ctx: Ctx) -> Offer:
    car, year = ctx.rng.choice(CARS)
    cover = ctx.rng.choice(COVERS)
    current = ctx.money(420, 1100, step=1, cents=1)
    number = ctx.offer_no()
    offer = round(current * ctx.rng.uniform(0.62, 0.88), 2)
    saving = round(current - offer)
    ends = ctx.deal_end(24, 24 * 6)
    main = ui.card(
        ctx.cid("main"),
        f"Save €{saving} on your {car}",
        subtitle=f"{ctx.rng.choice(INSURERS)} · {cover} · first registered {year}",
        image=ui.image(
            ctx.cid("main", "img"),
            ctx.rng.choice(("car.svg", "car-shield.svg")),
            "Your car",
            16 / 9,
        ),
        badge=ui.badge(ctx.cid("main", "badge"), f"−{round(100 * saving / current)}%", "deal"),
        children=[
            ui.price(ctx.cid("main", "price"), offer, period="year", was=current),
            ui.text(
                ctx.cid("main", "note"),
                f"No-claims class SF {ctx.rng.randint(3, 25)} kept",
                "caption",
            ),
            ui.countdown(ctx.cid("main", "ends"), ends, "Price guaranteed for"),
        ],
        actions=[
            ui.button(ctx.cid("main", "go"), "Switch now", ui.navigate(ctx.offer_url(number))),
            ui.dismiss_button(ctx.cid("main", "dismiss")),
        ],
    )
    return Offer(ui.section(ctx.cid("personal"), [main], "Your car insurance"), ctx.ttl_until(ends))


def _energy_card(ctx: Ctx, index: int, kwh: int, green: bool) -> tuple[Component, float]:
    number = ctx.offer_no()
    cents_per_kwh = ctx.rng.uniform(24.5, 34.9)
    base_fee = ctx.rng.uniform(8.0, 15.0)
    monthly = round((kwh * cents_per_kwh / 100 + 12 * base_fee) / 12, 2)
    node = ui.card(
        ctx.cid("tariff", index),
        f"{ctx.rng.choice(SUPPLIERS)} {ctx.rng.choice(TARIFFS)}",
        subtitle=f"{cents_per_kwh:.2f} ct/kWh · base fee €{base_fee:.2f}/month",
        badge=ui.badge(ctx.cid("tariff", index, "badge"), "100% green power", "success")
        if green
        else None,
        children=[ui.price(ctx.cid("tariff", index, "price"), monthly, period="month")],
        actions=[
            ui.button(
                ctx.cid("tariff", index, "go"),
                "Details",
                ui.navigate(ctx.offer_url(number)),
                "secondary",
            )
        ],
    )
    return node, monthly


def energy_generic(ctx: Ctx) -> Offer:
    cards = [_energy_card(ctx, i, 2500, ctx.rng.random() < 0.6)[0] for i in range(3)]
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.image(ctx.cid("hero"), "energy-plug.svg", "A power plug", 3.0),
                ui.carousel(ctx.cid("top"), cards, "Cheapest for 2,500 kWh a year"),
                ui.text(ctx.cid("hint"), "Prices include VAT and network charges.", "caption"),
                ui.button(
                    ctx.cid("compare"), "Compare electricity", ui.navigate("/go/energy/compare")
                ),
                ui.dismiss_button(ctx.cid("dismiss")),
            ],
            "Electricity & gas",
        )
    )


def energy_personal(ctx: Ctx) -> Offer:
    assert ctx.city is not None
    kwh = ctx.rng.choice((1500, 2000, 2500, 3200, 4000, 4500))
    current = round(kwh * ctx.rng.uniform(0.36, 0.44) / 12 + 12.5, 2)
    card, monthly = _energy_card(ctx, 0, kwh, ctx.rng.random() < 0.7)
    monthly = min(monthly, round(current * 0.85, 2))
    card["children"] = [
        ui.price(ctx.cid("tariff", 0, "price"), monthly, period="month", was=current),
        ui.text(
            ctx.cid("save"), f"You save about €{round((current - monthly) * 12)} a year", "body"
        ),
    ]
    card["actions"] = [*card["actions"], ui.dismiss_button(ctx.cid("dismiss"))]
    return Offer(
        ui.section(
            ctx.cid("personal"),
            [
                ui.text(
                    ctx.cid("where"),
                    f"For {kwh:,} kWh a year in {ctx.city.postcode} {ctx.city.name}",
                    "subtitle",
                ),
                ui.image(
                    ctx.cid("hero"),
                    ctx.rng.choice(("energy-plug.svg", "energy-solar.svg")),
                    "Electricity",
                    3.0,
                ),
                card,
            ],
            "Your electricity could be cheaper",
        )
    )


def _dsl_card(ctx: Ctx, index: int, speed: tuple[int, int, float], promo: bool) -> Component:
    down, up, regular = speed
    number = ctx.offer_no()
    provider = ctx.rng.choice(DSL_PROVIDERS)
    months = ctx.rng.choice((6, 12))
    amount = ctx.rng.choice((9.99, 14.99, 19.99)) if promo else regular
    return ui.card(
        ctx.cid("plan", index),
        f"{provider} {down if down < 1000 else '1 Gbit/s'}{' Mbit/s' if down < 1000 else ''}",
        subtitle=f"↓ {down} Mbit/s · ↑ {up} Mbit/s · router included",
        image=ui.image(ctx.cid("plan", index, "img"), "router.svg", "A Wi-Fi router", 16 / 9),
        badge=ui.badge(
            ctx.cid("plan", index, "badge"), f"{months} months from €{amount:.2f}", "deal"
        )
        if promo
        else None,
        children=[
            ui.price(
                ctx.cid("plan", index, "price"),
                amount,
                period="month",
                was=regular if promo else None,
            ),
            ui.text(
                ctx.cid("plan", index, "after"),
                f"then €{regular:.2f}/month, 24 months term",
                "caption",
            ),
        ],
        actions=[
            ui.button(
                ctx.cid("plan", index, "go"),
                "Check availability",
                ui.navigate(ctx.offer_url(number)),
            )
        ],
    )


def dsl_generic(ctx: Ctx) -> Offer:
    cards = [
        _dsl_card(ctx, i, speed, ctx.rng.random() < 0.5) for i, speed in enumerate(DSL_SPEEDS[1:4])
    ]
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.carousel(ctx.cid("top"), cards, "Internet at home"),
                ui.row(
                    ctx.cid("actions"),
                    [
                        ui.button(
                            ctx.cid("compare"),
                            "Compare all plans",
                            ui.navigate("/go/dsl/compare"),
                            "secondary",
                        ),
                        ui.dismiss_button(ctx.cid("dismiss")),
                    ],
                ),
            ],
            "DSL & fibre",
        )
    )


def dsl_personal(ctx: Ctx) -> Offer:
    assert ctx.city is not None
    now_speed = ctx.rng.randrange(0, len(DSL_SPEEDS) - 1)
    better = DSL_SPEEDS[ctx.rng.randint(now_speed + 1, len(DSL_SPEEDS) - 1)]
    card = _dsl_card(ctx, 0, better, True)
    card["actions"] = [*card["actions"], ui.dismiss_button(ctx.cid("dismiss"))]
    return Offer(
        ui.section(
            ctx.cid("personal"),
            [
                ui.text(
                    ctx.cid("why"),
                    f"You surf with {DSL_SPEEDS[now_speed][0]} Mbit/s. At your address in "
                    f"{ctx.city.name} up to {better[0]} Mbit/s are available.",
                ),
                card,
            ],
            "Faster internet for you",
        )
    )
