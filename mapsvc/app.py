"""The Flask application factory: settings, error mapping, access control, blueprints."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

from mapsvc.http.jsonbody import StrictJSONProvider
from mapsvc.infra.config import PROJECT_ROOT, access_settings
from mapsvc.infra.db import service_database_url

# every feature's routes (a module with a blueprint `bp`), in the order they are matched
BLUEPRINTS = (
    "mapsvc.health",
    "mapsvc.access.routes",
    "mapsvc.lookup.routes",
    "mapsvc.records.routes",
    "mapsvc.records.member_routes",
    "mapsvc.positions.routes",
    "mapsvc.exchange.routes",
    "mapsvc.coverage.routes",
    "mapsvc.stats.routes",
    "mapsvc.pages",
    "mapsvc.ogc.routes",
    "mapsvc.webmap.routes",
    "mapsvc.webmap.page",
)


def create_app(config: dict | None = None) -> Flask:
    """Build the service; `config` overrides settings (tests pass DATABASE_URL)."""
    Flask.json_provider_class = StrictJSONProvider
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "web" / "templates"),
        static_folder=str(PROJECT_ROOT / "web" / "static"),
    )
    app.config["DATABASE_URL"] = service_database_url()
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.config.update(access_settings())
    if config:
        app.config.update(config)

    from mapsvc import access
    from mapsvc.http import errors, params

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
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    return app
