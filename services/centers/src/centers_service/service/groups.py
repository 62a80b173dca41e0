"""Groups of a centre (a supervisor: of theirs)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entraide_kit import records
from entraide_kit.auth import Principal
from entraide_kit.context import Context
from entraide_kit.errors import NotFound
from entraide_kit.filters import ListQuery
from entraide_kit.pagination import PageParams

from .. import answers, events, policies, repository
from ..lists import GROUP_LIST
from ..models import Group
from ..schemas import GroupPage, GroupRead
from .common import CONSTRAINTS, columns, page_of, refuse_nulls, target_center


async def list_groups(
    session: AsyncSession, ctx: Context, actor: Principal, params: PageParams, query: ListQuery
) -> GroupPage:
    stmt = policies.scope(repository.groups_query(), actor, col(Group.center_id))
    count, rows = await repository.read_page(session, params, stmt, GROUP_LIST, query)
    return page_of(GroupPage, ctx, params, count, [answers.group(r, r.center_name) for r in rows])


async def get_group(session: AsyncSession, actor: Principal, group_id: int) -> GroupRead:
    group = await repository.group_with_center(session, group_id)
    if group is None:
        raise NotFound()
    policies.can_read_under(actor, group.center_supervisor_id)
    return answers.group(group, group.center_name)


async def create_group(session: AsyncSession, actor: Principal, body: BaseModel) -> GroupRead:
    return await _answer(session, await _save(session, actor, body, None))


async def update_group(
    session: AsyncSession, actor: Principal, group: Group, body: BaseModel
) -> GroupRead:
    """Full or partial update (the body says which fields it sets) of a group
    from ``group_for_write``."""
    return await _answer(session, await _save(session, actor, body, group))


async def delete_group(session: AsyncSession, actor: Principal, group_id: int) -> None:
    group = await group_for_write(session, actor, group_id)
    await policies.center_for_write(session, actor, group.center_id)
    await events.deleted(session, "group", group.id or 0, group.version)
    await records.remove(session, group)


async def group_for_write(session: AsyncSession, actor: Principal, group_id: int) -> Group:
    """The group, locked; a 404 to a supervisor of another centre
    (before the body is looked at)."""
    group = await repository.groups.require(session, group_id, for_update=True)
    policies.can_read_in_center(actor, await repository.centers.get(session, group.center_id))
    return group


async def _answer(session: AsyncSession, group: Group) -> GroupRead:
    return answers.group(group, await repository.center_name(session, group.center_id) or "")


async def _save(
    session: AsyncSession, actor: Principal, body: BaseModel, group: Group | None
) -> Group:
    values = await columns(body, {}, None)
    await target_center(session, actor, values, group.center_id if group else None)
    refuse_nulls(values, "name")
    group = await records.write(session, Group, values, record=group, constraints=CONSTRAINTS)
    await events.group_changed(session, group)
    return group
