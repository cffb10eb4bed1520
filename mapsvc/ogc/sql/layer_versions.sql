-- How many times each table behind the layers has changed (bumped by statement triggers).
SELECT table_name, version FROM layer_versions
