"""党建电子地图: the party-building electronic map service."""

__version__ = "0.1.0"
