"""A shortfall in words the HR clerk can repeat: the solver's figures, the firm's real name, Chinese first."""

from __future__ import annotations

from housing.leasing import explanations
from housing.leasing.runs import firm_lines

SCARCITY = {
    "firm": "F2",
    "gender": "male",
    "requested": 10,
    "short": 4,
    "reason": "scarcity",
    "detail": {
        "cheapest_move": {
            "unit_type": {"building": "B01", "beds": 4, "monthly_rent": 182.5},
            "holder": "F1",
            "holder_gender": "male",
            "holder_would_lose": 12,
            "firm_would_gain": 8,
        }
    },
}


def test_scarcity_names_the_holder_by_its_real_name_in_chinese_and_english() -> None:
    names = {"F1": "华中电子"}
    zh = explanations.shortfall(SCARCITY, "zh", names)
    assert zh.startswith("男床位申请 10 张，缺 4 张：") and "从华中电子调给贵企业" in zh and "B01" in zh
    assert "华中电子" in zh and "F1" not in zh
    en = explanations.shortfall(SCARCITY, "en", names)
    assert en.startswith("4 of 10 male beds short: ") and "from 华中电子 would cost them 12" in en


def test_budget_and_buildings_reasons_carry_their_figures() -> None:
    budget = {
        **SCARCITY,
        "reason": "budget",
        "detail": {"budget": 500.0, "rent": 420.0, "cheapest_acceptable_unit_rent": 182.5},
    }
    assert "租金上限 500.0 元（已用 420.0 元）" in explanations.shortfall(budget, "zh", {})
    buildings = {**SCARCITY, "reason": "buildings", "detail": {"free_beds_in_other_buildings": {"B02": 8, "B03": 4}}}
    assert "B02（8床）、B03（4床）" in explanations.shortfall(buildings, "zh", {})


def test_a_firm_that_filed_nothing_is_told_it_kept_what_it_holds() -> None:
    instance = {
        "firms": [{"id": "F1", "male": 4, "female": 0}, {"id": "F2", "male": 10, "female": 0}],
        "current": [{"unit": "B01-101", "firm": "F1", "gender": "male", "occupied_beds": 3}],
    }
    plan = {
        "leases": [{"unit": "B01-101", "firm": "F1", "gender": "male"}],
        "firms": [
            {"id": "F1", "male_beds": 4, "female_beds": 0, "male_short": 0, "female_short": 0, "monthly_rent": 182.5},
            {"id": "F2", "male_beds": 6, "female_beds": 0, "male_short": 4, "female_short": 0, "monthly_rent": 0},
        ],
        "explanation": [SCARCITY],
    }
    lines = {line.firm_id: line for line in firm_lines(instance, plan, {2}, {1: "华中电子", 2: "楚天机械"})}
    assert lines[1].filed is False and lines[1].explanation == ["本期未提交床位申请：保留现有房间和床位。"]
    assert lines[1].units_kept == 1 and lines[1].monthly_rent_fen == 18250
    assert lines[2].explanation and "华中电子" in lines[2].explanation[0]
    english = firm_lines(instance, plan, {2}, {1: "A", 2: "B"}, "en")
    assert english[0].explanation[0].startswith("No request filed")
