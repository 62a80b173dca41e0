from __future__ import annotations

import pytest

from exams_service.grading import grade, problems, score


@pytest.mark.parametrize(
    ("qtype", "correct", "answer", "expected"),
    [
        ("MCQ", "Paris", "paris ", 2.0),
        ("MCQ", "Paris", "Rabat", 0.0),
        ("MCQ", "Paris", None, 0.0),
        ("TF", True, "true", 2.0),
        ("TF", False, True, 0.0),
        ("TF", "false", False, 2.0),
        ("FIB", ["HTML", "html5"], "HTML5", 2.0),
        ("FIB", "tag", "tags", 0.0),
        ("MA", ["a", "b"], ["B", "a"], 2.0),
        ("MA", ["a", "b"], ["a"], 0.0),
        ("MA", ["a", "b"], "a", 0.0),
        ("SA", "model answer", "anything", None),
        ("LA", None, "an essay", None),
    ],
)
def test_grading_of_each_type(
    qtype: str, correct: object, answer: object, expected: float | None
) -> None:
    assert grade(qtype, correct, answer, 2.0) == expected


def test_score_formula() -> None:
    assert score(8, 10) == 80.0
    assert score(2, 3) == 66.67
    assert score(0, 0) == 0.0


def test_question_problems() -> None:
    assert problems("MCQ", ["a", "b"], "a") == {}
    assert "correct_answer" in problems("MCQ", ["a", "b"], "c")
    assert "options" in problems("MCQ", ["only one"], "only one")
    assert "correct_answer" in problems("MA", ["a", "b"], [])
    assert "correct_answer" in problems("TF", None, "maybe")
    assert "correct_answer" in problems("FIB", None, "")
    assert problems("SA", None, None) == {}
