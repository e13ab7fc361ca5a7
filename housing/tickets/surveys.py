"""Quarterly satisfaction surveys (`/api/surveys`): each firm rates the park's service.

Staff open a survey for a quarter (`2027-Q1`, one per quarter) and close it when it is done.
While it is open, each firm's HR answers once — housing, canteen, repairs and subsidies rated
1–5, and a comment; the database keeps one answer per firm and survey (a unique index), so a
second answer, even sent twice at once, is refused with 409. Staff see every answer and the
averages; HR sees its own firm's answer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.pagination import OffsetPagination
from litestar.params import JSONBody
from piccolo.columns.combination import Combinable

from housing.tickets.tables import Survey, SurveyAnswer
from housing.web import audit, resource
from housing.web.access import STAFF, STAFF_HR, Viewer, allow, viewer_of
from housing.web.clock import PARK_TZ, as_datetime
from housing.web.db import write_transaction
from housing.web.problems import FieldError, Problem, unique_field
from housing.web.resource import PageDep, PathId, Row

QUARTER_PATTERN = r"^(19|20|21)\d\d-Q[1-4]$"
Quarter = Annotated[str, msgspec.Meta(pattern=QUARTER_PATTERN, description="YYYY-Qn, e.g. 2027-Q1")]
Score = Annotated[int, msgspec.Meta(ge=1, le=5)]
Comment = Annotated[str, msgspec.Meta(max_length=500)]
ASPECTS = ("housing", "canteen", "repairs", "subsidies")


class SurveyCreate(msgspec.Struct, forbid_unknown_fields=True):
    quarter: Quarter


class AnswerCreate(msgspec.Struct, forbid_unknown_fields=True):
    housing: Score
    canteen: Score
    repairs: Score
    subsidies: Score
    comment: Comment = ""


class SurveyOut(msgspec.Struct):
    id: int
    quarter: str
    status: str
    opened_at: datetime
    closed_at: datetime | None


class AnswerOut(msgspec.Struct):
    id: int
    survey_id: int
    firm_id: int
    firm_name: str
    housing: int
    canteen: int
    repairs: int
    subsidies: int
    comment: str
    answered_at: datetime


class ResultsOut(msgspec.Struct):
    survey_id: int
    quarter: str
    status: str
    answers: int
    averages: dict[str, Decimal | None]  # per aspect, two decimals
    satisfied_share: dict[str, Decimal | None]  # share of answers rating it 4 or 5


def survey_out(row: Row, viewer: Viewer) -> SurveyOut:
    return SurveyOut(
        id=row["id"],
        quarter=row["quarter"],
        status=row["status"],
        opened_at=as_datetime(row["opened_at"]).astimezone(PARK_TZ),
        closed_at=as_datetime(row["closed_at"]).astimezone(PARK_TZ) if row["closed_at"] else None,
    )


def answer_out(row: Row, viewer: Viewer) -> AnswerOut:
    return AnswerOut(**{**row, "answered_at": as_datetime(row["answered_at"]).astimezone(PARK_TZ)})


def answer_scope(viewer: Viewer) -> Combinable | None:
    return None if viewer.is_staff else SurveyAnswer.firm_id == viewer.firm_id


unique_field(("survey_quarter_key", "survey.quarter"), "quarter")
unique_field(("survey_answer_survey_firm_key", "survey_answer.firm_id"), "firm_id", "survey_answered")

SURVEYS = resource.Resource(
    table=Survey,
    columns=[Survey.id, Survey.quarter, Survey.status, Survey.opened_at, Survey.closed_at],
    to_out=survey_out,
    unique=[("quarter",)],
)
ANSWERS = resource.Resource(
    table=SurveyAnswer,
    columns=[
        SurveyAnswer.id,
        SurveyAnswer.survey_id,
        SurveyAnswer.firm_id,
        SurveyAnswer.firm_id.name.as_alias("firm_name"),
        SurveyAnswer.housing,
        SurveyAnswer.canteen,
        SurveyAnswer.repairs,
        SurveyAnswer.subsidies,
        SurveyAnswer.comment,
        SurveyAnswer.answered_at,
    ],
    to_out=answer_out,
    scope=answer_scope,
)


def averages(rows: list[Row]) -> tuple[dict[str, Decimal | None], dict[str, Decimal | None]]:
    """Per aspect: the mean score and the share of 4s and 5s, both to two decimals (None: no answers)."""
    means: dict[str, Decimal | None] = {}
    shares: dict[str, Decimal | None] = {}
    for aspect in ASPECTS:
        scores = [int(r[aspect]) for r in rows]
        if not scores:
            means[aspect] = shares[aspect] = None
            continue
        means[aspect] = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        shares[aspect] = (Decimal(sum(s >= 4 for s in scores)) / len(scores)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return means, shares


async def open_survey(viewer: Viewer, quarter: str) -> SurveyOut:
    return await resource.create(SURVEYS, viewer, {"quarter": quarter, "status": "open", "opened_at": viewer.now})


async def close_survey(viewer: Viewer, survey_id: int) -> SurveyOut:
    async with write_transaction():
        row = await resource.fetch_row(SURVEYS, viewer, survey_id)
        updated = await (
            Survey.update({Survey.status: "closed", Survey.closed_at: viewer.now})
            .where((Survey.id == survey_id) & (Survey.status == "open"))
            .returning(Survey.id)
        )
        if not updated:
            raise Problem(409, "survey_closed", quarter=row["quarter"])
        await audit.record(viewer, "survey", survey_id, "close", before={"status": "open"}, after={"status": "closed"})
    return await resource.fetch(SURVEYS, viewer, survey_id)


async def answer_survey(viewer: Viewer, survey_id: int, body: AnswerCreate) -> AnswerOut:
    assert viewer.firm_id is not None
    async with write_transaction():
        survey = await resource.fetch_row(SURVEYS, viewer, survey_id)
        if survey["status"] != "open":
            raise Problem(409, "survey_closed", quarter=survey["quarter"])
        if await SurveyAnswer.exists().where(
            (SurveyAnswer.survey_id == survey_id) & (SurveyAnswer.firm_id == viewer.firm_id)
        ):
            raise Problem(409, "survey_answered", errors=[FieldError("firm_id", "survey_answered")])
        values = {**msgspec.structs.asdict(body), "comment": body.comment.strip()}
        inserted = await SurveyAnswer.insert(
            SurveyAnswer(
                survey_id=survey_id,
                firm_id=viewer.firm_id,
                account_id=viewer.account_id,
                answered_at=viewer.now,
                **values,
            )
        )
        answer_id = int(inserted[0]["id"])
        await audit.record(viewer, "survey_answer", answer_id, "create", after={"survey_id": survey_id, **values})
    return await resource.fetch(ANSWERS, viewer, answer_id)


async def results(viewer: Viewer, survey_id: int) -> ResultsOut:
    survey = await resource.fetch_row(SURVEYS, viewer, survey_id)
    rows = await SurveyAnswer.select(*[SurveyAnswer._meta.get_column_by_name(a) for a in ASPECTS]).where(
        SurveyAnswer.survey_id == survey_id
    )
    means, shares = averages(rows)
    return ResultsOut(
        survey_id=survey_id,
        quarter=survey["quarter"],
        status=survey["status"],
        answers=len(rows),
        averages=means,
        satisfied_share=shares,
    )


class SurveyController(Controller):
    path = "/surveys"
    tags = ["surveys · 满意度调查"]

    @get("/", opt=allow(STAFF_HR))
    async def list_surveys(self, request: Request[Any, Any, Any], page: PageDep) -> OffsetPagination[SurveyOut]:
        return await resource.list_page(SURVEYS, viewer_of(request), page)

    @post("/", opt=allow(STAFF))
    async def create_survey(self, request: Request[Any, Any, Any], data: JSONBody[SurveyCreate]) -> SurveyOut:
        """Open the survey of a quarter (one per quarter)."""
        return await open_survey(viewer_of(request), data.quarter)

    @get("/{survey_id:int}", opt=allow(STAFF_HR))
    async def get_survey(self, request: Request[Any, Any, Any], survey_id: PathId) -> SurveyOut:
        return await resource.fetch(SURVEYS, viewer_of(request), survey_id)

    @post("/{survey_id:int}/close", status_code=200, opt=allow(STAFF))
    async def close(self, request: Request[Any, Any, Any], survey_id: PathId) -> SurveyOut:
        return await close_survey(viewer_of(request), survey_id)

    @post("/{survey_id:int}/answers", opt=allow(frozenset({"hr"})))
    async def answer(
        self, request: Request[Any, Any, Any], survey_id: PathId, data: JSONBody[AnswerCreate]
    ) -> AnswerOut:
        """HR answers for its firm, once per survey."""
        return await answer_survey(viewer_of(request), survey_id, data)

    @get("/{survey_id:int}/answers", opt=allow(STAFF_HR))
    async def answers(
        self, request: Request[Any, Any, Any], survey_id: PathId, page: PageDep
    ) -> OffsetPagination[AnswerOut]:
        """Staff: every firm's answer; HR: its own."""
        viewer = viewer_of(request)
        await resource.fetch_row(SURVEYS, viewer, survey_id)
        return await resource.list_page(ANSWERS, viewer, page, [SurveyAnswer.survey_id == survey_id])

    @get("/{survey_id:int}/results", opt=allow(STAFF))
    async def survey_results(self, request: Request[Any, Any, Any], survey_id: PathId) -> ResultsOut:
        """Averages and the share of satisfied answers (4 or 5) per aspect."""
        return await results(viewer_of(request), survey_id)
