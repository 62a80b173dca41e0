"""Read shapes built from rows of ``repository.records_query()`` and the aggregates
(``fastread``'s rows: the record's columns by their names, then the labels)."""

from __future__ import annotations

from typing import Any

from .schemas import (
    CourseDetails,
    InstanceDetails,
    ProgramRef,
    RecordRead,
    Stats,
    StudentDetails,
    TemplateDetails,
    UserNames,
    rate,
)


def student_details(student_id: int, row: Any) -> StudentDetails | None:
    """``row``: with the student copy's exam_id, first_name, last_name and email."""
    if row is None or row.exam_id is None:
        return None
    return StudentDetails(
        id=student_id,
        exam_id=row.exam_id,
        user=UserNames(first_name=row.first_name, last_name=row.last_name, email=row.email),
    )


def course_name(m: Any) -> str:
    """A training course's text form: "programme - centre - trainer"."""
    trainer = f"{m.course_trainer_first_name or ''} {m.course_trainer_last_name or ''}"
    parts = (m.course_program_name, m.course_center_name, trainer.strip())
    return " - ".join(p for p in parts if p)


def template_details(m: Any) -> TemplateDetails | None:
    if m.tpl_id is None:
        return None
    course = None
    if m.course_id is not None:
        course = CourseDetails(
            id=m.course_id,
            name=course_name(m),
            program=ProgramRef(id=m.course_program, name=m.course_program_name or ""),
        )
    return TemplateDetails(
        id=m.tpl_id,
        day=m.tpl_day,
        start_time=m.tpl_start_time,
        end_time=m.tpl_end_time,
        training_course_details=course,
    )


def record(r: Any) -> RecordRead:
    """``r``: a row of ``records_query()``."""
    template = template_details(r)
    instance = None
    if r.session_instance_id is not None and r.instance_status is not None:
        instance = InstanceDetails(
            id=r.session_instance_id,
            specific_date=r.specific_date,
            effective_start_time=r.effective_start_time,
            effective_end_time=r.effective_end_time,
            status=r.instance_status,
            schedule_template_details=template,
        )
    return RecordRead(
        id=r.id,
        date=r.date,
        student=r.student_id,
        student_details=student_details(r.student_id, r),
        session_template=r.session_template_id,
        session_template_details=template if r.session_template_id is not None else None,
        session_instance=r.session_instance_id,
        session_instance_details=instance,
        status=r.status,
        notes=r.notes,
        is_justified=r.is_justified,
        created_at=r.created_at,
        edited_at=r.updated_at,
    )


def stats(row: Any) -> Stats:
    total, present, absent, late = (
        int(row.total),
        int(row.present),
        int(row.absent),
        int(row.late),
    )
    return Stats(
        total_sessions=total,
        present_count=present,
        absent_count=absent,
        late_count=late,
        attendance_rate=rate(present, late, total),
        justified_absences=int(row.justified),
    )
