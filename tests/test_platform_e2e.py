"""A term of a training centre, through the gateway, across all seven services.

A centre, its room and group (centers); a programme, a weekly plan and a
training course with its trainer (programs); students (students, with their
accounts in auth); a weekly template and its week (schedule); the class's
attendance (attendance, from the copies of students and sessions); an exam
answered and graded (exams). Each service learns what it needs of the others
from their events, so this also proves the copies flow end to end.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from entraide_stack.testing.gateway import eventually, login, ok

PASSWORD = "Sahara-Atlas-2024"
YEAR = "2024-2025"
MONDAY = "2024-06-10"


def test_a_term_across_all_services(full_stack: Any, full_gw: httpx.Client) -> None:
    gw = full_gw
    admin = login(gw, full_stack.admin_email, full_stack.admin_password())
    tag = uuid.uuid4().hex[:6]

    # auth: a supervisor and a trainer
    people = {}
    for role, first, last in (
        ("center_supervisor", "Said", "Alaoui"),
        ("trainer", "Ahmed", "Benali"),
    ):
        email = f"{first.lower()}.{tag}@entraide.ma"
        body = {
            "email": email,
            "password": PASSWORD,
            "first_name": first,
            "last_name": last,
            "role": role,
        }
        ok(gw.post("/api/accounts/users/", json=body, headers=admin), 201)
        people[role] = {"email": email, "headers": login(gw, email, PASSWORD)}
    trainer_id = ok(gw.get("/api/accounts/users/me/", headers=people["trainer"]["headers"]))["id"]
    supervisor_id = ok(
        gw.get("/api/accounts/users/me/", headers=people["center_supervisor"]["headers"])
    )["id"]

    # centers
    center = ok(
        gw.post(
            "/api/centers-app/centers/",
            json={"name": f"Centre {tag}", "city": "Rabat", "supervisor": supervisor_id},
            headers=admin,
        ),
        201,
    )
    room = ok(
        gw.post(
            "/api/centers-app/rooms/",
            json={"name": "A1", "type": "classroom", "capacity": 30, "center": center["id"]},
            headers=admin,
        ),
        201,
    )
    group = ok(
        gw.post(
            "/api/centers-app/groups/",
            json={"name": "Alpha", "center": center["id"]},
            headers=admin,
        ),
        201,
    )

    # programs
    program = ok(
        gw.post(
            "/api/programs/trainingprogrames/",
            json={"name": f"Web {tag}", "description": "d", "duration_years": 2},
            headers=admin,
        ),
        201,
    )
    distribution = ok(
        gw.post(
            "/api/programs/annualcoursedistributions/",
            json={"programe": program["id"], "academic_year": YEAR},
            headers=admin,
        ),
        201,
    )
    plan = ok(
        gw.post(
            "/api/programs/weeklycourseplans/",
            json={
                "annual_distribution": distribution["id"],
                "month": 6,
                "week_number": 24,
                "title": "HTML",
            },
            headers=admin,
        ),
        201,
    )
    course = ok(
        gw.post(
            "/api/programs/trainingcourses/",
            json={
                "program": program["id"],
                "center": center["id"],
                "trainer": trainer_id,
                "academic_year": YEAR,
            },
            headers=admin,
        ),
        201,
    )
    assert course["center"]["name"] == f"Centre {tag}" and course["trainer"]["id"] == trainer_id

    # students: made by the centre's supervisor, with their accounts
    students = []
    for first, last in (("Fatima", "Zahra"), ("Omar", "Idrissi")):
        body = {
            "first_name": first,
            "last_name": f"{last}{tag}",
            "exam_id": f"STU{tag}{first[0]}",
            "center": center["id"],
            "program": program["id"],
            "academic_year": YEAR,
            "joining_date": "2024-09-01",
            "group": group["id"],
            "training_course": course["id"],
        }
        students.append(
            ok(
                gw.post(
                    "/api/students/", json=body, headers=people["center_supervisor"]["headers"]
                ),
                201,
            )
        )

    # schedule: a weekly template, then its week
    template = ok(
        gw.post(
            "/api/schedule/api/sessions/",
            json={
                "day": "Monday",
                "start_time": "08:30:00",
                "end_time": "10:30:00",
                "academic_year": YEAR,
                "trainer": trainer_id,
                "room": room["id"],
                "group": group["id"],
                "training_course": course["id"],
            },
            headers=people["center_supervisor"]["headers"],
        ),
        201,
    )
    assert template["trainer_details"]["full_name"] == "Ahmed Benali"
    week = ok(
        gw.post(
            "/api/schedule/api/instances/generate_for_week/",
            json={"start_date": MONDAY, "academic_year": YEAR},
            headers=admin,
        )
    )
    instance = next(i for i in week["instances"] if i["schedule_template"] == template["id"])

    # attendance: the trainer takes the class (students and the instance come from copies)
    trainer = people["trainer"]["headers"]
    body = {
        "session_instance_id": instance["id"],
        "date": MONDAY,
        "attendance_records": [
            {"student_id": str(students[0]["id"]), "status": "present"},
            {"student_id": str(students[1]["id"]), "status": "late", "notes": "bus"},
        ],
    }
    taken = eventually(
        lambda: gw.post("/api/attendance/api/records/bulk_create/", json=body, headers=trainer),
        lambda r: r.status_code == 200 and r.json()["created"] + r.json()["updated"] == 2,
    )
    assert taken.json()["errors"] == []
    records = ok(
        gw.get(
            "/api/attendance/api/records/by_session/",
            params={"session_instance_id": instance["id"]},
            headers=trainer,
        )
    )
    assert {r["student_details"]["exam_id"] for r in records} == {s["exam_id"] for s in students}
    assert all(r["session_instance_details"]["effective_start_time"] == "08:30:00" for r in records)
    stats = ok(
        gw.get(
            "/api/attendance/api/records/stats/",
            params={"start_date": "2024-06-01", "end_date": "2024-06-30", "group_id": group["id"]},
            headers=admin,
        )
    )
    assert stats == {
        "total_sessions": 2,
        "present_count": 1,
        "absent_count": 0,
        "late_count": 1,
        "attendance_rate": 100.0,
        "justified_absences": 0,
    }

    # exams: the trainer writes a question and an exam; the student answers it
    question = eventually(
        lambda: gw.post(
            "/api/exams/questions/",
            json={
                "training": program["id"],
                "week": plan["id"],
                "type": "MCQ",
                "question_text": "Which tag is a link?",
                "options": ["a", "p"],
                "correct_answer": "a",
                "points": 2,
            },
            headers=trainer,
        ),
        lambda r: r.status_code == 201,
    ).json()
    student_user = students[0]["user"]["id"]
    exam_body = {
        "exam_type": "term1_theory",
        "student": student_user,
        "training": program["id"],
        "questions": [question["id"]],
        "status": "published",
    }
    exam = eventually(
        lambda: gw.post("/api/exams/", json=exam_body, headers=trainer),
        lambda r: r.status_code == 201,
    ).json()
    # The student logs in with the one-time password, changes it, answers.
    pending = login(gw, students[0]["user"]["email"], students[0]["initial_password"])
    changed = ok(
        gw.post(
            "/api/accounts/users/change_password/",
            json={
                "old_password": students[0]["initial_password"],
                "new_password": "Oasis-Ifrane-2025",
            },
            headers=pending,
        )
    )
    student = {"Authorization": f"Bearer {changed['access']}"}
    seen = ok(gw.get(f"/api/exams/{exam['id']}/", headers=student))
    assert "correct_answer" not in str(seen)
    ok(
        gw.post(
            f"/api/exams/{exam['id']}/submit/",
            json={"answers": [{"question": question["id"], "answer": "a"}]},
            headers=student,
        )
    )
    done = ok(
        gw.put(
            f"/api/exams/{exam['id']}/", json={**exam_body, "status": "completed"}, headers=trainer
        )
    )
    assert done["score"] == 100.0
    mine = ok(gw.get("/api/exams/results/my-results/", headers=student))
    assert [r["score"] for r in mine] == [100.0]
    own = ok(
        gw.get(
            "/api/attendance/api/records/by_student/",
            params={"student_id": students[0]["id"]},
            headers=student,
        )
    )
    assert [r["status"] for r in own] == ["present"]
