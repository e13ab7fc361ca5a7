"""Meal records from terminals: results per record, caps, order, idempotency, who reads what."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from canteen.tables import CanteenSettlement, MealPrice, MealRecord, SubsidyPolicy
from housing.register.tables import Worker
from housing.web.tables import AuditEntry
from tests.canteen.conftest import Canteens, at, meal, post_batch


async def _subsidies(worker_id: int) -> dict[str, int]:
    rows = await MealRecord.select(MealRecord.txn_id, MealRecord.subsidy_fen).where(MealRecord.worker_id == worker_id)
    return {r["txn_id"]: r["subsidy_fen"] for r in rows}


async def test_a_batch_answers_each_record_in_order_and_keeps_the_good_ones(api: Any, canteens: Canteens) -> None:
    p, c = api.park, canteens
    records = [
        meal("t1", p.worker1, c.canteen1, "breakfast", at(3, 7)),
        meal("t2", 999999, c.canteen1, "lunch", at(3, 12)),
        meal("t3", p.worker1, c.canteen2, "lunch", at(3, 12)),
        meal("t4", p.firm2_worker, c.canteen1, "lunch", at(3, 12)),
        meal("t1", p.worker1, c.canteen1, "lunch", at(3, 12)),
    ]
    results = await post_batch(api, records)
    assert results == [
        {"txn_id": "t1", "result": "accepted", "subsidy_fen": 200},
        {"txn_id": "t2", "result": "unknown_worker", "subsidy_fen": None},
        {"txn_id": "t3", "result": "wrong_canteen", "subsidy_fen": None},
        {"txn_id": "t4", "result": "accepted", "subsidy_fen": 600},
        {"txn_id": "t1", "result": "duplicate", "subsidy_fen": 200},
    ]
    assert await MealRecord.count() == 2
    again = await post_batch(api, records[:1])
    assert again == [{"txn_id": "t1", "result": "duplicate", "subsidy_fen": 200}]
    assert await MealRecord.count() == 2


async def test_the_daily_cap_and_the_park_day_boundary(api: Any, canteens: Canteens) -> None:
    """Cap 1000 a park day: 23:30 and 00:30 park time are two days (15:30 and 16:30 UTC)."""
    w, c1 = api.park.worker1, canteens.canteen1
    results = await post_batch(
        api,
        [
            meal("a", w, c1, "lunch", at(3, 12)),  # 600
            meal("b", w, c1, "dinner", at(3, 18)),  # 400 left of 1000
            meal("c", w, c1, "night", at(3, 23, 30)),  # nothing left
            meal("d", w, c1, "night", at(4, 0, 30)),  # a new park day: 400
        ],
    )
    assert [r["subsidy_fen"] for r in results] == [600, 400, 0, 400]
    row = await MealRecord.select(MealRecord.day).where(MealRecord.txn_id == "d").first()
    assert str(row["day"]) == "2025-03-04"


async def test_the_monthly_cap_and_the_month_boundary(api: Any, canteens: Canteens) -> None:
    await SubsidyPolicy.update({SubsidyPolicy.monthly_cap_fen: 1500}).where(SubsidyPolicy.id == canteens.policy)
    w, c1 = api.park.worker1, canteens.canteen1
    results = await post_batch(
        api,
        [
            meal("m1", w, c1, "lunch", at(30, 12)),  # 600
            meal("m2", w, c1, "lunch", at(31, 12)),  # 600 (1200 of 1500)
            meal("m3", w, c1, "dinner", at(31, 18)),  # 300 left of the month
            meal("m4", w, c1, "night", at(31, 23, 59)),  # month used up
            meal("m5", w, c1, "breakfast", at(1, 0, 1, month=4)),  # April: a fresh month
        ],
    )
    assert [r["subsidy_fen"] for r in results] == [600, 600, 300, 0, 200]


async def test_an_earlier_meal_arriving_late_takes_its_place_in_time(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    first = await post_batch(
        api, [meal("lunch", w, c1, "lunch", at(3, 12)), meal("dinner", w, c1, "dinner", at(3, 18))]
    )
    assert [r["subsidy_fen"] for r in first] == [600, 400]
    # the breakfast (7:00) comes late: it takes 200, and the dinner keeps only 200 of the cap.
    late = await post_batch(api, [meal("breakfast", w, c1, "breakfast", at(3, 7))])
    assert late == [{"txn_id": "breakfast", "result": "accepted", "subsidy_fen": 200}]
    assert await _subsidies(w) == {"breakfast": 200, "lunch": 600, "dinner": 200}


async def test_out_of_order_in_one_batch_is_the_same_as_in_order(api: Any, canteens: Canteens) -> None:
    p, c1 = api.park, canteens.canteen1
    forward = [meal(f"f{h}", p.worker1, c1, t, at(3, h)) for h, t in ((7, "breakfast"), (12, "lunch"), (18, "dinner"))]
    backward = [
        meal(f"b{h}", p.firm1_other, c1, t, at(3, h)) for h, t in ((18, "dinner"), (12, "lunch"), (7, "breakfast"))
    ]
    await post_batch(api, forward)
    await post_batch(api, backward)
    assert sorted((await _subsidies(p.worker1)).values()) == sorted((await _subsidies(p.firm1_other)).values())


async def test_concurrent_batches_with_the_same_txn_id_keep_one_meal(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    await api.token("canteen1")
    batch = [meal("same", w, c1, "lunch", at(3, 12)), meal("other", w, c1, "dinner", at(3, 18))]
    answers = await asyncio.gather(*(post_batch(api, batch) for _ in range(4)))
    accepted = [r for answer in answers for r in answer if r["result"] == "accepted"]
    assert sorted(r["txn_id"] for r in accepted) == ["other", "same"]
    assert await MealRecord.count() == 2
    assert await _subsidies(w) == {"same": 600, "other": 400}  # the cap counted once


async def test_concurrent_batches_for_one_worker_never_both_take_the_cap(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    await api.token("canteen1")
    batches = [[meal(f"x{i}", w, c1, "lunch", at(3, 12, i))] for i in range(4)]
    await asyncio.gather(*(post_batch(api, b) for b in batches))
    assert sum((await _subsidies(w)).values()) == 1000


async def test_employment_dates_and_inactive_workers(api: Any, canteens: Canteens) -> None:
    p, c1 = api.park, canteens.canteen1
    await Worker.update({Worker.left_on: date(2025, 3, 10)}).where(Worker.id == p.worker1)
    await Worker.update({Worker.hired_on: date(2025, 3, 5)}).where(Worker.id == p.firm1_other)
    await Worker.update({Worker.active: False}).where(Worker.id == p.firm2_worker)
    results = await post_batch(
        api,
        [
            meal("l1", p.worker1, c1, "lunch", at(10, 12)),
            meal("l2", p.worker1, c1, "lunch", at(11, 12)),
            meal("h1", p.firm1_other, c1, "lunch", at(4, 12)),
            meal("h2", p.firm1_other, c1, "lunch", at(5, 12)),
            meal("i1", p.firm2_worker, c1, "lunch", at(5, 12)),
        ],
    )
    assert [r["result"] for r in results] == ["accepted", "not_employed", "not_employed", "accepted", "not_employed"]


async def test_a_settled_month_is_closed_to_late_meals(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    await post_batch(api, [meal("kept", w, c1, "lunch", at(3, 12))])
    assert (await api.post("staff", "/api/canteen-settlements/run", json={"month": "2025-03"})).status_code == 200
    results = await post_batch(
        api,
        [
            meal("late", w, c1, "dinner", at(3, 18)),
            meal("kept", w, c1, "lunch", at(3, 12)),  # a retry of a kept one is still a duplicate
            meal("april", w, c1, "lunch", at(1, 12, month=4)),
        ],
    )
    assert [r["result"] for r in results] == ["month_closed", "duplicate", "accepted"]
    assert await CanteenSettlement.count() == 1


async def test_no_price_and_meals_in_the_future(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    lunch = (MealPrice.canteen_id == c1) & (MealPrice.meal_type == "lunch")
    await MealPrice.update({MealPrice.valid_to: date(2025, 3, 1)}).where(lunch)
    results = await post_batch(
        api,
        [meal("unpriced", w, c1, "lunch", at(3, 12)), meal("future", w, c1, "dinner", at(3, 12, year=2099))],
    )
    assert [r["result"] for r in results] == ["no_price", "in_future"]
    assert await MealRecord.count() == 0


async def test_a_naive_time_is_refused_naming_the_record(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    records = [meal("ok", w, c1, "lunch", at(3, 12)), meal("naive", w, c1, "lunch", "2025-03-03T12:00:00")]
    response = await api.post("canteen1", "/api/meal-records/batch", json={"records": records})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["records[1].at"]
    assert await MealRecord.count() == 0


async def test_a_batch_of_more_than_5000_is_refused(api: Any, canteens: Canteens) -> None:
    w, c1 = api.park.worker1, canteens.canteen1
    records = [meal(f"n{i}", w, c1, "lunch", at(3, 12)) for i in range(5001)]
    response = await api.post("canteen1", "/api/meal-records/batch", json={"records": records})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "records"


async def test_a_policy_change_mid_month(api: Any, canteens: Canteens) -> None:
    end = date(2025, 3, 15)
    await SubsidyPolicy.update({SubsidyPolicy.valid_to: end}).where(SubsidyPolicy.id == canteens.policy)
    body = {
        "name": "下半月",
        "lunch_fen": 300,
        "daily_cap_fen": 1000,
        "monthly_cap_fen": 15000,
        "funded_by": "firm",
        "valid_from": "2025-03-16",
    }
    assert (await api.post("staff", "/api/canteen-subsidy-policies", json=body)).status_code == 201
    w, c1 = api.park.worker1, canteens.canteen1
    results = await post_batch(api, [meal("a", w, c1, "lunch", at(15, 12)), meal("b", w, c1, "lunch", at(16, 12))])
    assert [r["subsidy_fen"] for r in results] == [600, 300]
    rows = await MealRecord.select(MealRecord.txn_id, MealRecord.funded_by).order_by(MealRecord.txn_id)
    assert [r["funded_by"] for r in rows] == ["park", "firm"]


async def test_a_firm_specific_policy_before_the_general_one(api: Any, canteens: Canteens) -> None:
    p = api.park
    body = {
        "name": "华鑫加餐",
        "lunch_fen": 900,
        "daily_cap_fen": 2000,
        "monthly_cap_fen": 30000,
        "funded_by": "firm",
        "valid_from": "2025-01-01",
        "firm_ids": [p.firm1],
    }
    assert (await api.post("staff", "/api/canteen-subsidy-policies", json=body)).status_code == 201
    results = await post_batch(
        api,
        [
            meal("f1", p.worker1, canteens.canteen1, "lunch", at(3, 12)),
            meal("f2", p.firm2_worker, canteens.canteen1, "lunch", at(3, 12)),
        ],
    )
    assert [r["subsidy_fen"] for r in results] == [900, 600]


async def test_who_reads_which_meals(api: Any, canteens: Canteens) -> None:
    p, c1 = api.park, canteens.canteen1
    await post_batch(
        api,
        [
            meal("w1", p.worker1, c1, "lunch", at(3, 12)),
            meal("o1", p.firm1_other, c1, "lunch", at(3, 12)),
            meal("f2", p.firm2_worker, c1, "lunch", at(3, 12)),
        ],
    )

    async def txns(role: str, query: str = "") -> list[str]:
        response = await api.get(role, f"/api/meal-records?month=2025-03{query}")
        assert response.status_code == 200, response.text
        return sorted(item["txn_id"] for item in response.json()["items"])

    assert await txns("staff") == ["f2", "o1", "w1"]
    assert await txns("hr1") == ["o1", "w1"]
    assert await txns("hr2") == ["f2"]
    assert await txns("worker1") == ["w1"]
    assert await txns("worker1", f"&worker_id={p.firm1_other}") == []  # never another worker's
    item = (await api.get("worker1", "/api/meal-records?month=2025-03")).json()["items"][0]
    assert item["price_fen"] == 1200 and item["subsidy_fen"] == 600 and item["worker_paid_fen"] == 600
    assert item["at"].endswith("+00:00") or item["at"].endswith("Z")


async def test_a_later_batch_continues_from_the_days_and_months_totals(api: Any, canteens: Canteens) -> None:
    """In time order across batches: the kept day and month totals are read, not recomputed."""
    await SubsidyPolicy.update({SubsidyPolicy.monthly_cap_fen: 1900}).where(SubsidyPolicy.id == canteens.policy)
    w, c1 = api.park.worker1, canteens.canteen1
    assert [r["subsidy_fen"] for r in await post_batch(api, [meal("d1", w, c1, "lunch", at(3, 12))])] == [600]
    assert [r["subsidy_fen"] for r in await post_batch(api, [meal("d2", w, c1, "dinner", at(3, 18))])] == [400]
    assert [r["subsidy_fen"] for r in await post_batch(api, [meal("d3", w, c1, "lunch", at(4, 12))])] == [600]
    assert [r["subsidy_fen"] for r in await post_batch(api, [meal("d4", w, c1, "dinner", at(4, 18))])] == [300]
    assert [r["subsidy_fen"] for r in await post_batch(api, [meal("d5", w, c1, "lunch", at(5, 12))])] == [0]
    entries = await AuditEntry.count().where((AuditEntry.table_name == "canteen") & (AuditEntry.action == "meal_batch"))
    assert entries == 5  # one audit entry per batch


async def test_a_late_meal_mid_month_moves_the_monthly_cap_of_the_meals_after_it(api: Any, canteens: Canteens) -> None:
    """Monthly cap 1500: day 3 lunch 600, day 5 lunch 600, day 7 lunch 300 (in order). A
    breakfast of day 5 at 7:00 arrives late: it takes 200, day 5's lunch keeps 600, and day 7's
    lunch is left 100; day 3 is before it and keeps its 600."""
    await SubsidyPolicy.update({SubsidyPolicy.monthly_cap_fen: 1500}).where(SubsidyPolicy.id == canteens.policy)
    w, c1 = api.park.worker1, canteens.canteen1
    first = await post_batch(
        api,
        [
            meal("l3", w, c1, "lunch", at(3, 12)),
            meal("l5", w, c1, "lunch", at(5, 12)),
            meal("l7", w, c1, "lunch", at(7, 12)),
        ],
    )
    assert [r["subsidy_fen"] for r in first] == [600, 600, 300]
    late = await post_batch(api, [meal("b5", w, c1, "breakfast", at(5, 7))])
    assert late[0]["subsidy_fen"] == 200
    assert await _subsidies(w) == {"l3": 600, "b5": 200, "l5": 600, "l7": 100}
