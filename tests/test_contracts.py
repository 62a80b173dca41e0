"""Every producer's event against its payload model (issue 19): each service's
snapshot builders, fed a record as the service holds it, make a payload its
subject's model takes whole (``contracts.check(..., complete=True)``, what the
outbox checks before every write); and the checks refuse what drifted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from entraide_kit import contracts

DAY = dt.date(2024, 6, 10)


def _producers() -> list[tuple[str, str, Callable[[], dict[str, Any]]]]:
    from attendance_service import events as attendance
    from attendance_service.models import Alert, AttendanceRecord
    from auth_service import events as auth
    from auth_service.models import User
    from centers_service import events as centers
    from centers_service.models import Association, Center, Group, Room
    from content_service import events as content
    from content_service.models import Lesson, Section
    from exams_service import events as exams
    from exams_service.models import Exam, Question, Submission
    from programs_service import events as programs
    from programs_service.models import (
        AnnualDistribution,
        Program,
        Teacher,
        TrainingCourse,
        WeeklyPlan,
    )
    from schedule_service import events as schedule
    from schedule_service.models import ScheduleSession, SessionInstance
    from students_service import events as students
    from students_service.models import Student

    program = Program(id=7, name="Web", description="d", duration_years=2, version=1)
    template = ScheduleSession(
        id=3,
        day="Monday",
        start_time=dt.time(8, 30),
        end_time=dt.time(10, 30),
        academic_year="2024-2025",
        trainer_id=4,
        room_id=None,
        group_id=100,
        training_course_id=50,
        center_id=10,
        is_active=True,
    )
    return [
        (
            "auth",
            "user",
            lambda: auth.user_snapshot(
                User(
                    id=1,
                    email="a@entraide.ma",
                    username="a",
                    first_name="Amal",
                    last_name="Idrissi",
                    role="student",
                    is_active=True,
                    birth_date=DAY,
                    token_version=0,
                    version=1,
                )
            ),
        ),
        (
            "centers",
            "association",
            lambda: centers.association_snapshot(
                Association(id=1, name="Al Amal", is_active=True, is_verified=False)
            ),
        ),
        (
            "centers",
            "center",
            lambda: centers.center_snapshot(
                Center(id=10, name="Rabat", is_active=True, is_verified=True), "Al Amal"
            ),
        ),
        (
            "centers",
            "room",
            lambda: centers.room_snapshot(
                Room(
                    id=2, name="A1", type="classroom", capacity=20, is_available=True, center_id=10
                )
            ),
        ),
        (
            "centers",
            "group",
            lambda: centers.group_snapshot(Group(id=100, name="G", center_id=10)),
        ),
        ("programs", "program", lambda: programs.program_snapshot(program)),
        (
            "programs",
            "annualdistribution",
            lambda: programs.distribution_snapshot(
                AnnualDistribution(id=1, program_id=7, academic_year="2024-2025", trainer_id=4)
            ),
        ),
        (
            "programs",
            "weeklyplan",
            lambda: programs.weekly_plan_snapshot(
                WeeklyPlan(id=1, annual_distribution_id=1, month=10, week_number=40, title="HTML"),
                7,
            ),
        ),
        (
            "programs",
            "trainingcourse",
            lambda: programs.course_snapshot(
                TrainingCourse(
                    id=50, program_id=7, center_id=10, academic_year="2024-2025", trainer_id=4
                ),
                program,
                "Rabat",
            ),
        ),
        (
            "programs",
            "teacher",
            lambda: programs.teacher_snapshot(
                Teacher(id=1, user_id=4, center_id=10, program_id=7, contract_start_date=DAY),
                [100],
            ),
        ),
        (
            "students",
            "student",
            lambda: students.snapshot(
                Student(
                    id=101,
                    user_id=9,
                    exam_id="STU1",
                    center_id=10,
                    group_id=100,
                    program_id=7,
                    academic_year="2024-2025",
                ),
                {"first_name": "Fatima", "last_name": "Zahra", "email": "f@entraide.ma"},
            ),
        ),
        ("schedule", "session", lambda: schedule.session_snapshot(template)),
        (
            "schedule",
            "instance",
            lambda: schedule.instance_snapshot(
                SessionInstance(
                    id=45, schedule_template_id=3, specific_date=DAY, status="scheduled"
                ),
                template,
            ),
        ),
        (
            "attendance",
            "record",
            lambda: attendance.snapshot(
                AttendanceRecord(
                    id=1,
                    date=DAY,
                    student_id=101,
                    session_instance_id=45,
                    status="present",
                    group_id=100,
                    trainer_id=4,
                    center_id=10,
                )
            ),
        ),
        (
            "attendance",
            "alert",
            lambda: attendance.alert_snapshot(
                Alert(
                    id=1,
                    student_id=101,
                    group_id=100,
                    center_id=10,
                    training_course_id=50,
                    kind="consecutive_absences",
                    value=3.0,
                    threshold=3.0,
                    first_date=DAY,
                    last_date=DAY,
                    status="acknowledged",
                    acknowledged_by=4,
                    acknowledged_at=dt.datetime(2024, 6, 10, 9, tzinfo=dt.UTC),
                )
            ),
        ),
        (
            "exams",
            "question",
            lambda: exams.question_snapshot(
                Question(
                    id=1,
                    training_id=7,
                    type="MCQ",
                    question_text="Capital?",
                    options=["Rabat", "Fes"],
                    correct_answer="Rabat",
                    points=2.0,
                    added_by=4,
                )
            ),
        ),
        (
            "exams",
            "exam",
            lambda: exams.exam_snapshot(
                Exam(
                    id=1,
                    title="Quiz",
                    exam_type="term1_theory",
                    student_id=9,
                    training_id=7,
                    status="completed",
                    score=80.0,
                    total_points=10.0,
                    created_by=4,
                    completed_at=dt.datetime(2024, 6, 10, 9, tzinfo=dt.UTC),
                ),
                [1, 2],
            ),
        ),
        (
            "exams",
            "submission",
            lambda: exams.submission_snapshot(
                Submission(id=1, exam_id=1, question_id=1, student_id=9, points=2.0)
            ),
        ),
        (
            "content",
            "section",
            lambda: content._section(Section(id=1, unit_id=2, name="S", order=1), 3),
        ),
        (
            "content",
            "lesson",
            lambda: content._lesson(
                Lesson(id=1, section_id=1, title="L", lesson_type="video", order=1), 2, 3
            ),
        ),
    ]


def test_every_entity_of_every_producer_has_a_model() -> None:
    built = {(producer, entity) for producer, entity, _ in _producers()}
    # content's course and unit are built with the models themselves (events.py)
    assert built | {("content", "course"), ("content", "unit")} == set(contracts.PAYLOADS)


@pytest.mark.parametrize("producer,entity,build", _producers(), ids=lambda v: str(v))
def test_each_producer_builds_what_its_model_takes(
    producer: str, entity: str, build: Callable[[], dict[str, Any]]
) -> None:
    contracts.check(producer, entity, "upsert", build(), complete=True)


def test_what_drifted_is_refused() -> None:
    good = {"id": 100, "name": "G", "description": None, "center": 10}
    contracts.check("centers", "group", "upsert", good, complete=True)
    refusals = {
        "a renamed field": {**{k: v for k, v in good.items() if k != "center"}, "centre": 10},
        "a field not sent": {k: v for k, v in good.items() if k != "description"},
        "a wrong type": {**good, "center": "ten"},
        "no data": None,
    }
    for what, data in refusals.items():
        with pytest.raises(contracts.ContractViolation):
            contracts.check("centers", "group", "upsert", data, complete=True)
        assert what
    with pytest.raises(contracts.ContractViolation, match="no payload model"):
        contracts.check("centers", "building", "upsert", good)
    # A consumer reads an optional field it was not sent as None; deletions carry none.
    contracts.check("centers", "group", "upsert", refusals["a field not sent"])
    contracts.check("centers", "group", "delete", None)
    # Other producers' events (tests' probes) are not the platform's contracts.
    contracts.check("probe", "anything", "upsert", {"x": 1}, complete=True)
