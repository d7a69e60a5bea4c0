// The case page's diagram: the version the case runs on, drawn with bpmn-js (navigated viewer),
// with the elements the case has passed, those it is at now and the one that failed marked.
(async function () {
  const container = document.getElementById("diagram");
  if (!container) return;
  const progress = JSON.parse(document.getElementById("progress").textContent);
  const viewer = new BpmnJS({ container });
  try {
    const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error("diagrammet kunde inte hämtas (" + response.status + ")");
    await viewer.importXML(await response.text());
  } catch (err) {
    container.textContent = /no diagram to display/.test(err.message)
      ? "Processen har ingen ritning (BPMN DI): bara ärendets uppgifter visas."
      : "Diagrammet kunde inte visas: " + err.message;
    container.dataset.state = "failed";
    return;
  }
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const done = new Set(progress.done);
  const mark = (id, cls) => { if (registry.get(id)) canvas.addMarker(id, cls); };
  progress.done.forEach((id) => mark(id, "kedja-done"));
  // A flow was taken when both its ends were passed (or it leads to where the case is now).
  registry.filter((e) => e.type === "bpmn:SequenceFlow").forEach((flow) => {
    const source = flow.businessObject.sourceRef.id;
    const target = flow.businessObject.targetRef.id;
    if (done.has(source) && (done.has(target) || progress.active.includes(target))) mark(flow.id, "kedja-done");
  });
  progress.active.forEach((id) => mark(id, "kedja-active"));
  progress.open.forEach((id) => mark(id, "kedja-active"));
  if (progress.error) mark(progress.error, "kedja-error");
  canvas.zoom("fit-viewport");
  container.dataset.state = "ready";
})();
