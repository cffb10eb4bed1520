"""OGC API Features and Tiles over the layer definitions of layers/: items, vector tiles, their OpenAPI and cache."""
