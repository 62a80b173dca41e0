"""Every read copy reads its subject's contract (issue 19), and the owner's
answer about a record fills a copy as the record's event does.

The copies are found, not listed: the kit's (``entraide_kit.copies``) and each
service's ``copies.py``. A copy asking its owner must have a case below: a
complete event of the record, checked as the producer's outbox checks it, and
the owner's answer about the same record, made with the owner's own response
model (its fields, serialised as the API sends them), so a field renamed on
either side fails here instead of silently emptying a column.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import entraide_kit.copies
from entraide_kit import contracts
from entraide_kit.copies.base import CopyTable

ROOT = Path(__file__).resolve().parents[2]
STAMP = "2024-06-01T08:00:00Z"
#: a student event's fields its owner answers under ``user``
STUDENT_USER = ("user", "first_name", "last_name", "email")


def _copy_modules() -> Iterator[str]:
    for info in pkgutil.iter_modules(entraide_kit.copies.__path__):
        if info.name != "base":
            yield f"entraide_kit.copies.{info.name}"
    for path in sorted(ROOT.glob("services/*/src/*_service/copies.py")):
        yield f"{path.parent.name}.copies"


def _copies() -> dict[str, CopyTable[Any]]:
    """``module.name`` -> the copy (one entry per copy, where it is declared)."""
    found: dict[str, CopyTable[Any]] = {}
    for name in _copy_modules():
        for attr, value in vars(importlib.import_module(name)).items():
            if isinstance(value, CopyTable) and value not in found.values():
                found[f"{name}.{attr}"] = value
    return found


COPIES = _copies()


def _blank(annotation: Any) -> Any:
    """A value of a response field the case does not care about."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        return None
    if origin is typing.Literal:
        return args[0]
    if origin is list:
        return []
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation)).value
        for kind, value in (
            (bool, False),
            (str, ""),
            (int, 0),
            (float, 0.0),
            (dt.datetime, STAMP),
            (dt.date, "2024-06-01"),
            (dt.time, "08:00:00"),
        ):
            if issubclass(annotation, kind):
                return value
    raise AssertionError(f"give a value for a field of type {annotation!r}")


def answer(schema: type[BaseModel], **fields: Any) -> dict[str, Any]:
    """What the owner answers: ``schema`` (its response model) with these fields,
    every other one blank, as JSON would carry it."""
    unknown = set(fields) - set(schema.model_fields)
    assert not unknown, f"{schema.__name__} has no {sorted(unknown)}"
    values = {
        name: fields[name] if name in fields else _blank(info.annotation)
        for name, info in schema.model_fields.items()
    }
    dumped: dict[str, Any] = schema.model_validate(values).model_dump(mode="json")
    return dumped


def _user_summary(schema: type[BaseModel], user_id: int) -> dict[str, Any]:
    return answer(
        schema,
        id=user_id,
        email="ahmed.benali@entraide.ma",
        username="ahmed.benali",
        first_name="Ahmed",
        last_name="Benali",
        role="trainer",
        is_active=True,
    )


def _program(schema: type[BaseModel]) -> dict[str, Any]:
    return answer(schema, id=7, name="Web", description="HTML, CSS", duration_years=2)


