"""Geographic helpers: coordinate systems, demo data and other geodata utilities."""
