-- Active party orgs by the area they sit in, level and category. An org's area is its own
-- admin_area_code, else the nearest one above it in the tree (an office branch sits where its
-- committee does); NULL when no org on its way to the root has one (placed in no area).
WITH RECURSIVE placed (id, area) AS (
    SELECT id, admin_area_code FROM party_orgs WHERE parent_id IS NULL
    UNION ALL
    SELECT c.id, coalesce(c.admin_area_code, p.area)
    FROM party_orgs c JOIN placed p ON c.parent_id = p.id
)
SELECT p.area, o.level, o.category, count(*) AS n
FROM party_orgs o JOIN placed p ON p.id = o.id
WHERE o.status = 'active'
GROUP BY 1, 2, 3
