"""Coverage for planners: service circles, walking reach, gaps, new sites, organisation coverage."""
