"""Why a firm is short, in words an HR clerk can repeat on the phone — Chinese first.

The solver explains each shortfall with a `reason` and its figures (`allocation/explain.py`);
its own `message` is English and names firms by their solver codes (`F12`). This module turns
the same figures into a sentence in the reader's language with the firm's real name, so the
run's line and the HR page say the same thing. Pure: the figures in, one sentence out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from housing.web.i18n import Lang, text

GENDER_WORD = {"zh": {"male": "男", "female": "女"}, "en": {"male": "male", "female": "female"}}


def _beds_by_building(beds: Mapping[str, int], lang: Lang) -> str:
    unit = "床" if lang == "zh" else " beds"
    separator = "、" if lang == "zh" else ", "
    return separator.join(
        f"{building}（{n}{unit}）" if lang == "zh" else f"{building} ({n}{unit})" for building, n in beds.items()
    )


def shortfall(item: Mapping[str, Any], lang: Lang, firm_names: Mapping[str, str]) -> str:
    """One shortfall item of a plan's `explanation` as a sentence."""
    detail: Mapping[str, Any] = item.get("detail", {})
    gender, other = item["gender"], "female" if item["gender"] == "male" else "male"
    head = text("short_head", lang, gender=GENDER_WORD[lang][gender], short=item["short"], requested=item["requested"])
    reason = item["reason"]
    if reason == "not_optimal":
        body = text("short_not_optimal", lang, units=detail.get("free_units_it_could_take", 0))
    elif reason == "budget":
        body = text(
            "short_budget",
            lang,
            budget=detail.get("budget"),
            rent=detail.get("rent"),
            cheapest=detail.get("cheapest_acceptable_unit_rent"),
        )
    elif reason == "buildings":
        body = text(
            "short_buildings", lang, beds=_beds_by_building(detail.get("free_beds_in_other_buildings", {}), lang)
        )
    elif reason == "gender_rule":
        body = text(
            "short_gender_rule", lang, other=GENDER_WORD[lang][other], beds=detail.get(f"free_{other}_only_beds", 0)
        )
    else:
        body = text("short_scarcity", lang)
        move = detail.get("cheapest_move")
        if move:
            holder = firm_names.get(move["holder"], move["holder"])
            body += text(
                "short_scarcity_move",
                lang,
                beds=move["unit_type"]["beds"],
                building=move["unit_type"]["building"],
                holder=holder,
                lose=move["holder_would_lose"],
                gain=move["firm_would_gain"],
            )
    return head + body


def not_filed(lang: Lang) -> str:
    """The line of a firm that filed no request: the run kept what it holds."""
    return text("firm_not_filed", lang)
