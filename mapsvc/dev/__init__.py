"""Development tooling apart from the runtime: the private PostgreSQL cluster in var/pg."""
