"""schemathesis fuzzing of /api/v1 and /ogc."""
