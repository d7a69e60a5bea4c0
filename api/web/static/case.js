// The case page's diagram: the version the case runs on, drawn with bpmn-js (navigated viewer),
// with the elements the case has passed, those it is at now and the one that failed marked.
// It opens at a readable zoom (labels at their own size, not the whole process squeezed into the
// box) with where the case is now in view; buttons zoom in and out, show the whole process or go
// back to the case's place; the mouse drags and the arrow keys move the diagram, + and - zoom.
(async function () {
  "use strict";
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
      : "Diagrammet kunde inte visas.";
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

  const READABLE = 1.0; // one diagram unit per pixel: labels at the size they were drawn
  const STEP = 1.25;
  const MIN = 0.2;
  const MAX = 3;

  // Where the case is: the failed element, else the open tasks and waits, else (a finished case)
  // the end it reached.
  function current() {
    const shape = (id) => registry.get(id);
    const drawn = (e) => e && e.width !== undefined;
    const ids = [progress.error, ...progress.open, ...progress.active].filter(Boolean);
    let shapes = ids.map(shape).filter(drawn);
    if (!shapes.length) {
      const done = progress.done.map(shape).filter(drawn);
      shapes = done.filter((e) => e.type === "bpmn:EndEvent" && !(e.parent && /SubProcess/.test(e.parent.type)));
      if (!shapes.length) shapes = done.filter((e) => e.type === "bpmn:EndEvent").slice(0, 1);
      if (!shapes.length) shapes = done.slice(-1);
    }
    return shapes;
  }

  function centreOn(shapes) {
    const box = canvas.viewbox();
    if (!shapes.length) return;
    const left = Math.min(...shapes.map((s) => s.x));
    const top = Math.min(...shapes.map((s) => s.y));
    const right = Math.max(...shapes.map((s) => s.x + s.width));
    const bottom = Math.max(...shapes.map((s) => s.y + s.height));
    // Several places at once that do not fit: the first in view.
    const fits = right - left < box.width * 0.9 && bottom - top < box.height * 0.9;
    const cx = fits ? (left + right) / 2 : shapes[0].x + shapes[0].width / 2;
    const cy = fits ? (top + bottom) / 2 : shapes[0].y + shapes[0].height / 2;
    canvas.viewbox({ x: cx - box.width / 2, y: cy - box.height / 2, width: box.width, height: box.height });
  }

  function showCurrent() {
    canvas.zoom(READABLE);
    centreOn(current());
  }

  function zoomBy(factor) {
    const scale = Math.min(MAX, Math.max(MIN, canvas.zoom() * factor));
    const box = canvas.viewbox();
    canvas.zoom(scale, { x: box.outer.width / 2, y: box.outer.height / 2 });
  }

  canvas.zoom("fit-viewport");
  if (canvas.zoom() < READABLE * 0.9) showCurrent(); // too small to read: readable, at the case's place
  else if (canvas.zoom() > READABLE) canvas.zoom(READABLE);

  document.querySelectorAll("[data-zoom]").forEach((button) => {
    button.addEventListener("click", () => {
      const what = button.dataset.zoom;
      if (what === "in") zoomBy(STEP);
      else if (what === "out") zoomBy(1 / STEP);
      else if (what === "fit") canvas.zoom("fit-viewport");
      else showCurrent();
    });
  });
  container.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [80, 0], ArrowRight: [-80, 0], ArrowUp: [0, 80], ArrowDown: [0, -80] };
    if (moves[event.key]) {
      canvas.scroll({ dx: moves[event.key][0], dy: moves[event.key][1] });
    } else if (event.key === "+" || event.key === "=") {
      zoomBy(STEP);
    } else if (event.key === "-") {
      zoomBy(1 / STEP);
    } else {
      return;
    }
    event.preventDefault();
  });
  container.dataset.state = "ready";
})();
