"""How big a demo territory to make: small (tests), city (榆林市), province (陕西省)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scale:
    """The counties loaded, how finely each is divided, and how many people live there."""

    cities: tuple[str, ...]  # 4-digit prefixes of the cities loaded; () = every city
    province: bool  # a province row and committee over the cities
    counties: tuple[str, ...] | None  # 6-digit codes loaded; None = all of the cities'
    bare: tuple[str, ...]  # loaded with boundary and committee only (partial data)
    units: dict[str, tuple[int, int]] = field(default_factory=dict)  # streets, towns kept
    communities_per_street: tuple[int, int] = (8, 10)
    villages_per_town: tuple[int, int] = (6, 9)
    communities_per_seat_town: tuple[int, int] = (4, 6)
    grids_per_community: int = 7
    grids_per_village: int = 2
    population: int = 3_600_000  # residents, spread over the grids by density
    member_rate: float = 0.07  # members per resident (nationally about 7 %)
    core_km: float = 6.5  # urban core of a city's seat county
    county_core_km: float = 2.5  # urban core of the other counties
    road_spacing_m: float = 200.0
    lattice_everywhere: bool = True  # street lattices in every county, else in city seats


SCALES = {
    # tests: 榆阳区 with streets and towns, 横山区 with towns, 佳县 without any (partial data)
    "small": Scale(
        cities=("6108",),
        province=False,
        counties=("610802", "610803", "610828"),
        bare=("610828",),
        units={"610802": (3, 2), "610803": (0, 3)},
        communities_per_street=(3, 4),
        villages_per_town=(3, 3),
        communities_per_seat_town=(2, 3),
        grids_per_community=5,
        grids_per_village=2,
        population=52_000,
        core_km=3.5,
        county_core_km=2.0,
        road_spacing_m=250.0,
    ),
    # the whole of 榆林市: 12 counties, every street and town of the township list
    "city": Scale(cities=("6108",), province=False, counties=None, bare=()),
    # 陕西省 for benchmarks: 10 cities, 107 counties, about 3 million members, less detail
    "province": Scale(
        cities=(),
        province=True,
        counties=None,
        bare=(),
        communities_per_street=(2, 3),
        villages_per_town=(2, 3),
        communities_per_seat_town=(2, 2),
        grids_per_community=3,
        grids_per_village=1,
        population=39_500_000,
        member_rate=0.076,
        core_km=5.0,
        county_core_km=1.5,
        road_spacing_m=300.0,
        lattice_everywhere=False,
    ),
}
