// The modeller: bpmn-js with a properties panel for what Kedja reads from a diagram (lanes and
// their organisation rule, form keys, due times, phases, messages and correlation, timers),
// the server's check shown on the elements, and deploy as a new version.
(function () {
  "use strict";
  const KEDJA = {
    name: "Kedja", uri: "https://kedja.goteborg.se/bpmn/1.0", prefix: "kedja", xml: { tagAlias: "lowerCase" },
    types: [
      { name: "LaneRule", extends: ["bpmn:Lane"], properties: [
        { name: "role", isAttr: true, type: "String" }, { name: "organisation", isAttr: true, type: "String" }] },
      { name: "TaskForm", extends: ["bpmn:UserTask"], properties: [
        { name: "formKey", isAttr: true, type: "String" }, { name: "dueIn", isAttr: true, type: "String" },
        { name: "phase", isAttr: true, type: "String" }] },
      { name: "ProcessFacts", extends: ["bpmn:Process"], properties: [{ name: "facts", isAttr: true, type: "String" }] },
      { name: "ExternalMessage", extends: ["bpmn:Message"], properties: [{ name: "external", isAttr: true, type: "String" }] },
    ],
  };
  const NEW_DIAGRAM = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:kedja="${KEDJA.uri}" id="definitions" targetNamespace="${KEDJA.uri}">
  <bpmn:process id="ny_process" name="Ny process" isExecutable="true"><bpmn:startEvent id="start"/></bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="ny_process">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
  const TIMER_KINDS = { timeDuration: "Varaktighet (t.ex. \"P30D\")", timeDate: "Datum", timeCycle: "Cykel (t.ex. \"R/P1M\")" };

  const canvasEl = document.getElementById("canvas");
  const panel = document.getElementById("properties");
  const problemsEl = document.getElementById("problems");
  const statusEl = document.getElementById("status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const modeler = new BpmnJS({ container: canvasEl, moddleExtensions: { kedja: KEDJA } });
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  const canvas = modeler.get("canvas");
  let current = null;

  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.className = kind || "";
  }

  function definitions() { return modeler.getDefinitions(); }
  function rootsOf(type) { return (definitions().rootElements || []).filter((e) => e.$type === type); }

  // --- the panel -------------------------------------------------------------------------
  function row(label, input) {
    const wrap = document.createElement("div");
    wrap.className = "field";
    const l = document.createElement("label");
    l.textContent = label;
    input.id = "p-" + label.replace(/\W+/g, "-").toLowerCase();
    l.htmlFor = input.id;
    wrap.append(l, input);
    panel.append(wrap);
    return input;
  }

  function text(label, value, onChange, attrs) {
    const input = document.createElement("input");
    input.value = value || "";
    Object.entries(attrs || {}).forEach(([k, v]) => input.setAttribute(k, v));
    input.addEventListener("change", () => onChange(input.value.trim()));
    return row(label, input);
  }

  function select(label, options, value, onChange) {
    const input = document.createElement("select");
    options.forEach(([v, l]) => {
      const o = document.createElement("option");
      o.value = v; o.textContent = l; o.selected = v === value;
      input.append(o);
    });
    input.addEventListener("change", () => onChange(input.value));
    return row(label, input);
  }

  function heading(textContent) {
    const h = document.createElement("h3");
    h.textContent = textContent;
    panel.append(h);
  }

  function set(element, props) {
    const clean = {};
    Object.entries(props).forEach(([k, v]) => { clean[k] = v === "" ? undefined : v; });
    modeling.updateProperties(element, clean);
  }

  function render(element) {
    current = element;
    panel.replaceChildren();
    if (!element) { panel.innerHTML = '<p class="muted">Välj ett element.</p>'; return; }
    const bo = element.businessObject;
    const h = document.createElement("h2");
    h.textContent = bo.name || bo.id;
    panel.append(h);
    const small = document.createElement("p");
    small.className = "muted small";
    small.textContent = element.type.replace("bpmn:", "") + " · " + bo.id;
    panel.append(small);
    if (element.type !== "label") text("Namn", bo.name, (v) => set(element, { name: v }));

    if (element.type === "bpmn:Lane") {
      heading("Ansvarig organisation");
      text("Roll (kedja:role)", bo.get("kedja:role"), (v) => set(element, { "kedja:role": v }));
      text("Organisation (uttryck, kedja:organisation)", bo.get("kedja:organisation"),
        (v) => set(element, { "kedja:organisation": v }), { placeholder: "'Arbetsförmedlingen' eller case_owner" });
    }
    if (element.type === "bpmn:UserTask") {
      heading("Uppgift");
      text("Formulär (kedja:formKey)", bo.get("kedja:formKey"), (v) => set(element, { "kedja:formKey": v }),
        { list: "form-keys" });
      text("Ska vara klar inom (kedja:dueIn)", bo.get("kedja:dueIn"), (v) => set(element, { "kedja:dueIn": v }),
        { placeholder: "'P14D'" });
      text("Fas (kedja:phase)", bo.get("kedja:phase"), (v) => set(element, { "kedja:phase": v }));
    }
    if (element.type === "bpmn:Participant" && bo.processRef) {
      heading("Process");
      text("Nyckeltal (kedja:facts)", bo.processRef.get("kedja:facts"),
        (v) => modeling.updateModdleProperties(element, bo.processRef, { "kedja:facts": v || undefined }));
    }
    const definition = (bo.eventDefinitions || [])[0];
    const messageHolder = definition && definition.$type === "bpmn:MessageEventDefinition" ? definition
      : (["bpmn:ReceiveTask", "bpmn:SendTask"].includes(bo.$type) ? bo : null);
    if (messageHolder) renderMessage(element, messageHolder);
    if (definition && definition.$type === "bpmn:TimerEventDefinition") renderTimer(element, definition);
  }

  function renderMessage(element, holder) {
    heading("Meddelande");
    const messages = rootsOf("bpmn:Message");
    const chosen = holder.messageRef;
    select("Meddelande", [["", "– välj –"], ...messages.map((m) => [m.id, m.name || m.id])], chosen ? chosen.id : "",
      (id) => modeling.updateModdleProperties(element, holder, { messageRef: messages.find((m) => m.id === id) }));
    text("Nytt meddelande (namn)", "", (name) => {
      if (!name) return;
      const message = moddle.create("bpmn:Message", { id: "msg_" + name.replace(/\W+/g, "_"), name });
      message.$parent = definitions();
      definitions().rootElements.push(message);
      modeling.updateModdleProperties(element, holder, { messageRef: message });
      render(element);
    });
    if (!chosen) return;
    heading("Korrelation");
    const note = document.createElement("p");
    note.className = "muted small";
    note.textContent = "Egenskaper som kopplar meddelandet till rätt ärende, med uttrycket som hämtar värdet ur meddelandet.";
    panel.append(note);
    rootsOf("bpmn:CorrelationProperty").forEach((property) => {
      const expressions = property.correlationPropertyRetrievalExpression || [];
      const mine = expressions.find((e) => e.messageRef === chosen);
      text(property.name || property.id, mine && mine.messagePath ? mine.messagePath.body : "", (value) => {
        const others = expressions.filter((e) => e !== mine);
        const next = value ? [...others, moddle.create("bpmn:CorrelationPropertyRetrievalExpression", {
          messageRef: chosen, messagePath: moddle.create("bpmn:FormalExpression", { body: value }) })] : others;
        modeling.updateModdleProperties(element, property, { correlationPropertyRetrievalExpression: next });
      }, { placeholder: "tomt: korrelerar inte", "data-correlation": property.id });
    });
    text("Ny korrelationsegenskap (namn)", "", (name) => {
      if (!name) return;
      const property = moddle.create("bpmn:CorrelationProperty", { id: name.replace(/\W+/g, "_"), name,
        correlationPropertyRetrievalExpression: [moddle.create("bpmn:CorrelationPropertyRetrievalExpression", {
          messageRef: chosen, messagePath: moddle.create("bpmn:FormalExpression", { body: name }) })] });
      property.$parent = definitions();
      definitions().rootElements.push(property);
      modeler.get("commandStack").execute("element.updateProperties", { element, properties: {} });
      render(element);
    });
  }

  function renderTimer(element, timer) {
    heading("Timer");
    const kind = Object.keys(TIMER_KINDS).find((k) => timer[k]) || "timeDuration";
    const expression = timer[kind] ? timer[kind].body : "";
    let chosenKind = kind;
    const update = (k, body) => {
      const props = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      props[k] = moddle.create("bpmn:FormalExpression", { body });
      modeling.updateModdleProperties(element, timer, props);
    };
    select("Typ", Object.entries(TIMER_KINDS), kind, (k) => { chosenKind = k; update(k, input.value); });
    const input = text("Uttryck", expression, (v) => update(chosenKind, v), { placeholder: "\"P6M\"" });
  }

  // --- check and deploy --------------------------------------------------------------------
  function clearProblems() {
    overlays.remove({ type: "kedja-problem" });
    registry.getAll().forEach((e) => canvas.removeMarker(e.id, "kedja-problem"));
    problemsEl.replaceChildren();
  }

  function showProblems(problems) {
    clearProblems();
    problems.forEach((p) => {
      const li = document.createElement("li");
      const onThis = p.file === "redigerad.bpmn" && p.element_id && registry.get(p.element_id);
      li.textContent = (onThis ? p.element_id + ": " : (p.file && p.file !== "redigerad.bpmn" ? p.file + ": " : ""))
        + p.message + (p.line ? " (rad " + p.line + ")" : "");
      if (onThis) {
        canvas.addMarker(p.element_id, "kedja-problem");
        overlays.add(p.element_id, "kedja-problem", { position: { bottom: -4, left: 0 },
          html: '<div class="problem-badge" title="' + p.message.replace(/"/g, "&quot;") + '">!</div>' });
        li.classList.add("link");
        li.addEventListener("click", () => modeler.get("selection").select(registry.get(p.element_id)));
      }
      problemsEl.append(li);
    });
  }

  async function post(url) {
    const { xml } = await modeler.saveXML({ format: true });
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify({ xml }) });
  }

  document.getElementById("check").addEventListener("click", async () => {
    say("Kontrollerar …");
    const response = await post(canvasEl.dataset.checkUrl);
    const body = await response.json();
    const problems = body.problems || body.errors || [];
    showProblems(problems);
    say(problems.length ? problems.length + " problem" : "Inga problem hittades.", problems.length ? "error" : "ok");
  });

  document.getElementById("deploy").addEventListener("click", async () => {
    say("Driftsätter …");
    const response = await post(canvasEl.dataset.deployUrl);
    const body = await response.json();
    if (response.status === 201) {
      clearProblems();
      const created = body.versions.filter((v) => v.created);
      if (!created.length) { say("Ingen ändring: diagrammet är detsamma som senaste versionen.", "ok"); return; }
      const v = created[0];
      say("Version " + v.version + " av " + v.key + " är driftsatt.", "ok");
      const link = document.createElement("a");
      link.href = v.url; link.textContent = " Visa versionen";
      statusEl.append(link);
      return;
    }
    showProblems(body.errors || []);
    say("Kan inte driftsättas: " + (body.errors ? body.errors.length + " problem" : body.detail), "error");
  });

  document.getElementById("download").addEventListener("click", async () => {
    const { xml } = await modeler.saveXML({ format: true });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
    a.download = (definitions().rootElements.find((e) => e.$type === "bpmn:Process") || { id: "process" }).id + ".bpmn";
    a.click();
  });

  modeler.on("selection.changed", (event) => render(event.newSelection[0] || null));
  modeler.on("element.changed", (event) => {
    if (current && event.element === current && document.activeElement && !panel.contains(document.activeElement)) {
      render(current);
    }
  });

  (async function load() {
    let xml = NEW_DIAGRAM;
    if (canvasEl.dataset.xmlUrl) {
      const response = await fetch(canvasEl.dataset.xmlUrl, { credentials: "same-origin" });
      xml = await response.text();
    }
    try {
      await modeler.importXML(xml);
      canvas.zoom("fit-viewport");
      canvasEl.dataset.state = "ready";
    } catch (err) {
      say("Diagrammet kunde inte läsas: " + err.message, "error");
      canvasEl.dataset.state = "failed";
    }
  })();
  window.kedjaModeler = modeler;  // for the browser tests and the console
})();
