"""The demo park's tickets: every state, one overdue and escalated to repair1, a closed survey."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from housing.tickets.tables import Survey, SurveyAnswer, Ticket
from tests.housing import factories
from tests.housing.test_demo_park import _demo_module


async def test_demo_tickets_show_the_loop_and_an_escalation(migrated: None) -> None:
    from app import create_app

    await factories.empty_database()
    await _demo_module().load(workers_total=60)
    states = {r["state"] for r in await Ticket.select(Ticket.state)}
    assert states == {"new", "sorted", "assigned", "in_progress", "resolved", "closed"}
    assert await Ticket.count().where(Ticket.is_overdue == True) == 1
    closed = await Survey.select(Survey.id).where(Survey.status == "closed").first()
    assert closed and await SurveyAnswer.count().where(SurveyAnswer.survey_id == closed["id"]) >= 2

    async with AsyncTestClient(app=create_app()) as client:
        login = await client.post("/api/auth/login", json={"username": "repair1", "password": "demo1234"})
        assert login.status_code == 200
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        inbox = (await client.get("/api/notifications", headers=headers)).json()["items"]
        assert {"ticket_warning", "ticket_overdue"} <= {n["kind"] for n in inbox}
        board = (await client.get("/api/tickets?due=overdue&mine=true", headers=headers)).json()["items"]
        assert len(board) == 1
