"""The unit tree the model tests of a member's life share: a city over two wards, two cells in one of them and a far
cell in the other — enough to see that an officer acts on their own units only."""
from __future__ import annotations

from typing import NamedTuple

from models.units import Unit, UnitKind, add_unit


class TwoWards(NamedTuple):
    city: Unit
    ward: Unit
    other: Unit
    cell1: Unit
    cell2: Unit
    far: Unit


async def two_wards(session) -> TwoWards:
    city = await add_unit(session, "Đảng bộ thành phố", UnitKind.city)
    ward = await add_unit(session, "Đảng bộ phường Phú Hội", UnitKind.ward, city)
    other = await add_unit(session, "Đảng bộ phường Vĩnh Ninh", UnitKind.ward, city)
    cell1 = await add_unit(session, "Chi bộ 1", UnitKind.cell, ward)
    cell2 = await add_unit(session, "Chi bộ 2", UnitKind.cell, ward)
    far = await add_unit(session, "Chi bộ 9", UnitKind.cell, other)
    return TwoWards(city, ward, other, cell1, cell2, far)
