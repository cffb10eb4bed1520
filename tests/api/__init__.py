"""HTTP and service tests against the test database."""
