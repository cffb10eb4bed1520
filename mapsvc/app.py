"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from mapsvc.config import PROJECT_ROOT, access_settings
from mapsvc.db import database_url


def create_app(config: dict | None = None) -> Flask:
    """Build the service; `config` overrides settings (tests pass DATABASE_URL)."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "web" / "templates"),
        static_folder=str(PROJECT_ROOT / "web" / "static"),
    )
    app.config["DATABASE_URL"] = database_url()
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.config.update(access_settings())
    if config:
        app.config.update(config)

    from mapsvc import (
        access,
        api,
        auth_views,
        errors,
        health,
        members_api,
        pages,
        params,
        positions_api,
        records_api,
    )

    errors.register(app)
    app.before_request(params.refuse_nul_characters)
    app.before_request(access.authenticate)
    app.after_request(access.security_headers)
    app.context_processor(
        lambda: {
            "csrf_token": access.csrf_token,
            "csp_nonce": access.csp_nonce,
            "me": access.principal(),
            "role_label": access.role_label,
        }
    )
    app.register_blueprint(health.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(records_api.bp)
    app.register_blueprint(members_api.bp)
    app.register_blueprint(positions_api.bp)
    app.register_blueprint(__import__("mapsvc.imports_api").imports_api.bp)
    app.register_blueprint(__import__("mapsvc.coverage_api").coverage_api.bp)
    app.register_blueprint(__import__("mapsvc.stats_api").stats_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(__import__("mapsvc.ogc").ogc.bp)
    app.register_blueprint(__import__("mapsvc.map_api").map_api.bp)
    app.register_blueprint(__import__("mapsvc.map_page").map_page.bp)
    return app
