"""HTTP endpoints of attendance alerts and their rules (issue 20): thin, as
``router.py``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from entraide_kit.answercache import cacheable
from entraide_kit.auth import Principal, Role, require_roles
from entraide_kit.context import CtxDep
from entraide_kit.db import ReadSessionDep, SessionDep
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageDep

from . import alerts
from .alert_schemas import AcknowledgeIn, AlertPage, AlertRead, AlertRulesIn, AlertRulesRead
from .models import Alert

rules_router = APIRouter(prefix="/api/attendance/api/alert_rules", tags=["attendance alerts"])
router = APIRouter(prefix="/api/attendance/api/alerts", tags=["attendance alerts"])

# Roles are checked before the body and the id are looked at (a 403 is a 403).
RuleKeepers = Annotated[Principal, Depends(require_roles(Role.admin, Role.center_supervisor))]
Staff = Annotated[
    Principal, Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer))
]
Readers = Annotated[
    Principal,
    Depends(require_roles(Role.admin, Role.center_supervisor, Role.trainer, Role.student)),
]
AlertQuery = Annotated[ListQuery, Depends(alerts.ALERT_QUERY)]


async def center_of_rules(
    actor: RuleKeepers, ctx: CtxDep, center_id: int, session: SessionDep
) -> Any:
    """The centre (404 unknown, 403 not the supervisor's) before the body is read."""
    return await alerts.center_for_rules(session, ctx, actor, center_id)


async def alert_by_id(actor: Staff, alert_id: int, session: SessionDep) -> Alert:
    """The alert to acknowledge, locked (404 out of scope) before the body is read."""
    return await alerts.alert_for_write(session, actor, alert_id)


CenterDep = Annotated[Any, Depends(center_of_rules)]
AlertDep = Annotated[Alert, Depends(alert_by_id)]


@rules_router.get("/{center_id}/", response_model=AlertRulesRead)
async def get_rules(center: CenterDep, center_id: int, session: SessionDep) -> AlertRulesRead:
    """A centre's alert rules (the defaults until they are set)."""
    return await alerts.get_rules(session, center_id)


@rules_router.put("/{center_id}/", response_model=AlertRulesRead)
async def put_rules(
    actor: RuleKeepers,
    center: CenterDep,
    center_id: int,
    body: AlertRulesIn,
    session: SessionDep,
) -> AlertRulesRead:
    """Set a centre's alert rules (fields left out keep their values); alerts follow."""
    return await alerts.put_rules(session, actor, center_id, body)


@router.get("/", response_model=AlertPage)
@cacheable
async def list_alerts(
    actor: Readers, ctx: CtxDep, session: ReadSessionDep, page: PageDep, query: AlertQuery
) -> AlertPage:
    """List attendance alerts (scoped like records; a student: their own)."""
    return await alerts.list_alerts(session, ctx, actor, page, query)


@router.get("/{alert_id}/", response_model=AlertRead)
@cacheable
async def retrieve_alert(actor: Readers, alert_id: int, session: ReadSessionDep) -> AlertRead:
    """Retrieve an attendance alert."""
    return await alerts.get_alert(session, actor, alert_id)


@router.post("/{alert_id}/acknowledge/", response_model=AlertRead)
async def acknowledge_alert(
    actor: Staff,
    alert: AlertDep,
    session: SessionDep,
    body: Annotated[AcknowledgeIn | None, Body()] = None,
) -> AlertRead:
    """Acknowledge an open alert, with an optional note."""
    return await alerts.acknowledge(session, actor, alert, body.note if body else None)