def _cases() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """copy -> (its record's event data, the owner's answer about that record)."""
    from auth_service.schemas import UserRead
    from centers_service import schemas as centers
    from programs_service import schemas as programs
    from schedule_service import schemas as schedule
    from students_service import schemas as students

    user_event = {
        "id": 7,
        "email": "fatima.zahra@entraide.ma",
        "username": "fatima.zahra",
        "first_name": "Fatima",
        "last_name": "Zahra",
        "arabic_first_name": "فاطمة",
        "arabic_last_name": "الزهراء",
        "role": "center_supervisor",
        "is_active": False,
        # An external picture: auth answers an uploaded one as its URL, the event as its key.
        "profile_picture": "https://cdn.example.org/fatima.png",
        "phone_number": "0600000000",
        "cin_id": "LA123",
        "birth_date": "2001-03-04",
        "birth_city": "Tetouan",
        "address": "1 rue des Fleurs",
        "city": "Larache",
        "token_version": 3,
        "version": 5,
    }
    user_answer = answer(
        UserRead,
        **{k: v for k, v in user_event.items() if k not in ("cin_id", "token_version", "version")},
        CIN_id="LA123",
    )
    center_event = {
        "id": 10,
        "name": "Rabat",
        "city": "Rabat",
        "association": 1,
        "association_name": "Al Amal",
        "supervisor": 2,
        "affiliated_to": "association",
        "is_active": True,
        "is_verified": True,
    }
    association_event = {
        "id": 1,
        "name": "Al Amal",
        "city": "Rabat",
        "supervisor": 3,
        "is_active": True,
        "is_verified": False,
    }
    group_event = {"id": 100, "name": "G1", "description": "Evenings", "center": 10}
    room_event = {
        "id": 2,
        "name": "Lab 1",
        "type": "lab",
        "capacity": 20,
        "is_available": False,
        "center": 10,
    }
    program_event = {"id": 7, "name": "Web", "description": "HTML, CSS", "duration_years": 2}
    course_event = {
        "id": 50,
        "program": 7,
        "program_name": "Web",
        "program_duration_years": 2,
        "center": 10,
        "center_name": "Rabat",
        "academic_year": "2024-2025",
        "trainer": 4,
    }
    student_event = {
        "id": 101,
        "user": 31,
        "first_name": "Amal",
        "last_name": "Idrissi",
        "email": "amal.idrissi@entraide.ma",
        "exam_id": "C10/001/24",
        "center": 10,
        "group": 100,
        "program": 7,
        "training_course": 50,
        "academic_year": "2024-2025",
    }
    session_event = {
        "id": 3,
        "day": "Monday",
        "start_time": "08:30:00",
        "end_time": "10:30:00",
        "academic_year": "2024-2025",
        "trainer": 4,
        "room": 2,
        "group": 100,
        "training_course": 50,
        "center": 10,
        "is_active": True,
    }
    instance_event = {
        "id": 9,
        "schedule_template": 3,
        "specific_date": "2024-06-10",
        "status": "rescheduled",
        "effective_start_time": "09:00:00",
        "effective_end_time": "11:00:00",
        "effective_trainer": 5,
        "effective_room": 2,
        "group": 100,
        "center": 10,
    }
    plan_event = {
        "id": 11,
        "annual_distribution": 1,
        "programe": 7,
        "month": 10,
        "week_number": 40,
        "title": "HTML",
        "trainer": 4,
    }
    trainer = answer(
        schedule.TrainerDetails,
        id=5,
        first_name="Samir",
        last_name="Alaoui",
        email="samir@entraide.ma",
        full_name="Samir Alaoui",
    )
    room = answer(schedule.RoomDetails, id=2, name="Lab 1", type="lab", capacity=20)
    return {
        "entraide_kit.copies.users.copy": (user_event, user_answer),
        "entraide_kit.copies.profiles.profiles": (user_event, user_answer),
        "entraide_kit.copies.centers.centers": (
            center_event,
            answer(centers.CenterDetail, **center_event),
        ),
        "entraide_kit.copies.centers.associations": (
            association_event,
            answer(
                centers.AssociationDetail,
                **association_event
                | {"supervisor": answer(centers.SupervisorOut, id=3, first_name="Nadia")},
            ),
        ),
        "entraide_kit.copies.centers.groups": (
            group_event,
            answer(centers.GroupRead, **group_event, center_name="Rabat"),
        ),
        "entraide_kit.copies.centers.rooms": (
            room_event,
            answer(centers.RoomRead, **room_event, center_name="Rabat"),
        ),
        "entraide_kit.copies.programs.programs": (program_event, _program(programs.ProgramRead)),
        "entraide_kit.copies.programs.courses": (
            course_event,
            answer(
                programs.CourseRead,
                id=50,
                name="Web - Rabat - Ahmed Benali",
                program=_program(programs.ProgramRead),
                center=answer(
                    programs.CenterSummary, id=10, name="Rabat", supervisor=2, is_active=True
                ),
                trainer=_user_summary(programs.UserSummary, 4),
                academic_year="2024-2025",
            ),
        ),
        "entraide_kit.copies.students.students": (
            student_event,
            answer(
                students.StudentRead,
                **{k: v for k, v in student_event.items() if k not in STUDENT_USER},
                user=answer(
                    students.UserSummary,
                    id=31,
                    email="amal.idrissi@entraide.ma",
                    first_name="Amal",
                    last_name="Idrissi",
                    is_active=True,
                ),
            ),
        ),
        "attendance_service.copies.sessions": (
            session_event,
            answer(
                schedule.SessionRead,
                **{k: v for k, v in session_event.items() if k != "center"},
                trainer_details=trainer,
                room_details=room,
                training_course_details=answer(
                    schedule.CourseDetails,
                    id=50,
                    program=answer(schedule.CourseProgram, name="Web", duration_years=2),
                    center=answer(schedule.CourseCenter, name="Rabat"),
                    academic_year="2024-2025",
                ),
            ),
        ),
        "attendance_service.copies.instances": (
            instance_event,
            answer(
                schedule.InstanceRead,
                **{
                    k: v
                    for k, v in instance_event.items()
                    if k not in ("effective_trainer", "effective_room")
                },
                custom_start_time="09:00:00",
                custom_end_time="11:00:00",
                custom_trainer=5,
                effective_trainer=trainer,
                effective_room=room,
            ),
        ),
        "exams_service.copies.weekly_plans": (
            plan_event,
            answer(
                programs.WeeklyPlanRead,
                id=11,
                annual_distribution=answer(
                    programs.DistributionRead,
                    id=1,
                    programe=_program(programs.ProgramRead),
                    academic_year="2024-2025",
                    trainer=4,
                ),
                month=10,
                week_number=40,
                title="HTML",
                trainer=4,
            ),
        ),
    }


