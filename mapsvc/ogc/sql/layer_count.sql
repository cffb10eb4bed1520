-- How many features of one layer match (numberMatched); see layer_items.sql.
SELECT count(*) AS matched FROM ({source}) s WHERE {where}
