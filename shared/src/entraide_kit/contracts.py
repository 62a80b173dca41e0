"""The event contracts: one payload model per subject, shared by producer and consumer.

A subject is ``entraide.<producer>.<entity>.<id>``; its ``upsert`` events carry
``data`` of the entity's model below (``delete`` events carry none). The
producer's outbox checks every payload it writes against the model
(``Outbox.add``: a payload that does not match is a bug, refused before it is
committed), and the consumer checks every event it receives before a handler
sees it (one that does not match, or an entity no model names, goes to the
dead letters with the reason). A model lists every field (``extra`` is
forbidden, and the producer must send every field, the optional ones too):
renaming, dropping or adding a field means changing the model here, where
every consumer sees it. ``VERSION`` is the contracts' version,
carried by no event yet: a change a consumer could not read gets a new
subject or a new version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

VERSION = 1


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    #: the record the event is about (its subject's last token)
    id: int


# -- auth
class User(Payload):
    id: int
    email: str
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    arabic_first_name: str | None = None
    arabic_last_name: str | None = None
    role: str
    is_active: bool
    profile_picture: str | None = None
    phone_number: str | None = None
    cin_id: str | None = None
    birth_date: str | None = None
    birth_city: str | None = None
    address: str | None = None
    city: str | None = None
    token_version: int
    version: int | None = None


# -- centers
class Association(Payload):
    id: int
    name: str
    city: str | None = None
    supervisor: int | None = None
    is_active: bool
    is_verified: bool


class Center(Payload):
    id: int
    name: str
    city: str | None = None
    association: int | None = None
    association_name: str | None = None
    supervisor: int | None = None
    affiliated_to: str | None = None
    is_active: bool
    is_verified: bool


class Room(Payload):
    id: int
    name: str
    type: str | None = None
    capacity: int | None = None
    is_available: bool
    center: int


class Group(Payload):
    id: int
    name: str
    description: str | None = None
    center: int


# -- programs
class Program(Payload):
    id: int
    name: str
    description: str | None = None
    duration_years: int | None = None


class AnnualDistribution(Payload):
    id: int
    programe: int
    academic_year: str | None = None
    trainer: int | None = None


class WeeklyPlan(Payload):
    id: int
    annual_distribution: int | None = None
    programe: int
    month: int | None = None
    week_number: int | None = None
    title: str | None = None
    trainer: int | None = None


class TrainingCourse(Payload):
    id: int
    program: int
    program_name: str | None = None
    program_duration_years: int | None = None
    center: int | None = None
    center_name: str | None = None
    academic_year: str | None = None
    trainer: int | None = None


class Teacher(Payload):
    id: int
    user: int | None = None
    center: int | None = None
    program: int | None = None
    groups: list[int]
    contract_with: str | None = None
    contract_start_date: str | None = None
    contract_end_date: str | None = None


# -- students
class Student(Payload):
    id: int
    user: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    exam_id: str | None = None
    center: int | None = None
    group: int | None = None
    program: int | None = None
    training_course: int | None = None
    academic_year: str | None = None


# -- schedule
class Session(Payload):
    id: int
    day: str
    start_time: str
    end_time: str
    academic_year: str | None = None
    trainer: int | None = None
    room: int | None = None
    group: int | None = None
    training_course: int | None = None
    center: int | None = None
    is_active: bool


class Instance(Payload):
    id: int
    schedule_template: int
    specific_date: str
    status: str
    effective_start_time: str | None = None
    effective_end_time: str | None = None
    effective_trainer: int | None = None
    effective_room: int | None = None
    group: int | None = None
    center: int | None = None


# -- attendance
class Record(Payload):
    id: int
    date: str
    student: int
    session_template: int | None = None
    session_instance: int | None = None
    status: str
    group: int | None = None
    trainer: int | None = None
    center: int | None = None
    # An absence covered by an approved justification (issue 20); an older
    # producer's event without it reads as false.
    is_justified: bool = False


class Alert(Payload):
    """An attendance alert (issue 20): raised (version 1, ``open``), grown (a
    longer run, a new rate), acknowledged or resolved."""

    id: int
    student: int
    group: int | None = None
    center: int | None = None
    training_course: int | None = None
    kind: str
    value: float
    threshold: float
    first_date: str | None = None
    last_date: str | None = None
    status: str
    acknowledged_by: int | None = None
    acknowledged_at: str | None = None
    resolved_at: str | None = None
    note: str | None = None


# -- exams
class Question(Payload):
    id: int
    training: int
    week: int | None = None
    type: str
    question_text: str
    options: Any
    points: float
    added_by: int


class Exam(Payload):
    id: int
    title: str
    exam_type: str
    student: int
    training: int
    status: str
    score: float | None = None
    total_points: float
    created_by: int
    completed_at: str | None = None
    questions: list[int]


class Submission(Payload):
    id: int
    exam: int
    question: int
    student: int
    points: float | None = None
    graded_by: int | None = None


# -- content
class Course(Payload):
    id: int
    name: str
    is_active: bool
    order: int
    program: int | None = None


class Unit(Payload):
    id: int
    course: int
    name: str
    order: int


class Section(Payload):
    id: int
    unit: int
    course: int
    name: str
    order: int


class Lesson(Payload):
    id: int
    section: int
    unit: int
    course: int
    title: str
    lesson_type: str
    order: int
    duration_minutes: int | None = None


#: (producer, entity) -> the model of its upserts' ``data``
PAYLOADS: dict[tuple[str, str], type[Payload]] = {
    ("auth", "user"): User,
    ("centers", "association"): Association,
    ("centers", "center"): Center,
    ("centers", "room"): Room,
    ("centers", "group"): Group,
    ("programs", "program"): Program,
    ("programs", "annualdistribution"): AnnualDistribution,
    ("programs", "weeklyplan"): WeeklyPlan,
    ("programs", "trainingcourse"): TrainingCourse,
    ("programs", "teacher"): Teacher,
    ("students", "student"): Student,
    ("schedule", "session"): Session,
    ("schedule", "instance"): Instance,
    ("attendance", "record"): Record,
    ("attendance", "alert"): Alert,
    ("exams", "question"): Question,
    ("exams", "exam"): Exam,
    ("exams", "submission"): Submission,
    ("content", "course"): Course,
    ("content", "unit"): Unit,
    ("content", "section"): Section,
    ("content", "lesson"): Lesson,
}
#: the platform's producers: their every entity has a model
PRODUCERS = frozenset(producer for producer, _ in PAYLOADS)


class ContractViolation(ValueError):
    """An event whose payload is not its subject's model."""


