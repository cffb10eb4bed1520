"""The test suite, one package per kind (unit, api, pages, fuzz, durability)."""
