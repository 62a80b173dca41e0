"""Response shape of the network roll-ups (``records/network_stats/``, issue 20)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Level = Literal["association", "center", "group"]


class NetworkRow(BaseModel):
    """One unit of the network (an association, a centre or a group) over the period."""

    level: Level
    id: int
    name: str
    parent: int | None = Field(
        description="A centre's association, a group's centre; null for an association."
    )
    students: int = Field(
        description="The unit's students of the academic year (the students copy's enrolment)."
    )
    total_records: int
    present: int
    late: int
    absent: int
    justified_absences: int = Field(description="Absent records covered by a justification.")
    attendance_rate: float = Field(description="(present + late) / total_records * 100.")
    open_alerts: int = Field(
        description="Unresolved (open or acknowledged) alerts whose last record is in the period."
    )
