"""Mobile contracts and credit cards: monthly plans, phones, yearly fees."""

from __future__ import annotations

from homewidgets.products import _sdui as ui
from homewidgets.products._common import Component, Ctx, Offer

NETWORKS = ("D1 network", "D2 network", "O2 network")
MOBILE_BRANDS = ("funkwerk", "simfrei", "Talkline 5", "handyflat", "blau.mobil")
# (data volume, regular monthly price)
DATA_PLANS = (
    ("10 GB", 9.99),
    ("25 GB", 14.99),
    ("50 GB", 19.99),
    ("100 GB", 24.99),
    ("Unlimited", 34.99),
)
PHONES = (
    ("Pixel 9", 49.0),
    ("iPhone 16", 99.0),
    ("Galaxy S25", 79.0),
    ("Fairphone 5", 29.0),
    ("Xiaomi 14T", 1.0),
)

CARDS = (
    # (name, annual fee, card network, perk)
    ("Reise Gold Visa", 0.0, "Visa", "No fees abroad, free cash withdrawals worldwide"),
    ("Cashback Mastercard", 0.0, "Mastercard", "1% cashback on every purchase"),
    ("Premium Platinum", 89.0, "Visa", "Travel insurance and lounge access included"),
    ("Student Card", 0.0, "Mastercard", "No fee, no SCHUFA-relevant credit line"),
    ("Meilen Plus", 29.0, "Amex", "Earn 1 mile per euro spent"),
)


def _plan_card(ctx: Ctx, index: int, data: str, regular: float, promo: bool) -> Component:
    number = ctx.offer_no()
    factor = ctx.rng.choice((0.5, 0.6, 0.7))
    amount = max(4.99, round(round(regular * factor) - 0.01, 2)) if promo else regular
    return ui.card(
        ctx.cid("plan", index),
        f"{ctx.rng.choice(MOBILE_BRANDS)} {data}",
        subtitle=f"{data} data · 5G · {ctx.rng.choice(NETWORKS)} · all-net flat",
        badge=ui.badge(ctx.cid("plan", index, "badge"), "Deal", "deal") if promo else None,
        children=[
            ui.price(
                ctx.cid("plan", index, "price"),
                amount,
                period="month",
                was=regular if promo else None,
            ),
            ui.text(
                ctx.cid("plan", index, "term"),
                ctx.rng.choice(("monthly cancellable", "24 months term")),
                "caption",
            ),
        ],
        actions=[
            ui.button(
                ctx.cid("plan", index, "go"), "To the plan", ui.navigate(ctx.offer_url(number))
            )
        ],
    )


def mobile_generic(ctx: Ctx) -> Offer:
    cards = [_plan_card(ctx, i, *DATA_PLANS[i + 1], ctx.rng.random() < 0.5) for i in range(3)]
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.carousel(ctx.cid("top"), cards, "SIM-only plans"),
                ui.row(
                    ctx.cid("actions"),
                    [
                        ui.button(
                            ctx.cid("compare"),
                            "All mobile plans",
                            ui.navigate("/go/mobile/compare"),
                            "secondary",
                        ),
                        ui.dismiss_button(ctx.cid("dismiss")),
                    ],
                ),
            ],
            "Mobile contracts",
        )
    )


