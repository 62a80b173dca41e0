"""What the programs service publishes.

Publishes (``entraide.programs.<entity>.<id>``):
- ``program``: id, name, description, duration_years
- ``annualdistribution``: id, programe, academic_year, trainer
- ``weeklyplan``: id, annual_distribution, programe, month, week_number, title, trainer
- ``trainingcourse``: id, program, program_name, program_duration_years, center,
  center_name, academic_year, trainer
- ``teacher``: id, user, center, program, groups (ids), contract_with,
  contract_start_date, contract_end_date
Every change bumps the record's version; deletes are ``op=delete`` with the
version after the last upsert. Deleting a programme publishes the deletion of
its distributions, weekly plans and courses too. A snapshot that shows another
record's data is re-published when that data changes: a programme renamed (its
courses), a distribution moved to another programme (its weekly plans), a
centre renamed in the centers service (its courses), a group deleted there
(the teachers who had it).

What it consumes, and does on those events: handlers.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entraide_kit.events import Outbox

from .models import AnnualDistribution, Program, Teacher, TrainingCourse, WeeklyPlan

OUTBOX = Outbox("programs")


def program_snapshot(p: Program) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "duration_years": p.duration_years,
    }


def distribution_snapshot(d: AnnualDistribution) -> dict[str, Any]:
    return {
        "id": d.id,
        "programe": d.program_id,
        "academic_year": d.academic_year,
        "trainer": d.trainer_id,
    }


def weekly_plan_snapshot(w: WeeklyPlan, program_id: int) -> dict[str, Any]:
    return {
        "id": w.id,
        "annual_distribution": w.annual_distribution_id,
        "programe": program_id,
        "month": w.month,
        "week_number": w.week_number,
        "title": w.title,
        "trainer": w.trainer_id,
    }


def course_snapshot(c: TrainingCourse, program: Program, center_name: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "program": c.program_id,
        "program_name": program.name,
        "program_duration_years": program.duration_years,
        "center": c.center_id,
        "center_name": center_name,
        "academic_year": c.academic_year,
        "trainer": c.trainer_id,
    }


def teacher_snapshot(t: Teacher, groups: list[int]) -> dict[str, Any]:
    return {
        "id": t.id,
        "user": t.user_id,
        "center": t.center_id,
        "program": t.program_id,
        "groups": groups,
        "contract_with": t.contract_with,
        "contract_start_date": t.contract_start_date.isoformat() if t.contract_start_date else None,
        "contract_end_date": t.contract_end_date.isoformat() if t.contract_end_date else None,
    }


async def program_changed(session: AsyncSession, p: Program) -> None:
    await OUTBOX.upsert(session, "program", p.id or 0, p.version, program_snapshot(p))


async def distribution_changed(session: AsyncSession, d: AnnualDistribution) -> None:
    await OUTBOX.upsert(
        session, "annualdistribution", d.id or 0, d.version, distribution_snapshot(d)
    )


async def weekly_plan_changed(session: AsyncSession, w: WeeklyPlan, program_id: int) -> None:
    await OUTBOX.upsert(
        session, "weeklyplan", w.id or 0, w.version, weekly_plan_snapshot(w, program_id)
    )


async def course_changed(
    session: AsyncSession, c: TrainingCourse, program: Program, center_name: str | None
) -> None:
    await OUTBOX.upsert(
        session, "trainingcourse", c.id or 0, c.version, course_snapshot(c, program, center_name)
    )


async def teacher_changed(session: AsyncSession, t: Teacher, groups: list[int]) -> None:
    await OUTBOX.upsert(session, "teacher", t.id or 0, t.version, teacher_snapshot(t, groups))


async def deleted(session: AsyncSession, entity: str, entity_id: int, version: int) -> None:
    # One past the last upsert, so the deletion wins over any late copy of it.
    await OUTBOX.delete(session, entity, entity_id, version + 1)
