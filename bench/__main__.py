"""Run the benchmarks named on the command line, or all of them."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "demo_load",
    "nearest",
    "positions",
    "imports",
    "coverage",
    "tiles",
    "map_page",
    "screen",
]


def main(argv: list[str]) -> None:
    """Run each benchmark module's main()."""
    for name in argv or BENCHMARKS:
        print(f"== bench {name}")
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
