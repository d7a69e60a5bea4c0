"""Forms as deployed resources: list them, read a version, deploy a new one."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine import DeployForm, InvalidInput, NotFound

from . import problems, schemas
from .auth import account, engine, require

blp = Blueprint("forms", __name__, url_prefix="/api/v1", description="Forms (JSON Schemas of user tasks)")


@blp.route("/forms")
class Forms(MethodView):
    @problems.documented(blp, 401)
    @blp.response(200, schemas.FormVersion(many=True))
    def get(self):
        """The latest version of every deployed form."""
        return engine().forms.latest()


@blp.route("/forms/<key>")
class Form(MethodView):
    @problems.documented(blp, 401, 404)
    @blp.arguments(schemas.FormArgs, location="query")
    @blp.response(200, schemas.FormDocument)
    def get(self, args, key):
        """One form: the latest version, or `?version=N`; with its JSON Schema."""
        version = args.get("version")
        schema = engine().forms.schema(key, version)
        if schema is None:
            raise NotFound(f"no form '{key}'" + (f" version {version}" if version else ""))
        found = [v for v in engine().forms.versions(key) if version is None or v.version == version]
        return {**vars(found[-1]), "schema": schema}

    @require("process_owner")
    @problems.documented(blp, 401, 403, 415, 422)
    @blp.response(201, schemas.FormVersion)
    @blp.alt_response(200, schema=schemas.FormVersion, description="the same content was the latest version")
    @blp.doc(requestBody={"content": {"application/json": {"schema": {"type": "object"}}}, "required": True})
    def put(self, key):
        """Deploy a form (the body is its JSON Schema): 201 with the new version, 200 when the
        content equals the latest version, 422 with the problems."""
        if request.mimetype != "application/json":
            return problems.problem(415, "send the form as application/json")
        schema = request.get_json(silent=True)
        if not isinstance(schema, dict):
            raise InvalidInput("the body must be a JSON object (the form's JSON Schema)")
        deployed, created = engine().execute(DeployForm(key, schema, source="api", deployed_by=account().username))
        return deployed, 201 if created else 200