def check_fields(producer: str, entity: str, names: Iterable[str]) -> None:
    """Raise ContractViolation unless ``names`` are exactly the fields of the
    subject's model (a producer building its payloads in SQL: ``Outbox.upserts_of``)."""
    model = PAYLOADS.get((producer, entity))
    if model is None:
        raise ContractViolation(f"no payload model for {producer}.{entity}")
    sent, wanted = set(names), set(model.model_fields)
    if sent != wanted:
        raise ContractViolation(
            f"{producer}.{entity}: not sent: {', '.join(sorted(wanted - sent)) or '-'};"
            f" unknown: {', '.join(sorted(sent - wanted)) or '-'}"
        )


def check(
    producer: str,
    entity: str,
    op: str,
    data: Mapping[str, Any] | None,
    *,
    complete: bool = False,
) -> Payload | None:
    """Raise ContractViolation when an event of the platform does not match its
    model; events of other producers (tests' probes) are not the contracts'.
    Returns the payload as its model (None for a delete, or another producer's
    event): the consumer hands it to the handlers (``Envelope.payload``), which
    read its attributes, so an event is validated once.

    ``complete`` (the producer's side): every field of the model is sent, the
    optional ones too. A consumer reads an event without an optional field as
    that field's None (an older producer, a hand-made event)."""
    if producer not in PRODUCERS:
        return None
    model = PAYLOADS.get((producer, entity))
    if model is None:
        raise ContractViolation(f"no payload model for {producer}.{entity}")
    if op == "delete":
        return None
    if data is None:
        raise ContractViolation(f"{producer}.{entity}: an upsert without data")
    if complete:
        missing = sorted(set(model.model_fields) - set(data))
        if missing:
            raise ContractViolation(f"{producer}.{entity}: {', '.join(missing)}: not sent")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(payload)'}: {e['msg']}" for e in exc.errors()
        )
        raise ContractViolation(f"{producer}.{entity}: {problems}") from None
