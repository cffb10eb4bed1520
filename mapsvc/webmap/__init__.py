"""The /map page composed by folium, and the endpoints behind its panels and low-zoom aggregates."""
