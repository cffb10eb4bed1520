-- Names and levels of communities, villages, streets and towns, for grouping grids.
SELECT code, name, level, parent_code FROM admin_areas
WHERE level IN ('street', 'town', 'community', 'village')
