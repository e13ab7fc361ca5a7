"""The rental subsidy and canteen pages, without a browser: a worker applies (rent in yuan, kept
in fen by the API's struct), uploads its contract and sees its state; HR confirms its firm's
applications only; staff approve, reject with a reason and start the monthly runs. Every page
is HTML under the pages' CSP, and a post without the CSRF token is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from housing.register.accounts import create_account
from housing.register.tables import Role
from housing.subsidies.tables import RentalSubsidyApplication
from tests.housing import factories
from tests.housing.factories import PDF
from tests.housing.pages.conftest import Browser, field_errors
from tests.housing.subsidies.conftest import add_worker


def is_page(response: Any) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def status_of(application_id: int) -> str:
    row = (
        await RentalSubsidyApplication.select(RentalSubsidyApplication.status)
        .where(RentalSubsidyApplication.id == application_id)
        .first()
    )
    return str(row["status"])


@pytest.fixture
async def worker3(park: factories.Park) -> int:
    """A worker of firm 1 with no bed and no application: one who may apply."""
    worker_id = await add_worker(park.firm1, "赵磊", 71)
    await create_account("worker3", factories.PASSWORD, Role.worker, worker_id=worker_id)
    return worker_id


def application_form(**changes: str) -> dict[str, str]:
    today = datetime.now(UTC).date()
    form = {
        "address": "园区路 8 号 302",
        "landlord": "王先生",
        "monthly_rent_yuan": "1500.50",
        "lease_start": today.isoformat(),
        "lease_end": (today + timedelta(days=365)).isoformat(),
    }
    form.update(changes)
    return form


@pytest.mark.parametrize(
    ("username", "path", "marker"),
    [
        ("worker1", "/my/subsidy", 'id="my-meals"'),
        ("hr1", "/hr/subsidies", 'id="subsidy-applications"'),
        ("staff", "/staff/subsidies", 'id="subsidy-runs"'),
    ],
)
async def test_each_page_renders_for_its_role_under_the_csp(
    browser: Browser, username: str, path: str, marker: str
) -> None:
    await browser.log_in(username)
    response = await browser.get(path)
    assert response.status_code == 200, response.text
    is_page(response)
    assert marker in response.text and 'name="_csrf_token"' in response.text
    home = await browser.get({"worker1": "/my", "hr1": "/hr", "staff": "/staff"}[username])
    assert f'href="{path}"' in home.text  # each role's home links its page


async def test_a_worker_applies_in_yuan_uploads_its_contract_and_sees_its_state(browser: Browser, worker3: int) -> None:
    await browser.log_in("worker3")
    page = (await browser.get("/my/subsidy")).text
    assert 'id="apply-subsidy"' in page and "0.00" in page  # no meals yet this month

    refused = await browser.post("/my/subsidy", application_form(monthly_rent_yuan="1500.555"))
    assert refused.status_code == 422
    is_page(refused)
    assert "monthly_rent_yuan" in field_errors(refused.text)
    assert not await RentalSubsidyApplication.exists().where(RentalSubsidyApplication.worker_id == worker3)

    ended = await browser.post("/my/subsidy", application_form(lease_end="2020-01-01", lease_start="2019-01-01"))
    assert ended.status_code == 422 and "lease_end" in field_errors(ended.text)

    done = await browser.post("/my/subsidy", application_form())
    assert done.status_code == 303 and done.headers["location"] == "/my/subsidy?done=applied"
    row = await RentalSubsidyApplication.select().where(RentalSubsidyApplication.worker_id == worker3).first()
    assert row["monthly_rent_fen"] == 150050 and row["status"] == "submitted"
    page = (await browser.get(done.headers["location"])).text
    assert f'data-application="{row["id"]}" data-status="submitted"' in page and "1500.50" in page
    assert 'id="apply-subsidy"' not in page  # one live application: no second form
    assert f'action="/my/subsidy/{row["id"]}/contract"' in page

    fields = {"_csrf_token": browser.token}
    sent = await browser.client.post(
        f"/my/subsidy/{row['id']}/contract",
        data=fields,
        files={"contract": ("contract.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    stored = await RentalSubsidyApplication.select().where(RentalSubsidyApplication.id == row["id"]).first()
    assert stored["contract_media_type"] == "application/pdf"

    not_a_contract = await browser.client.post(
        f"/my/subsidy/{row['id']}/contract",
        data=fields,
        files={"contract": ("contract.pdf", b"hello", "application/pdf")},
        follow_redirects=False,
    )
    assert not_a_contract.status_code in (415, 422) and "contract" in field_errors(not_a_contract.text)


async def test_a_worker_with_a_bed_is_told_why_it_cannot_apply(browser: Browser) -> None:
    await browser.log_in("worker1")
    before = await RentalSubsidyApplication.count()
    refused = await browser.post("/my/subsidy", application_form())
    assert refused.status_code == 409
    is_page(refused)
    assert 'class="problem"' in refused.text
    assert await RentalSubsidyApplication.count() == before


async def test_hr_confirms_its_firms_application_and_not_another_firms(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("hr1")
    page = (await browser.get("/hr/subsidies")).text
    assert f'data-application="{park.application1}"' in page
    assert f'data-application="{park.application2}"' not in page  # firm 2's

    other = await browser.post(f"/hr/subsidies/{park.application2}/confirm", {})
    assert other.status_code == 404
    is_page(other)
    assert await status_of(park.application2) == "confirmed"  # unchanged, and not by hr1

    done = await browser.post(f"/hr/subsidies/{park.application1}/confirm", {})
    assert done.status_code == 303
    assert await status_of(park.application1) == "confirmed"
    again = await browser.post(f"/hr/subsidies/{park.application1}/confirm", {})
    assert again.status_code == 409 and 'class="problem"' in again.text


async def test_staff_approve_and_reject_with_a_reason(browser: Browser) -> None:
    park = browser.park
    await browser.log_in("staff")
    page = (await browser.get("/staff/subsidies")).text
    assert f'data-application="{park.application2}"' in page
    assert "/api/subsidy-payouts/export?month=" in page and "/api/canteen-settlements/export?month=" in page

    approved = await browser.post(f"/staff/subsidies/{park.application2}/approve", {})
    assert approved.status_code == 303
    assert await status_of(park.application2) == "approved"

    not_ready = await browser.post(f"/staff/subsidies/{park.application1}/approve", {})
    assert not_ready.status_code == 409  # HR has not confirmed it: the API's rule, its words
    assert await status_of(park.application1) == "submitted"

    blank = await browser.post(f"/staff/subsidies/{park.application1}/reject", {"reason": "  "})
    assert blank.status_code == 422 and "reason" in field_errors(blank.text)
    rejected = await browser.post(f"/staff/subsidies/{park.application1}/reject", {"reason": "合同不清晰"})
    assert rejected.status_code == 303
    assert await status_of(park.application1) == "rejected"


async def test_staff_run_the_months_payouts_and_settlement_once_the_month_is_over(browser: Browser) -> None:
    await browser.log_in("staff")
    this_month = datetime.now(UTC).date().strftime("%Y-%m")
    early = await browser.post("/staff/subsidies/payouts", {"month": this_month})
    assert early.status_code == 409 and 'class="problem"' in early.text  # the API's "not over yet"
    bad = await browser.post("/staff/subsidies/canteen", {"month": "2020-13"})
    assert bad.status_code == 422 and "month" in field_errors(bad.text)

    paid = await browser.post("/staff/subsidies/payouts", {"month": "2020-02"})
    assert paid.status_code == 303 and "done=payouts&month=2020-02" in paid.headers["location"]
    assert "2020-02" in (await browser.get(paid.headers["location"])).text
    settled = await browser.post("/staff/subsidies/canteen", {"month": "2020-02"})
    assert settled.status_code == 303 and "done=settled" in settled.headers["location"]


async def test_a_post_without_the_csrf_token_is_refused(browser: Browser, worker3: int) -> None:
    await browser.log_in("worker3")
    refused = await browser.post("/my/subsidy", application_form(), csrf=False)
    assert refused.status_code == 403
    assert not await RentalSubsidyApplication.exists().where(RentalSubsidyApplication.worker_id == worker3)
    await browser.log_in("hr1")
    refused = await browser.post(f"/hr/subsidies/{browser.park.application1}/confirm", {}, csrf=False)
    assert refused.status_code == 403 and await status_of(browser.park.application1) == "submitted"


def test_the_dates_used_here_are_in_the_past() -> None:
    assert date(2020, 2, 29) < datetime.now(UTC).date()


async def test_hr_reads_its_firms_canteen_settlement_and_no_other_firms(browser: Browser) -> None:
    from canteen.tables import CanteenSettlement, SettlementLine

    park = browser.park
    settled = CanteenSettlement(month="2020-02", settled_at=datetime.now(UTC), meals=1122)
    settlement_id = (await CanteenSettlement.insert(settled))[0]["id"]
    await SettlementLine.insert(
        SettlementLine(
            settlement_id=settlement_id,
            kind="firm",
            firm_id=park.firm1,
            meals=123,
            park_subsidy_fen=4567,
            firm_subsidy_fen=890,
            worker_paid_fen=12345,
            revenue_fen=17802,
        ),
        SettlementLine(
            settlement_id=settlement_id,
            kind="firm",
            firm_id=park.firm2,
            meals=999,
            park_subsidy_fen=1,
            firm_subsidy_fen=2,
            worker_paid_fen=3,
            revenue_fen=6,
        ),
    )
    await browser.log_in("hr1")
    page = (await browser.get("/hr/subsidies?month=2020-02")).text
    assert 'id="canteen-settlement"' in page
    assert "<td>123</td><td>45.67</td><td>8.90</td><td>123.45</td><td>178.02</td>" in page
    # firm 2's row, by its cells: a bare "999" also turns up in the page's random form token
    assert "<td>999</td>" not in page and "<td>0.01</td><td>0.02</td><td>0.03</td><td>0.06</td>" not in page
    assert "/api/canteen-settlements/export?month=2020-02" in page
    later = (await browser.get("/hr/subsidies?month=2020-03")).text
    assert 'id="canteen-settlement-none"' in later