def _subject_of(copy: CopyTable[Any]) -> tuple[str, str]:
    prefix, producer, entity, rest = copy.subject.split(".")
    assert (prefix, rest) == ("entraide", "*"), copy.subject
    return producer, entity


def test_the_copies_are_found() -> None:
    assert {
        "entraide_kit.copies.users.copy",
        "entraide_kit.copies.centers.centers",
        "attendance_service.copies.instances",
        "students_service.copies.sessions",
    } <= set(COPIES)


@pytest.mark.parametrize("name", sorted(COPIES))
def test_every_copy_reads_its_subjects_contract(name: str) -> None:
    copy = COPIES[name]
    assert copy.model is contracts.PAYLOADS[_subject_of(copy)]


def test_every_copy_asking_its_owner_has_a_case() -> None:
    asking = {name for name, copy in COPIES.items() if copy.from_api is not None}
    assert asking == set(_cases())


@pytest.mark.parametrize("name", sorted(_cases()))
def test_the_owners_answer_fills_the_copy_as_the_event_does(name: str) -> None:
    copy = COPIES[name]
    event, owner_answer = _cases()[name]
    producer, entity = _subject_of(copy)
    # The event as its producer must send it (every field), as the consumer reads it.
    payload = contracts.check(producer, entity, "upsert", event, complete=True)
    assert isinstance(payload, copy.model)
    from_event = copy.from_payload(payload)
    assert set(from_event) == set(copy.fields)
    learnt = copy.from_payload(copy.from_answer(event["id"], owner_answer))
    # schedule's template answer shows no centre id (the contract's shape): attendance
    # reads the template's course's centre instead (repository.session_copy).
    unshown = {"center"} if name == "attendance_service.copies.sessions" else set()
    assert {k: v for k, v in learnt.items() if k not in unshown} == {
        k: v for k, v in from_event.items() if k not in unshown
    }
    assert all(learnt[k] is None for k in unshown)


def test_an_answer_without_what_the_copy_reads_is_refused() -> None:
    from centers_service.schemas import GroupRead

    groups = COPIES["entraide_kit.copies.centers.groups"]
    good = answer(GroupRead, id=100, name="G1", center=10)
    assert groups.from_answer(100, good).center == 10
    renamed = {k: v for k, v in good.items() if k != "center"} | {"center_id": 10}
    with pytest.raises(KeyError):
        groups.from_answer(100, renamed)
