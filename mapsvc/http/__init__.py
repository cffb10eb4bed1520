"""HTTP plumbing shared by every feature: query parameters declared once, errors mapped once, the OpenAPI document."""
