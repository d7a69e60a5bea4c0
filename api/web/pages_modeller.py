"""The modeller for process owners: edit a diagram in the browser, check it with the same rules
as `kedja check` (the edited file together with the other deployed processes), deploy it as a
new version. Running instances stay on the version they started on."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request, url_for

from engine import Actor, Deploy, DeploymentRejected, MigrateVersion, NotFound, Problem, read_xml

from ..auth import engine as _engine
from ..problems import problem
from . import bpmn_diff
from .messages import swedish
from .pages_forms import form_choices
from .problem_texts import problems_json
from .session import login_required

bp = Blueprint("modeller", __name__, url_prefix="/modeller")
EDITED = "redigerad.bpmn"


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
                           forms=form_choices(), may_migrate=g.account.has("process_owner", "admin"),
                           xml_url=url_for("modeller.xml", definition_id=chosen.id) if chosen else None)


@bp.get("/processes/<key>/versions")
@login_required("process_owner")
def versions(key):
    """The versions of a process for the modeller's list (after a deploy, without a reload)."""
    counts = _engine().queries.running_by_version()
    found = [d for d in _engine().queries.definitions() if d.key == key]
    if not found:
        raise NotFound(f"no process '{key}'")
    when = current_app.jinja_env.filters["when"]
    return jsonify({"key": key, "name": found[-1].name or key, "versions": [
        {"id": d.id, "version": d.version, "deployed_at": when(d.deployed_at), "deployed_by": d.deployed_by,
         "running": counts.get(d.id, 0), "url": url_for("modeller.index", process=key, version=d.version),
         "xml_url": url_for("modeller.xml", definition_id=d.id)} for d in reversed(found)]})


@bp.post("/diff")
@login_required("process_owner")
def diff():
    """What changed from one version to another, or to the diagram in the editor:
    {"from": definition id, "to": definition id} or {"from": definition id, "xml": "..."}."""
    payload = request.get_json(silent=True)
    payload = payload if isinstance(payload, dict) else {}
    ids = [payload.get(name) for name in ("from", "to")]
    if not isinstance(ids[0], int) or not (isinstance(ids[1], int) or isinstance(payload.get("xml"), str)):
        abort(400, 'send {"from": <version id>, "to": <version id>} or {"from": <version id>, "xml": "..."}')
    if any(isinstance(i, int) and not 0 < i < 2**31 for i in ids):
        raise NotFound("no such process version")
    old = _engine().queries.definition(ids[0])
    new_xml = _engine().queries.definition(ids[1]).bpmn_xml if isinstance(ids[1], int) else payload["xml"]
    limit = _engine().config.max_bpmn_bytes
    try:
        changes = bpmn_diff.diff(read_xml(old.bpmn_xml, limit), read_xml(new_xml, limit, EDITED))
    except DeploymentRejected as rejected:
        return problem(422, "the diagram cannot be read", errors=_as_json(rejected.problems))
    return jsonify({"from": {"id": old.id, "version": old.version, "key": old.key}, **changes})


@bp.post("/migrate")
@login_required("process_owner", "admin")
def migrate():
    """Move every running case of one version to another: {"process", "from", "to", "dry_run"}.
    A dry run (the default) says which cases could move and why the others could not."""
    payload = request.get_json(silent=True)
    payload = payload if isinstance(payload, dict) else {}
    key, source, target = payload.get("process"), payload.get("from"), payload.get("to")
    if not isinstance(key, str) or not all(isinstance(v, int) and 0 < v < 2**31 for v in (source, target)):
        abort(400, 'send {"process": "<key>", "from": N, "to": M, "dry_run": true}')
    dry_run = payload.get("dry_run", True) is not False
    results = _engine().execute(MigrateVersion(key, source, target, dry_run,  # 404, 409 as problem+json
                                               Actor(g.account.username, g.account.organisation)))
    old = next(d for d in _engine().queries.definitions() if d.key == key and d.version == source)
    names = {ident: node.get("name") for ident, node in bpmn_diff.elements(
        read_xml(old.bpmn_xml, _engine().config.max_bpmn_bytes)).items() if node.get("name")}
    for case in results:  # the engine's reason, and what it means in Swedish
        case["reason_sv"] = swedish(case["reason"], names) or case["reason"] if case.get("reason") else None
    return jsonify({"process": key, "from": source, "to": target, "dry_run": dry_run, "cases": results})


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
    """For the modeller's page: `message` in Swedish, `message_en` the engine's (the API's) words."""
    return problems_json(problems)


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
