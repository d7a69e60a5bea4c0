"""Health, deployed process definitions and deployment."""
from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text

from engine import Actor, Deploy, Forbidden, InvalidInput, MigrateVersion, NotFound

from . import access, problems, schemas
from .auth import account, engine, require

blp = Blueprint("processes", __name__, url_prefix="/api/v1", description="Health and process definitions")
XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")


@blp.route("/health")
class Health(MethodView):
    @problems.documented(blp)
    @blp.response(200, schemas.Health)
    def get(self):
        with engine().sql_engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        health = {"status": "ok", "database": engine().sql_engine.dialect.name,
                  "mode": "demo" if current_app.config.get("KEDJA_DEMO") else "production"}
        if current_app.config.get("KEDJA_DEMO"):
            health["demo_time"] = engine().now()  # the demo clock, which administrators move forward
        return health


@blp.route("/processes")
class Processes(MethodView):
    @problems.documented(blp, 401)
    @blp.response(200, schemas.Definition(many=True))
    def get(self):
        """Deployed definitions: every version of every process."""
        return engine().queries.definitions()

    @require("process_owner")
    @problems.documented(blp, 401, 403, 413, 415, 422)
    @blp.response(201, schemas.Deployed(many=True))
    @blp.doc(requestBody={"content": {"application/xml": {"schema": {"type": "string"}}}, "required": True})
    def post(self):
        """Deploy a BPMN file (the XML is the body). 201 with the versions, 422 with the problems."""
        if request.mimetype not in XML_TYPES:
            return _unsupported()
        body = request.get_data()
        if not body:
            raise InvalidInput("the body must be the BPMN XML")
        return engine().execute(Deploy((("upload.bpmn", body),), source="api", deployed_by=account().username))


def _unsupported():
    return problems.problem(415, f"send the diagram as one of {', '.join(XML_TYPES)}")


@blp.route("/processes/<key>/bpmn")
class ProcessXml(MethodView):
    @blp.arguments(schemas.BpmnArgs, location="query")
    @problems.documented(blp, 401, 404)
    @blp.response(200, {"type": "string"}, content_type="application/xml", description="The BPMN XML")
    def get(self, args, key):
        """The XML of a version (?version=N; default the latest)."""
        versions = [d for d in engine().queries.definitions() if d.key == key]
        if "version" in args:
            versions = [d for d in versions if d.version == args["version"]]
        if not versions:
            raise NotFound(f"no process '{key}'" + (f" version {args['version']}" if "version" in args else ""))
        return Response(versions[-1].bpmn_xml, mimetype="application/xml")  # not dumped (the schema is a dict)


@blp.route("/processes/<key>/migrations")
class Migrations(MethodView):
    @require("process_owner", "admin")
    @problems.documented(blp, 401, 403, 404, 409)
    @blp.arguments(schemas.MigrationArgs)
    @blp.response(200, schemas.MigrationResult(many=True))
    def post(self, args, key):
        """Move every running case of one version to a newer one, case by case. `dry_run`
        (the default) only says which cases could move and why the others could not."""
        return engine().execute(MigrateVersion(key, args["from_version"], args["to_version"], args["dry_run"],
                                               Actor(account().username, account().organisation)))


@blp.route("/processes/<key>/start-form")
class StartForm(MethodView):
    @problems.documented(blp, 401, 403, 404)
    @blp.response(200, schemas.StartFormDocument)
    def get(self, key):
        """The form that starts a case of the process (JSON Schema, Swedish titles, choices
        filled in). `account_fields` are set from the caller's account when it starts one."""
        if not access.may_start(key):
            raise Forbidden(f"your roles may not start '{key}'")
        form = engine().start_form(key)
        if form is None:
            raise NotFound(f"'{key}' has no start form")
        return form
