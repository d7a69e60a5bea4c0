"""Messages from other systems, the message log, and the follow-up report."""
from __future__ import annotations

import json

from flask import Response, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine import CorrelateMessage
from goteborg.reports import follow_up

from . import problems, schemas
from .auth import engine, require
from .figures_csv import figures_csv
from .paging import paged

blp = Blueprint("messages", __name__, url_prefix="/api/v1", description="Messages and reports")
FIGURES = "The key figures: JSON, or CSV (figure, key, value) with Accept: text/csv"


@blp.route("/messages")
class Messages(MethodView):
    @require("admin")
    @blp.arguments(schemas.MessageIn)
    @problems.documented(blp, 401, 403, 404, 409, 413)
    @blp.response(200, schemas.Routed)
    @blp.alt_response(202, schema=schemas.Routed, description="buffered: no receiver waits yet")
    def post(self, args):
        """Send a message: 200 delivered or started, 202 buffered, 404 no receiver (ttl_seconds=0)."""
        result = engine().execute(CorrelateMessage(args["name"], args["correlation"], args.get("payload"),
                                                   args.get("message_id"), args.get("ttl_seconds")))
        return result, 202 if result.status in ("buffered", "pending") else 200

    @require("admin")
    @blp.arguments(schemas.MessageArgs, location="query")
    @problems.documented(blp, 401, 403)
    @blp.response(200, schemas.MessagePage)
    def get(self, args):
        """The message log."""
        page = engine().queries.messages(args.get("status"), args.get("name"), args["page"], args["per_page"])
        for message in page.items:
            message.correlation = json.loads(message.correlation_key)
        return paged(page)


@blp.route("/reports/follow-up")
class FollowUp(MethodView):
    @problems.documented(blp, 401)
    @blp.response(200, {"type": "object"}, content_type="application/json", description=FIGURES)
    @blp.alt_response(200, schema={"type": "string"}, content_type="text/csv", success=True, description=FIGURES)
    def get(self):
        """The key figures; CSV with Accept: text/csv."""
        config = engine().config
        figures = follow_up(engine(), config.settings["socio_economic_values"],
                            config.settings["distribution_key"]).as_dict()
        if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
            return Response(figures_csv(figures), mimetype="text/csv")
        return jsonify(figures)  # a Response: flask-smorest dumps only what is not (the schema is a dict)
