"""What each list may be filtered, searched and ordered by (its query parameters).
A filter may name a column of a parent table: the lists join up to their course."""

from __future__ import annotations

from sqlmodel import col

from entraide_kit.filters import Filter, ListSpec

from .models import Course, Lesson, Practice, Question, QuestionOption, Section, Unit

COURSE_LIST = ListSpec(
    search_fields=[col(Course.name), col(Course.description)],
    ordering_fields={
        "order": col(Course.order),
        "name": col(Course.name),
        "created_at": col(Course.created_at),
        "updated_at": col(Course.updated_at),
    },
    default_ordering=["order", "name"],
    filters={
        "is_active": Filter(col(Course.is_active), bool, "Active courses only (true/false)."),
        "program": Filter(col(Course.program_id), int, "A training programme's id."),
    },
    tiebreaker=col(Course.id),
)

UNIT_LIST = ListSpec(
    search_fields=[col(Unit.name), col(Unit.description)],
    ordering_fields={
        "order": col(Unit.order),
        "name": col(Unit.name),
        "created_at": col(Unit.created_at),
    },
    default_ordering=["order", "name"],
    filters={"course": Filter(col(Unit.course_id), int, "A course's id.")},
    tiebreaker=col(Unit.id),
)

SECTION_LIST = ListSpec(
    search_fields=[col(Section.name), col(Section.description), col(Section.about)],
    ordering_fields={
        "order": col(Section.order),
        "name": col(Section.name),
        "created_at": col(Section.created_at),
    },
    default_ordering=["order", "name"],
    filters={
        "unit": Filter(col(Section.unit_id), int, "A unit's id."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
        "unit__course": Filter(col(Unit.course_id), int, "A course's id (same as course)."),
    },
    tiebreaker=col(Section.id),
)

LESSON_LIST = ListSpec(
    search_fields=[col(Lesson.title), col(Lesson.text_content)],
    ordering_fields={
        "order": col(Lesson.order),
        "title": col(Lesson.title),
        "created_at": col(Lesson.created_at),
        "duration_minutes": col(Lesson.duration_minutes),
    },
    default_ordering=["order", "title"],
    filters={
        "section": Filter(col(Lesson.section_id), int, "A section's id."),
        "lesson_type": Filter(
            col(Lesson.lesson_type),
            str,
            "video, pdf, text or link.",
            choices=("video", "pdf", "text", "link"),
        ),
        "unit": Filter(col(Section.unit_id), int, "A unit's id."),
        "section__unit": Filter(col(Section.unit_id), int, "A unit's id (same as unit)."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
        "section__unit__course": Filter(
            col(Unit.course_id), int, "A course's id (same as course)."
        ),
    },
    tiebreaker=col(Lesson.id),
)

PRACTICE_LIST = ListSpec(
    search_fields=[col(Practice.instructions)],
    ordering_fields={"created_at": col(Practice.created_at), "id": col(Practice.id)},
    default_ordering=["id"],
    filters={
        "section": Filter(col(Practice.section_id), int, "A section's id."),
        "unit": Filter(col(Section.unit_id), int, "A unit's id."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
    },
    tiebreaker=col(Practice.id),
)

QUESTION_LIST = ListSpec(
    search_fields=[col(Question.question_text)],
    ordering_fields={
        "order": col(Question.order),
        "points": col(Question.points),
        "created_at": col(Question.created_at),
    },
    default_ordering=["order"],
    filters={
        "practice": Filter(col(Question.practice_id), int, "A practice's id."),
        "question_type": Filter(
            col(Question.question_type),
            str,
            "mcq, true_false or short_answer.",
            choices=("mcq", "true_false", "short_answer"),
        ),
        "section": Filter(col(Practice.section_id), int, "A section's id."),
        "course": Filter(col(Unit.course_id), int, "A course's id."),
    },
    tiebreaker=col(Question.id),
)

OPTION_LIST = ListSpec(
    search_fields=[col(QuestionOption.option_text)],
    ordering_fields={
        "order": col(QuestionOption.order),
        "created_at": col(QuestionOption.created_at),
    },
    default_ordering=["order"],
    filters={"question": Filter(col(QuestionOption.question_id), int, "A question's id.")},
    tiebreaker=col(QuestionOption.id),
)
