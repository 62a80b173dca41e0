"""records counted per centre, group and day, kept by the database (network roll-ups)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Issue 20's network roll-ups add up a whole academic year of the whole network:
a million records at the benchmark's scale L, which no aggregate over the
records themselves reads in 100 ms (counting them alone took 200 ms on the
development machine). ``attendance_day_counts`` holds, per (centre, group,
day), the records' total, present, late, absent and justified absences: a few
tens of thousands of rows for that year, which the roll-ups sum instead.

Statement-level triggers keep it, whatever writes the records (the ORM, the
bulk statement, a justification's approval, an instance followed, a test's or
the seed's SQL): each statement's changed rows (its transition tables) are
counted once, +1 for the new versions and -1 for the old ones, and the counts
that moved are added in one upsert, in key order (two writers lock the rows
they share in the same order). A class list of 30 records is one upsert of one
row. Existing records are counted at upgrade. TRUNCATE is not followed (the
tests empty every table at once).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _add_up(changes: str) -> str:
    """The day counts moved by ``changes`` (rows of center_id, group_id, date,
    status, is_justified and n, +1 or -1) added in one upsert, in key order."""
    sums = {
        "total": "sum(n)",
        "present": "coalesce(sum(n) FILTER (WHERE status = 'present'), 0)",
        "late": "coalesce(sum(n) FILTER (WHERE status = 'late'), 0)",
        "absent": "coalesce(sum(n) FILTER (WHERE status = 'absent'), 0)",
        "justified": "coalesce(sum(n) FILTER (WHERE status = 'absent' AND is_justified), 0)",
    }
    # Constant text only (this module's own fragments): nothing a caller sends.
    return f"""
        WITH changes AS ({changes})
        INSERT INTO attendance_day_counts AS d
            (center_id, group_id, date, {", ".join(sums)})
        SELECT center_id, group_id, date, {", ".join(sums.values())}
        FROM changes
        GROUP BY center_id, group_id, date
        -- only the days whose counts moved (a class list entered again as it was: none)
        HAVING {" OR ".join(f"{total} <> 0" for total in sums.values())}
        ORDER BY center_id, group_id, date
        ON CONFLICT (center_id, group_id, date) DO UPDATE SET
            {", ".join(f"{name} = d.{name} + excluded.{name}" for name in sums)};"""  # noqa: S608


_NEW = "SELECT center_id, group_id, date, status, is_justified, 1 AS n FROM new_records"
_OLD = "SELECT center_id, group_id, date, status, is_justified, -1 AS n FROM old_records"
# Each branch reads only the transition tables its trigger declares.
FUNCTION = f"""
CREATE FUNCTION attendance_day_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN{_add_up(_NEW)}
    ELSIF TG_OP = 'DELETE' THEN{_add_up(_OLD)}
    ELSE{_add_up(f"{_NEW} UNION ALL {_OLD}")}
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = {
    "insert": "AFTER INSERT ON attendance_records REFERENCING NEW TABLE AS new_records",
    "update": (
        "AFTER UPDATE ON attendance_records "
        "REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records"
    ),
    "delete": "AFTER DELETE ON attendance_records REFERENCING OLD TABLE AS old_records",
}


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE attendance_day_counts (
            center_id integer,
            group_id integer,
            date date NOT NULL,
            total integer NOT NULL DEFAULT 0,
            present integer NOT NULL DEFAULT 0,
            late integer NOT NULL DEFAULT 0,
            absent integer NOT NULL DEFAULT 0,
            justified integer NOT NULL DEFAULT 0,
            CONSTRAINT uq_attendance_day_counts UNIQUE NULLS NOT DISTINCT
                (center_id, group_id, date)
        )
        """
    )
    # The group level reads by group (the unique index leads with the centre).
    op.create_index(
        "ix_attendance_day_counts_group_date", "attendance_day_counts", ["group_id", "date"]
    )
    op.execute(FUNCTION)
    for event, clause in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER attendance_day_counts_{event} {clause} "
            "FOR EACH STATEMENT EXECUTE FUNCTION attendance_day_counts_apply()"
        )
    op.execute(
        """
        INSERT INTO attendance_day_counts
            (center_id, group_id, date, total, present, late, absent, justified)
        SELECT center_id, group_id, date, count(*),
               count(*) FILTER (WHERE status = 'present'),
               count(*) FILTER (WHERE status = 'late'),
               count(*) FILTER (WHERE status = 'absent'),
               count(*) FILTER (WHERE status = 'absent' AND is_justified)
        FROM attendance_records
        GROUP BY center_id, group_id, date
        """
    )


def downgrade() -> None:
    for event in TRIGGERS:
        op.execute(f"DROP TRIGGER attendance_day_counts_{event} ON attendance_records")
    op.execute("DROP FUNCTION attendance_day_counts_apply()")
    op.drop_table("attendance_day_counts")
