"""Question types, what a question must carry, and automatic grading.

MCQ (one option), MA (several options), TF (true/false) and FIB (fill in the
blank: one or more accepted answers) are graded at once; SA and LA (short and
long answers) wait for a trainer's grade.
"""

from __future__ import annotations

from typing import Any

AUTO = {"MCQ", "MA", "TF", "FIB"}
MANUAL = {"SA", "LA"}
TYPES = AUTO | MANUAL


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "vrai", "1", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "faux", "0", "no"):
        return False
    return None


def problems(qtype: str, options: Any, correct: Any) -> dict[str, list[str]]:
    """What is wrong with a question's options and correct answer, per field."""
    errors: dict[str, list[str]] = {}
    if qtype in ("MCQ", "MA"):
        if (
            not isinstance(options, list)
            or len(options) < 2
            or not all(isinstance(o, str) and o for o in options)
        ):
            errors["options"] = ["Give at least two options (a list of texts)."]
            return errors
        choices = {_norm(o) for o in options}
        if qtype == "MCQ" and (not isinstance(correct, str) or _norm(correct) not in choices):
            errors["correct_answer"] = ["The correct answer must be one of the options."]
        if qtype == "MA" and (
            not isinstance(correct, list)
            or not correct
            or not all(_norm(c) in choices for c in correct)
        ):
            errors["correct_answer"] = [
                "The correct answers must be a non-empty list of the options."
            ]
    elif qtype == "TF":
        if _bool(correct) is None:
            errors["correct_answer"] = ["The correct answer must be true or false."]
    elif qtype == "FIB":
        accepted = correct if isinstance(correct, list) else [correct]
        if not accepted or not all(isinstance(a, str) and a.strip() for a in accepted):
            errors["correct_answer"] = ["Give the accepted answer (or a list of them)."]
    return errors


def grade(qtype: str, correct: Any, answer: Any, points: float) -> float | None:
    """Points earned, or None when a trainer must grade it."""
    if qtype in MANUAL:
        return None
    if qtype == "TF":
        given = _bool(answer)
        return points if given is not None and given == _bool(correct) else 0.0
    if qtype == "MCQ":
        return points if isinstance(answer, str) and _norm(answer) == _norm(correct) else 0.0
    if qtype == "MA":
        if not isinstance(answer, list):
            return 0.0
        return points if {_norm(a) for a in answer} == {_norm(c) for c in correct} else 0.0
    accepted = correct if isinstance(correct, list) else [correct]
    return points if answer is not None and _norm(answer) in {_norm(a) for a in accepted} else 0.0


def score(earned: float, possible: float) -> float:
    """earned / possible * 100, rounded to 2 decimals (0 when there is nothing to earn)."""
    return round(earned / possible * 100, 2) if possible else 0.0
