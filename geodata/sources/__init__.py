"""Where the demo\x27s real territory comes from (see geodata/data/README.md)."""
