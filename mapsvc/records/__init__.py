"""The records people keep (orgs, members, grids, service points, areas): catalog, validation, SQL, routes."""
