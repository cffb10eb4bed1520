-- One Mapbox vector tile of one layer (Web Mercator z/x/y, extent 4096, buffer 64 pixels).
-- Rows are found with the GiST index of the layer's geometry (an EPSG:4326 box of the tile
-- and its buffer, cut at the world's edge lest it wrap past 180°: Mercator tiles are lon/lat
-- rectangles), then clipped and quantised by
-- ST_AsMVTGeom. {layer}, {fid}, {tile_id} and {properties} come from the layer definition.
SELECT ST_AsMVT(t.*, {layer}, 4096, 'geom'{fid}) AS tile
FROM (
    SELECT {tile_id}{properties}
           ST_AsMVTGeom(ST_Transform(s.geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s),
                        4096, 64, true) AS geom
    FROM ({source}) s
    WHERE s.geom && ST_Transform(ST_ClipByBox2D(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.015625),
                                                ST_TileEnvelope(0, 0, 0)::box2d), 4326)
) t
