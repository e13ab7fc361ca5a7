"""HR answers the park's satisfaction survey from its desk: once per firm, ratings 1–5, the API's rules."""

from __future__ import annotations

from housing.tickets.tables import SurveyAnswer
from tests.housing.pages.conftest import Browser


async def test_hr_answers_the_open_survey_once_and_sees_its_answer(browser: Browser) -> None:
    rows = browser.park.tickets  # type: ignore[attr-defined]
    await browser.log_in("hr1")
    home = (await browser.get("/hr")).text
    assert 'href="/hr/surveys"' in home
    page = (await browser.get("/hr/surveys")).text
    assert f'data-survey="{rows.survey_open}" data-status="open"' in page
    assert f'action="/hr/surveys/{rows.survey_open}"' in page
    assert f'action="/hr/surveys/{rows.survey_closed}"' not in page  # closed: nothing to answer

    bad = await browser.post(
        f"/hr/surveys/{rows.survey_open}", {"housing": "9", "canteen": "4", "repairs": "4", "subsidies": "4"}
    )
    assert bad.status_code == 422 and 'data-field="housing"' in bad.text
    assert bad.headers["content-type"].startswith("text/html")
    assert await SurveyAnswer.count() == 0

    answer = {"housing": "5", "canteen": "4", "repairs": "3", "subsidies": "4", "comment": "热水器修得快"}
    sent = await browser.post(f"/hr/surveys/{rows.survey_open}", answer)
    assert sent.status_code == 303
    saved = await SurveyAnswer.select().first()
    assert saved is not None and (saved["housing"], saved["repairs"], saved["firm_id"]) == (5, 3, browser.park.firm1)
    again = await browser.post(f"/hr/surveys/{rows.survey_open}", answer)
    assert again.status_code == 409 and 'class="problem"' in again.text
    assert await SurveyAnswer.count() == 1
    shown = (await browser.get("/hr/surveys")).text
    assert "热水器修得快" in shown and f'action="/hr/surveys/{rows.survey_open}"' not in shown


async def test_a_survey_answer_needs_the_csrf_token_and_hr(browser: Browser) -> None:
    rows = browser.park.tickets  # type: ignore[attr-defined]
    await browser.log_in("hr1")
    answer = {"housing": "5", "canteen": "4", "repairs": "3", "subsidies": "4"}
    refused = await browser.post(f"/hr/surveys/{rows.survey_open}", answer, csrf=False)
    assert refused.status_code == 403 and await SurveyAnswer.count() == 0
    await browser.log_in("worker1")
    assert (await browser.get("/hr/surveys")).status_code == 403
