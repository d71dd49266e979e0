"""The operations report (SPEC §12): ``ops`` and admin read it, as JSON or as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BeforeValidator

from api.auth import require
from api.deps import EngineDep, PolicyDep
from api.negotiation import weight
from api.problems import responses
from api.schemas.reports import (
    GROUP_BY_DESCRIPTION,
    PERIOD_DESCRIPTION,
    P2PReportOut,
)
from p2p_scheduler.domain.report import GroupBy, csv_rows
from p2p_scheduler.services import reports

router = APIRouter(prefix="/v1/reports", tags=["reports"])

CSV_MEDIA_TYPE = "text/csv"


def _lenient(value: object) -> object:
    """SPEC §9 leniency: a code in any case; empty or ``null`` is the same as leaving it out."""
    if isinstance(value, str):
        folded = value.strip().lower()
        return None if folded in ("", "null") else folded
    return value


GroupByParam = Annotated[GroupBy | None, BeforeValidator(_lenient)]


def wants_csv(accept: str | None) -> bool:
    """Whether ``Accept`` prefers CSV to JSON (a tie or no header keeps the JSON)."""
    return bool(accept) and weight(accept or "", CSV_MEDIA_TYPE) > weight(
        accept or "", "application/json"
    )


def _csv(report: reports.P2PReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    for row in csv_rows(report.groups, report.group_by):
        writer.writerow(["" if cell is None else cell for cell in row])
    return out.getvalue()


@router.get(
    "/p2p",
    response_model=P2PReportOut,
    summary="P2P figures of a period, optionally grouped (ops, admin); CSV with Accept: text/csv",
    dependencies=[Depends(require("ops"))],
    responses={
        200: {
            "content": {
                CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": "state,bookings,scheduled,…\r\nPA,12,3,…\r\n",
                }
            },
            "description": "The report; as CSV (one row per group, a header row first) "
            "when Accept prefers text/csv",
        },
        **responses(401, 403, 422),
    },
)
def p2p_report(
    engine: EngineDep,
    policy: PolicyDep,
    first: Annotated[
        date,
        Query(
            alias="from", description=f"first day (YYYY-MM-DD, policy's zone); {PERIOD_DESCRIPTION}"
        ),
    ],
    last: Annotated[
        date, Query(alias="to", description="last day, inclusive (YYYY-MM-DD, policy's zone)")
    ],
    group_by: Annotated[GroupByParam, Query(description=GROUP_BY_DESCRIPTION)] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> P2PReportOut | Response:
    """A booking belongs to the period of its start (a pending request: of its creation); a
    multi-case booking counts once, in the group of its first case."""
    report = reports.p2p_report(
        engine=engine,
        first=first,
        last=last,
        group_by=group_by,
        policy_zone=policy.time_zone,
    )
    if wants_csv(accept):
        filename = f"p2p-report-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            _csv(report),
            media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return P2PReportOut.of(report)
