"""The typed repository base: the statements every record needs, one shape in
every service.

A service's ``repository.py`` declares one ``Repository`` per table it owns
(``rooms = Repository(Room)``) and adds the statements that are its own
(joins, aggregates) as functions beside it. Service functions call them; no
router does (``tests/test_layers.py``).

- ``get`` reads without a lock (plain reads); ``get_for_update`` locks the
  row for the rest of the transaction (the reads that precede a write);
  ``require`` is either, or the contract's 404.
- ``page`` is a list's count and page in one statement (``ListSpec``
  filters, search and ordering applied), ``by_ids`` and ``children`` load
  nested data for a whole page in one statement each: no N+1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from .errors import NotFound
from .filters import ListQuery, ListSpec
from .pagination import PageParams, fetch_page

M = TypeVar("M", bound=SQLModel)


class Repository(Generic[M]):
    """The common statements of one table (a SQLModel with an ``id``)."""

    def __init__(self, model: type[M], *, order_by: Sequence[Any] = ()) -> None:
        self.model = model
        self.id_column: Any = model.id  # type: ignore[attr-defined]
        #: the order of ``select()`` and ``children()`` when none is given
        self.order_by = tuple(order_by) or (self.id_column,)

    def select(self) -> Select[Any]:
        """All rows, in the default order."""
        return select(self.model).order_by(*self.order_by)

    async def get(self, session: AsyncSession, pk: int) -> M | None:
        """The row, without a lock."""
        stmt = select(self.model).where(self.id_column == pk)
        return (await session.execute(stmt)).scalar_one_or_none()

    async def get_for_update(self, session: AsyncSession, pk: int) -> M | None:
        """The row, locked until the transaction ends (read before a write)."""
        stmt = select(self.model).where(self.id_column == pk).with_for_update()
        return (await session.execute(stmt)).scalar_one_or_none()

    async def require(self, session: AsyncSession, pk: int, *, for_update: bool = False) -> M:
        """The row, or the contract's 404 (``{"detail": "Not found."}``)."""
        found = await (self.get_for_update if for_update else self.get)(session, pk)
        if found is None:
            raise NotFound()
        return found

    async def exists(self, session: AsyncSession, pk: int) -> bool:
        stmt = select(self.id_column).where(self.id_column == pk)
        return (await session.execute(stmt)).first() is not None

    async def by_ids(self, session: AsyncSession, ids: Iterable[int | None]) -> dict[int, M]:
        """Many rows by id, in one statement."""
        wanted = {int(i) for i in ids if i is not None}
        if not wanted:
            return {}
        rows = await session.execute(select(self.model).where(self.id_column.in_(wanted)))
        return {int(r.id): r for r in rows.scalars()}  # type: ignore[attr-defined]

    async def children(
        self,
        session: AsyncSession,
        column: Any,
        parent_ids: Iterable[int | None],
        *order_by: Any,
    ) -> dict[int, list[M]]:
        """The rows of many parents (``column`` is the foreign key), in one
        statement, grouped by parent and ordered by ``order_by`` (default: the
        repository's order)."""
        wanted = {int(i) for i in parent_ids if i is not None}
        grouped: dict[int, list[M]] = defaultdict(list)
        if not wanted:
            return grouped
        stmt = select(self.model).where(column.in_(wanted)).order_by(*(order_by or self.order_by))
        key = column.key
        for row in (await session.execute(stmt)).scalars():
            grouped[int(getattr(row, key))].append(row)
        return grouped

    async def page(
        self,
        session: AsyncSession,
        params: PageParams,
        *,
        stmt: Select[Any] | None = None,
        spec: ListSpec | None = None,
        query: ListQuery | None = None,
        scalars: bool = True,
    ) -> tuple[int, list[Any]]:
        """(count, the page's rows) of ``stmt`` (default: every row) with the
        list's filters applied, in one statement."""
        base = stmt if stmt is not None else select(self.model)
        if spec is not None and query is not None:
            base = spec.apply(base, query)
        return await fetch_page(session, base, params, scalars=scalars)
