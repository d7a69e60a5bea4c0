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
        { name: "phase", isAttr: true, type: "String" }, { name: "followUpPhase", isAttr: true, type: "String" }] },
      { name: "ProcessFacts", extends: ["bpmn:Process"], properties: [{ name: "facts", isAttr: true, type: "String" },
        { name: "modelRole", isAttr: true, type: "String" }] },
      { name: "ExternalMessage", extends: ["bpmn:Message"], properties: [{ name: "external", isAttr: true, type: "String" },
        { name: "modelRole", isAttr: true, type: "String" }] },
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
  const TYPE_NAMES = { "bpmn:UserTask": "Användaruppgift", "bpmn:ServiceTask": "Tjänsteuppgift",
    "bpmn:ScriptTask": "Skriptuppgift", "bpmn:SendTask": "Skickande uppgift", "bpmn:ReceiveTask": "Mottagande uppgift",
    "bpmn:ManualTask": "Manuell uppgift", "bpmn:Task": "Uppgift", "bpmn:CallActivity": "Anropad process",
    "bpmn:SubProcess": "Delprocess", "bpmn:StartEvent": "Starthändelse", "bpmn:EndEvent": "Sluthändelse",
    "bpmn:IntermediateCatchEvent": "Mellanhändelse (väntar)", "bpmn:IntermediateThrowEvent": "Mellanhändelse (skickar)",
    "bpmn:BoundaryEvent": "Kanthändelse", "bpmn:ExclusiveGateway": "Exklusiv grind",
    "bpmn:ParallelGateway": "Parallell grind", "bpmn:InclusiveGateway": "Inkluderande grind",
    "bpmn:EventBasedGateway": "Händelsestyrd grind", "bpmn:SequenceFlow": "Flöde", "bpmn:MessageFlow": "Meddelandeflöde",
    "bpmn:Lane": "Bana", "bpmn:Participant": "Pool", "bpmn:TextAnnotation": "Kommentar", "label": "Etikett" };
  const TIMER_KINDS = { timeDuration: "Varaktighet (t.ex. \"P30D\")", timeDate: "Datum", timeCycle: "Cykel (t.ex. \"R/P1M\")" };

  const canvasEl = document.getElementById("canvas");
  const panel = document.getElementById("properties");
  const problemsEl = document.getElementById("problems");
  const statusEl = document.getElementById("status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  // bpmn-js' own words (palette, context pad, replace menu) in Swedish; what is not here stays as it is.
  const SWEDISH = {
    "Activate hand tool": "Flytta diagrammet (hand)", "Activate lasso tool": "Markera flera (lasso)",
    "Activate create/remove space tool": "Skapa eller ta bort utrymme", "Activate global connect tool": "Koppla ihop",
    "Create start event": "Ny starthändelse", "Create intermediate/boundary event": "Ny mellanhändelse",
    "Create end event": "Ny sluthändelse", "Create gateway": "Ny grind", "Create task": "Ny uppgift",
    "Create expanded sub-process": "Ny delprocess", "Create data object reference": "Nytt dataobjekt",
    "Create data store reference": "Nytt datalager", "Create pool/participant": "Ny pool", "Create group": "Ny grupp",
    "Append end event": "Lägg till sluthändelse", "Append gateway": "Lägg till grind", "Append task": "Lägg till uppgift",
    "Append intermediate/boundary event": "Lägg till mellanhändelse", "Append receive task": "Lägg till mottagande uppgift",
    "Append message intermediate catch event": "Lägg till väntan på meddelande",
    "Append timer intermediate catch event": "Lägg till timer", "Append signal intermediate catch event": "Lägg till väntan på signal",
    "Append conditional intermediate catch event": "Lägg till väntan på villkor",
    "Append compensation activity": "Lägg till kompensation", "Add text annotation": "Lägg till kommentar",
    "Change element": "Byt typ", "Delete": "Ta bort", "Connect to other element": "Koppla till ett annat element",
    "Connect using association": "Koppla med association", "Connect using data input association": "Koppla med dataflöde",
    "Add lane above": "Ny bana ovanför", "Add lane below": "Ny bana nedanför", "Divide into two lanes": "Dela i två banor",
    "Divide into three lanes": "Dela i tre banor", "Search in diagram": "Sök i diagrammet", "Search": "Sök",
    "Align elements": "Justera element", "Distribute elements horizontally": "Fördela vågrätt",
    "Distribute elements vertically": "Fördela lodrätt", "Toggle non-interrupting": "Avbryter inte / avbryter",
    "Loop": "Upprepning", "Parallel multi-instance": "Flera parallellt", "Sequential multi-instance": "Flera i tur och ordning",
    "Collection": "Samling", "Participant multiplicity": "Flera deltagare", "Open {element}": "Öppna {element}",
    "Task": "Uppgift", "User task": "Användaruppgift", "Service task": "Tjänsteuppgift", "Send task": "Skickande uppgift",
    "Receive task": "Mottagande uppgift", "Manual task": "Manuell uppgift", "Business rule task": "Regeluppgift",
    "Script task": "Skriptuppgift", "Call activity": "Anropad process", "Sub-process": "Delprocess",
    "Sub-process (collapsed)": "Delprocess (hopfälld)", "Sub-process (expanded)": "Delprocess (utfälld)",
    "Event sub-process": "Händelsedelprocess", "Transaction": "Transaktion",
    "Ad-hoc sub-process": "Ad hoc-delprocess", "Ad-hoc sub-process (collapsed)": "Ad hoc-delprocess (hopfälld)",
    "Ad-hoc sub-process (expanded)": "Ad hoc-delprocess (utfälld)",
    "Start event": "Starthändelse", "End event": "Sluthändelse", "Intermediate throw event": "Mellanhändelse (skickar)",
    "Boundary event": "Kanthändelse", "Message start event": "Meddelande startar", "Timer start event": "Timer startar",
    "Signal start event": "Signal startar", "Conditional start event": "Villkor startar", "Error start event": "Fel startar",
    "Escalation start event": "Eskalering startar", "Compensation start event": "Kompensation startar",
    "Message start event (non-interrupting)": "Meddelande startar (avbryter inte)",
    "Timer start event (non-interrupting)": "Timer startar (avbryter inte)",
    "Signal start event (non-interrupting)": "Signal startar (avbryter inte)",
    "Conditional start event (non-interrupting)": "Villkor startar (avbryter inte)",
    "Escalation start event (non-interrupting)": "Eskalering startar (avbryter inte)",
    "Message intermediate catch event": "Väntar på meddelande", "Message intermediate throw event": "Skickar meddelande",
    "Timer intermediate catch event": "Timer", "Signal intermediate catch event": "Väntar på signal",
    "Signal intermediate throw event": "Skickar signal", "Conditional intermediate catch event": "Väntar på villkor",
    "Escalation intermediate throw event": "Eskalerar", "Compensation intermediate throw event": "Kompenserar",
    "Link intermediate catch event": "Länk (tar emot)", "Link intermediate throw event": "Länk (skickar)",
    "Message end event": "Slut med meddelande", "Error end event": "Slut med fel", "Escalation end event": "Slut med eskalering",
    "Signal end event": "Slut med signal", "Compensation end event": "Slut med kompensation",
    "Cancel end event": "Slut med avbrott", "Terminate end event": "Avslutar allt",
    "Message boundary event": "Meddelande på kanten", "Timer boundary event": "Timer på kanten",
    "Error boundary event": "Fel på kanten", "Escalation boundary event": "Eskalering på kanten",
    "Conditional boundary event": "Villkor på kanten", "Signal boundary event": "Signal på kanten",
    "Cancel boundary event": "Avbrott på kanten", "Compensation boundary event": "Kompensation på kanten",
    "Message boundary event (non-interrupting)": "Meddelande på kanten (avbryter inte)",
    "Timer boundary event (non-interrupting)": "Timer på kanten (avbryter inte)",
    "Escalation boundary event (non-interrupting)": "Eskalering på kanten (avbryter inte)",
    "Conditional boundary event (non-interrupting)": "Villkor på kanten (avbryter inte)",
    "Signal boundary event (non-interrupting)": "Signal på kanten (avbryter inte)",
    "Exclusive gateway": "Exklusiv grind", "Parallel gateway": "Parallell grind", "Inclusive gateway": "Inkluderande grind",
    "Complex gateway": "Komplex grind", "Event-based gateway": "Händelsestyrd grind",
    "Event based instantiating Gateway": "Händelsestyrd startgrind",
    "Parallel Event based instantiating Gateway": "Parallell händelsestyrd startgrind",
    "Sequence flow": "Flöde", "Default flow": "Standardflöde", "Conditional flow": "Villkorat flöde",
    "Data object reference": "Dataobjekt", "Data store reference": "Datalager",
    "Empty pool/participant": "Tom pool", "Expanded pool/participant": "Utfälld pool",
  };
  const swedishWords = { translate: ["value", (template, replacements) => (SWEDISH[template] || template)
    .replace(/{([^}]+)}/g, (_all, key) => (replacements || {})[key] || "{" + key + "}")] };
  const modeler = new BpmnJS({ container: canvasEl, moddleExtensions: { kedja: KEDJA }, additionalModules: [swedishWords] });
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  const canvas = modeler.get("canvas");
  let current = null;
  const formList = JSON.parse(document.getElementById("form-list").textContent);
  let forms = formList.forms;
  const MIN_READABLE = 0.7;  // labels are readable from about this scale

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
    small.textContent = (TYPE_NAMES[element.type] || element.type.replace("bpmn:", "")) + " · " + bo.id;
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
      formPicker(element, bo);
      text("Ska vara klar inom (kedja:dueIn)", bo.get("kedja:dueIn"), (v) => set(element, { "kedja:dueIn": v }),
        { placeholder: "'P14D'" });
      text("Fas (kedja:phase)", bo.get("kedja:phase"), (v) => set(element, { "kedja:phase": v }));
      // What the key figures count the task under; keep it when the task is renamed or replaced.
      text("Fas i nyckeltalen (kedja:followUpPhase)", bo.get("kedja:followUpPhase"),
        (v) => set(element, { "kedja:followUpPhase": v || undefined }), { placeholder: "t.ex. matchning (tomt: räknas inte)" });
    }
    if (element.type === "bpmn:Participant" && bo.processRef) {
      heading("Process");
      text("Nyckeltal (kedja:facts)", bo.processRef.get("kedja:facts"),
        (v) => modeling.updateModdleProperties(element, bo.processRef, { "kedja:facts": v || undefined }));
      // What the process is to the model (participant: its cases hold personal data).
      text("Roll i modellen (kedja:modelRole)", bo.processRef.get("kedja:modelRole"),
        (v) => modeling.updateModdleProperties(element, bo.processRef, { "kedja:modelRole": v || undefined }),
        { placeholder: "deltagare: participant, upphandling: procurement, leverantör: supplier" });
    }
    const definition = (bo.eventDefinitions || [])[0];
    const messageHolder = definition && definition.$type === "bpmn:MessageEventDefinition" ? definition
      : (["bpmn:ReceiveTask", "bpmn:SendTask"].includes(bo.$type) ? bo : null);
    if (messageHolder) renderMessage(element, messageHolder);
    if (definition && definition.$type === "bpmn:TimerEventDefinition") renderTimer(element, definition);
  }

  // The deployed forms (and the initial ones), each a link to the form editor; the list is read
  // again when the page gets focus back (after a form was made in the editor's tab).
  function formPicker(element, bo) {
    const value = bo.get("kedja:formKey") || "";
    const options = [["", "– välj formulär –"], ...forms.map((f) => [f.key, f.title + " (" + f.key + ")"])];
    if (value && !forms.some((f) => f.key === value)) options.push([value, value + " – finns inte"]);
    const input = select("Formulär (kedja:formKey)", options, value, (key) => {
      set(element, { "kedja:formKey": key });
      links(key);
    });
    input.dataset.formPicker = "1";
    const linksEl = document.createElement("p");
    linksEl.className = "small form-links";
    panel.append(linksEl);
    function links(key) {
      const form = forms.find((f) => f.key === key);
      linksEl.replaceChildren();
      if (form) linksEl.append(link(form.url, "Redigera formuläret"), " · ");
      linksEl.append(link(formList.new_url, "Nytt formulär"));
    }
    links(value);
  }

  function link(href, textContent) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = textContent;
    a.target = "_blank";  // the diagram being edited stays open here
    a.rel = "noopener";
    return a;
  }

  async function reloadForms() {
    const response = await fetch(formList.list_url, { credentials: "same-origin" });
    if (!response.ok) return;
    forms = (await response.json()).forms;
    if (current && current.type === "bpmn:UserTask" && !panel.contains(document.activeElement)) render(current);
  }
  window.addEventListener("focus", reloadForms);

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
      const shown = document.createElement("a");
      shown.href = v.url; shown.textContent = " Visa versionen";
      statusEl.append(shown);
      await refreshVersions(v.key, v.version);
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

  // --- versions: the list after a deploy, without a reload ----------------------------------
  const versionsEl = document.getElementById("versions");
  const editingEl = document.getElementById("editing");

  function option(value, textContent, attrs) {
    const o = document.createElement("option");
    o.value = value; o.textContent = textContent;
    Object.entries(attrs || {}).forEach(([k, v]) => { o.dataset[k] = v; });
    return o;
  }

  async function refreshVersions(key, chosen, keep) {
    const response = await fetch(versionsEl.dataset.versionsUrl.replace("__KEY__", encodeURIComponent(key)),
      { credentials: "same-origin" });
    if (!response.ok) return;
    const body = await response.json();
    versionsEl.dataset.key = key;
    versionsEl.hidden = false;
    document.getElementById("version-list").replaceChildren(...body.versions.map((v) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = v.url; a.textContent = "Version " + v.version;
      if (v.version === chosen) a.setAttribute("aria-current", "page");
      const small = document.createElement("small");
      small.className = "muted";
      small.textContent = " " + v.deployed_at + " · " + v.running + " pågående";
      li.append(a, small);
      return li;
    }));
    const compareFrom = document.getElementById("compare-from");
    compareFrom.replaceChildren(...body.versions.map((v) => option(v.id, "Version " + v.version,
      { version: v.version, xmlUrl: v.xml_url })));
    const previous = body.versions.find((v) => v.version === chosen - 1);
    if (previous) compareFrom.value = String(previous.id);
    const from = document.getElementById("migrate-from");
    const to = document.getElementById("migrate-to");
    const migrateSection = document.getElementById("migrate-section");
    if (migrateSection) migrateSection.hidden = body.versions.length < 2;
    if (from && to) {  // after a deploy: from the one before the newest to the newest; else as chosen
      const [wasFrom, wasTo] = keep ? [from.value, to.value] : [String((body.versions[1] || body.versions[0]).version),
        String(body.versions[0].version)];
      from.replaceChildren(...body.versions.map((v) => option(v.version, "Version " + v.version)));
      to.replaceChildren(...body.versions.map((v) => option(v.version, "Version " + v.version)));
      from.value = wasFrom;
      to.value = wasTo;
    }
    const processes = document.getElementById("process-list");
    const url = new URL(body.versions[0].url, window.location.href);
    if (![...processes.querySelectorAll("a")].some((a) => new URL(a.href).searchParams.get("process") === key)) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = url.pathname + "?process=" + encodeURIComponent(key);
      a.textContent = body.name;
      li.append(a);
      processes.insertBefore(li, processes.lastElementChild);
    }
    processes.querySelectorAll("a").forEach((a) => {
      if (new URL(a.href).searchParams.get("process") === key) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    editingEl.textContent = body.name + ", utgår från version " + chosen;
    editingEl.dataset.version = chosen;
    history.replaceState(null, "", body.versions.find((v) => v.version === chosen).url);
  }

  // --- differences between a version and the diagram in the editor ---------------------------
  const editorEl = document.getElementById("editor");
  const comparePane = document.getElementById("compare-pane");
  const differencesEl = document.getElementById("differences");
  const DIFF_MARKERS = ["kedja-added", "kedja-changed", "kedja-removed"];
  let viewer = null;

  function unmark(target) {
    if (!target) return;
    const view = target.get("canvas");
    target.get("elementRegistry").getAll().forEach((e) => DIFF_MARKERS.forEach((m) => view.removeMarker(e.id, m)));
  }

  function mark(target, elements, marker) {  // pools and lanes are only listed (a coloured lane hides its tasks)
    const known = target.get("elementRegistry");
    elements.filter((e) => !["participant", "lane"].includes(e.type)).forEach((e) => {
      if (known.get(e.id)) target.get("canvas").addMarker(e.id, marker);
    });
  }

  function closeCompare() {
    unmark(modeler);
    unmark(viewer);
    comparePane.hidden = true;
    differencesEl.hidden = true;
    document.getElementById("editor-title").hidden = true;
    editorEl.classList.remove("comparing");
    canvas.resized();
  }

  async function compare() {
    const chosen = document.getElementById("compare-from").selectedOptions[0];
    if (!chosen) return;
    say("Jämför …");
    const { xml } = await modeler.saveXML({ format: true });
    const response = await fetch(canvasEl.dataset.diffUrl, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ from: Number(chosen.value), xml }) });
    const body = await response.json();
    if (!response.ok) {
      showProblems(body.errors || []);
      say("Kunde inte jämföra: diagrammet i editorn kan inte läsas.", "error");
      return;
    }
    editorEl.classList.add("comparing");
    comparePane.hidden = false;
    differencesEl.hidden = false;
    document.getElementById("editor-title").hidden = false;
    document.getElementById("compare-title").textContent = "Version " + chosen.dataset.version;
    if (!viewer) viewer = new window.KedjaBpmnViewer({ container: "#compare-canvas" });
    const old = await fetch(chosen.dataset.xmlUrl, { credentials: "same-origin" });
    await viewer.importXML(await old.text());
    canvas.resized();
    unmark(modeler);
    mark(modeler, body.added, "kedja-added");
    mark(modeler, body.changed, "kedja-changed");
    mark(viewer, body.removed, "kedja-removed");
    mark(viewer, body.changed, "kedja-changed");
    fit(viewer, 0);
    fit(modeler, 0);
    const list = document.getElementById("difference-list");
    const item = (kind, label, e, where) => {
      const li = document.createElement("li");
      li.className = "diff-" + kind;
      li.dataset.elementId = e.id;
      const what = document.createElement("strong");
      what.textContent = label + ": ";
      li.append(what, e.type_label + (e.name ? " ”" + e.name + "”" : "") + " (" + e.id + ")"
        + (e.changes ? " – " + e.changes.join("; ") : ""));
      const shape = where.get("elementRegistry").get(e.id);
      if (shape) {
        li.classList.add("link");
        li.addEventListener("click", () => {
          where.get("canvas").scrollToElement(shape);
          if (where === modeler) modeler.get("selection").select(shape);
        });
      }
      return li;
    };
    list.replaceChildren(...body.added.map((e) => item("added", "Tillagt", e, modeler)),
      ...body.changed.map((e) => item("changed", "Ändrat", e, modeler)),
      ...body.removed.map((e) => item("removed", "Borttaget", e, viewer)));
    const count = body.added.length + body.changed.length + body.removed.length;
    if (!count) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "Inga skillnader." }));
    say(count ? count + " skillnader mot version " + chosen.dataset.version + "." : "Inga skillnader mot version "
      + chosen.dataset.version + ".", "ok");
  }
  document.getElementById("compare").addEventListener("click", compare);
  document.getElementById("compare-close").addEventListener("click", closeCompare);

  // --- moving every case of one version to another ------------------------------------------
  const migrateEl = document.getElementById("migrate");

  async function migrate(dryRun) {
    const from = Number(document.getElementById("migrate-from").value);
    const to = Number(document.getElementById("migrate-to").value);
    const result = document.getElementById("migrate-result");
    const line = (textContent, className) => Object.assign(document.createElement("p"), { textContent, className });
    const section = document.getElementById("migration");
    section.hidden = false;
    document.getElementById("migration-heading").textContent = "Flytta ärenden från version " + from + " till " + to;
    if (!(to > from)) { result.replaceChildren(line("Välj en nyare version att flytta till.", "error-text")); return; }
    result.replaceChildren(line(dryRun ? "Förhandsgranskar …" : "Flyttar …", "muted"));
    const response = await fetch(migrateEl.dataset.url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ process: versionsEl.dataset.key, from, to, dry_run: dryRun }) });
    const body = await response.json();
    if (!response.ok) { result.replaceChildren(line(body.detail || "Det gick inte.", "error-text")); return; }
    const cases = body.cases;
    const moving = cases.filter((c) => c.ok);
    if (!cases.length) { result.replaceChildren(line("Version " + from + " har inga pågående ärenden.", "muted")); return; }
    const summary = dryRun
      ? moving.length + " av " + cases.length + " ärenden kan flyttas från version " + from + " till " + to + "."
      : moving.length + " av " + cases.length + " ärenden flyttades till version " + to + ".";
    const table = document.createElement("table");
    table.className = "list compact";
    table.id = "migrate-cases";
    const head = table.createTHead().insertRow();
    ["Ärende", dryRun ? "Kan flyttas" : "Flyttat", "Varför inte"].forEach((h) => {
      const th = document.createElement("th"); th.textContent = h; head.append(th);
    });
    const rows = table.createTBody();
    cases.forEach((c) => {
      const tr = rows.insertRow();
      tr.className = c.ok ? "ok" : "refused";
      [c.business_key || c.instance_id.slice(0, 8), c.ok ? "Ja" : "Nej", c.reason_sv || ""].forEach((v) => {
        tr.insertCell().textContent = v;
      });
    });
    result.replaceChildren(line(summary, moving.length ? "ok-text" : "error-text"), table);
    if (dryRun && moving.length) {
      const run = document.createElement("button");
      run.type = "button";
      run.id = "migrate-run";
      run.textContent = "Flytta alla ärenden från version " + from + " till " + to;
      run.addEventListener("click", () => migrate(false));
      const note = line("Ärenden som inte kan flyttas stannar på version " + from + ".", "muted small");
      result.append(run, note);
    }
    section.scrollIntoView({ block: "nearest" });
    if (!dryRun) await refreshVersions(versionsEl.dataset.key, Number(editingEl.dataset.version) || to, true);
  }
  if (migrateEl) document.getElementById("migrate-check").addEventListener("click", () => migrate(true));

  // --- zoom: open readable, never under the palette -----------------------------------------
  function fit(target, minScale) {
    const view = target.get("canvas");
    const el = target === modeler ? canvasEl : document.getElementById("compare-canvas");
    const inner = view.viewbox().inner;
    const box = el.getBoundingClientRect();
    if (!inner.width || !inner.height || !box.width) return;
    const palette = el.querySelector(".djs-palette");
    const left = (palette ? palette.getBoundingClientRect().right - box.left : 0) + 24;
    const pad = 24;
    let scale = Math.min((box.width - left - pad) / inner.width, (box.height - 2 * pad) / inner.height, 1);
    if (minScale) scale = Math.max(scale, minScale);
    const height = box.height / scale;
    const y = inner.height * scale < box.height - 2 * pad ? inner.y - (height - inner.height) / 2 : inner.y - pad / scale;
    view.viewbox({ x: inner.x - left / scale, y, width: box.width / scale, height });
    if (target === modeler) showZoom();
  }

  function showZoom() {
    document.getElementById("zoom-level").textContent = Math.round(canvas.zoom() * 100) + " %";
  }
  modeler.on("canvas.viewbox.changed", showZoom);
  document.getElementById("zoom-in").addEventListener("click", () => modeler.get("zoomScroll").stepZoom(1));
  document.getElementById("zoom-out").addEventListener("click", () => modeler.get("zoomScroll").stepZoom(-1));
  document.getElementById("zoom-fit").addEventListener("click", () => fit(modeler, 0));

  // --- a file from disk --------------------------------------------------------------------
  const upload = document.getElementById("upload");
  document.getElementById("open-file").addEventListener("click", () => upload.click());
  upload.addEventListener("change", async () => {
    const file = upload.files[0];
    if (!file) return;
    try {
      await modeler.importXML(await file.text());
      fit(modeler, MIN_READABLE);
      clearProblems();
      closeCompare();
      say("Filen " + file.name + " är inläst. Kontrollera och driftsätt den som en ny version.", "ok");
    } catch (err) {
      say("Filen " + file.name + " kunde inte läsas: " + err.message, "error");
    }
    upload.value = "";
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
      fit(modeler, MIN_READABLE);
      canvasEl.dataset.state = "ready";
    } catch (err) {
      say("Diagrammet kunde inte läsas: " + err.message, "error");
      canvasEl.dataset.state = "failed";
    }
  })();
  window.kedjaModeler = modeler;  // for the browser tests and the console
})();