def mobile_personal(ctx: Ctx) -> Offer:
    phone, once = ctx.rng.choice(PHONES)
    data, regular = ctx.rng.choice(DATA_PLANS[1:])
    number = ctx.offer_no()
    monthly = round(regular + ctx.rng.choice((10.0, 15.0, 20.0)), 2)
    ends = ctx.deal_end(6, 72)
    main = ui.card(
        ctx.cid("main"),
        f"{phone} with {data}",
        subtitle=f"Your contract can be renewed · {ctx.rng.choice(NETWORKS)}",
        image=ui.image(
            ctx.cid("main", "img"), ctx.rng.choice(("phone.svg", "phone-5g.svg")), phone, 1.0
        ),
        badge=ui.badge(ctx.cid("main", "badge"), "Upgrade offer", "info"),
        children=[
            ui.row(
                ctx.cid("main", "prices"),
                [
                    ui.column(
                        ctx.cid("main", "device"),
                        [
                            ui.text(ctx.cid("main", "device", "label"), "Phone, once", "caption"),
                            ui.price(
                                ctx.cid("main", "device", "price"),
                                once,
                                period="once",
                                was=once + 150,
                            ),
                        ],
                    ),
                    ui.column(
                        ctx.cid("main", "plan"),
                        [
                            ui.text(ctx.cid("main", "plan", "label"), "Plan", "caption"),
                            ui.price(ctx.cid("main", "plan", "price"), monthly, period="month"),
                        ],
                    ),
                ],
            ),
            ui.countdown(ctx.cid("main", "ends"), ends, "Upgrade price ends in"),
        ],
        actions=[
            ui.button(ctx.cid("main", "go"), "Get the upgrade", ui.navigate(ctx.offer_url(number))),
            ui.dismiss_button(ctx.cid("main", "dismiss")),
        ],
    )
    alternatives = [_plan_card(ctx, i, *ctx.rng.choice(DATA_PLANS), True) for i in range(2)]
    return Offer(
        ui.section(
            ctx.cid("personal"),
            [
                main,
                ui.divider(ctx.cid("sep")),
                ui.carousel(ctx.cid("alt"), alternatives, "Or keep your phone"),
            ],
            "Time for a new phone?",
        ),
        ctx.ttl_until(ends),
    )


def _credit_card(ctx: Ctx, index: int, choice: tuple[str, float, str, str]) -> Component:
    name, fee, scheme, perk = choice
    number = ctx.offer_no()
    return ui.card(
        ctx.cid("card", index),
        name,
        subtitle=f"{scheme} · {perk}",
        image=ui.image(
            ctx.cid("card", index, "img"),
            "card-gold.svg" if fee else "card.svg",
            f"{name} card",
            1.586,
        ),
        badge=ui.badge(ctx.cid("card", index, "badge"), "No annual fee", "success")
        if fee == 0
        else None,
        children=[
            ui.price(
                ctx.cid("card", index, "fee"), fee, period="year", was=fee + 30 if fee else None
            ),
            ui.rating(
                ctx.cid("card", index, "rating"),
                ctx.rng.uniform(3.9, 4.8),
                ctx.rng.randint(120, 4800),
            ),
        ],
        actions=[
            ui.button(
                ctx.cid("card", index, "go"), "Apply online", ui.navigate(ctx.offer_url(number))
            )
        ],
    )


def credit_card_generic(ctx: Ctx) -> Offer:
    picks = ctx.rng.sample(CARDS, 3)
    return Offer(
        ui.section(
            ctx.cid("generic"),
            [
                ui.carousel(
                    ctx.cid("top"),
                    [_credit_card(ctx, i, c) for i, c in enumerate(picks)],
                    "Top credit cards",
                ),
                ui.text(
                    ctx.cid("hint"), "Apply in 10 minutes with video identification.", "caption"
                ),
                ui.dismiss_button(ctx.cid("dismiss")),
            ],
            "Credit cards",
        )
    )


def credit_card_personal(ctx: Ctx) -> Offer:
    choice = ctx.rng.choice(CARDS)
    card = _credit_card(ctx, 0, choice)
    bonus = ctx.rng.choice((25, 50, 75, 100))
    card["children"] = [
        *card["children"],
        ui.text(ctx.cid("bonus"), f"€{bonus} welcome bonus if you apply this month", "body"),
    ]
    card["actions"] = [*card["actions"], ui.dismiss_button(ctx.cid("dismiss"))]
    reason = ctx.rng.choice(
        (
            "You booked a trip abroad: pay without currency fees.",
            "You shop online a lot: get cashback on every order.",
            "Your current card costs a yearly fee: this one is free.",
        )
    )
    return Offer(
        ui.section(
            ctx.cid("personal"),
            [ui.text(ctx.cid("why"), reason, "subtitle"), card],
            "A card that fits you",
        )
    )
