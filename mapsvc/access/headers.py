"""Headers every answer carries: the Content-Security-Policy (with a nonce), framing, caching."""

from __future__ import annotations

import secrets

from flask import current_app, g, request

from mapsvc.access.principal import principal


def csp_nonce() -> str:
    """A per-response nonce for the few inline scripts (folium's)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def security_headers(response):
    """after_request: headers every response carries."""
    h = response.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    if response.mimetype == "text/html":
        tiles = current_app.config.get("BASEMAP_ORIGINS", "")
        nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self'{nonce}; "
            "style-src 'self' 'unsafe-inline'; "  # Leaflet positions everything with style=""
            f"img-src 'self' data: blob:{(' ' + tiles) if tiles else ''}; "
            "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
    if principal().sees_personal or request.path.startswith(("/api/", "/ogc")):
        h.setdefault("Cache-Control", "private, no-store")
    return response
