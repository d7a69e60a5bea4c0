"""The modeller for process owners: edit a diagram in the browser, check it with the same rules
as `kedja check` (the edited file together with the other deployed processes), deploy it as a
new version. Running instances stay on the version they started on."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, url_for

from engine.commands import Deploy
from engine.errors import DeploymentRejected, NotFound, Problem

from ..problems import problem
from .session import login_required

bp = Blueprint("modeller", __name__, url_prefix="/modeller")
EDITED = "redigerad.bpmn"


def _engine():
    return current_app.extensions["kedja"]


@bp.get("")
@login_required("process_owner")
def index():
    definitions = _engine().queries.definitions()
    by_key: dict[str, list] = {}
    for definition in definitions:
        by_key.setdefault(definition.key, []).append(definition)
    new = request.args.get("new") == "1"  # an empty diagram to start a new process from
    key = None if new else request.args.get("process") or (sorted(by_key)[0] if by_key else None)
    versions = by_key.get(key, [])
    chosen = versions[-1] if versions else None
    wanted = request.args.get("version", "")
    if versions and wanted.isdecimal() and len(wanted) < 10:
        chosen = next((d for d in versions if d.version == int(wanted)), chosen)
    counts = _engine().queries.running_by_version()
    return render_template("modeller.html", by_key=by_key, key=key, chosen=chosen, counts=counts,
                           form_keys=sorted(_engine().forms.keys()),
                           xml_url=url_for("modeller.xml", definition_id=chosen.id) if chosen else None)


@bp.get("/versions/<int:definition_id>.bpmn")
@login_required("process_owner")
def xml(definition_id):
    if definition_id > 2**31 - 1:
        raise NotFound(f"no process version {definition_id}")
    return Response(_engine().queries.definition(definition_id).bpmn_xml, mimetype="application/xml")


def _problems(xml: str) -> list[Problem]:
    """The engine's own deploy rules, run without deploying: the edited file beside the latest
    versions of the other processes, its forms included."""
    return _engine().deploy_problems(((EDITED, xml),))


def _xml_body() -> str:
    """The diagram the modeller sent as {"xml": "..."}; 400 (problem+json) for anything else."""
    payload = request.get_json(silent=True)
    xml = payload.get("xml") if isinstance(payload, dict) else None
    if not isinstance(xml, str) or not xml.strip():
        abort(400, 'send {"xml": "<the diagram>"}')
    return xml


def _as_json(problems: list[Problem]) -> list[dict]:
    return [{"element_id": p.element_id, "line": p.line, "file": p.file, "message": p.message} for p in problems]


@bp.post("/check")
@login_required("process_owner")
def check():
    return jsonify({"problems": _as_json(_problems(_xml_body()))})


@bp.post("/deploy")
@login_required("process_owner")
def deploy():
    """Deploy the edited diagram after the check; 422 with the problems if it does not pass."""
    try:
        versions = _engine().execute(Deploy(((EDITED, _xml_body()),), source="modeller",
                                            deployed_by=g.account.username))
    except DeploymentRejected as rejected:
        return problem(422, "the diagram cannot be deployed", errors=_as_json(rejected.problems))
    if not versions:
        raise NotFound("no executable process in the diagram")
    return jsonify({"versions": [{"key": v.key, "version": v.version, "created": v.created,
                                  "url": url_for("modeller.index", process=v.key, version=v.version)}
                                 for v in versions]}), 201
