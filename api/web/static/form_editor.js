// The form editor: a form's fields edited over its JSON Schema (the schema the server validates
// and renders tasks from), a live preview rendered by the server as the task page renders it,
// and saving as a new deployed version. What the editor does not know in a schema (other
// keywords, conditions of other shapes) is kept as it was. See docs/forms.md.
(function () {
  "use strict";
  const editor = document.getElementById("form-editor");
  if (!editor) return;
  const data = JSON.parse(document.getElementById("form-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const listEl = document.getElementById("field-list");
  const previewEl = document.getElementById("preview");
  const statusEl = document.getElementById("save-status");
  const generalEl = document.getElementById("general-errors");
  const keyInput = document.getElementById("form-key");
  const titleInput = document.getElementById("form-title");
  const jsonView = document.getElementById("json-view");

  const KINDS = [["text", "Text"], ["number", "Tal (med decimaler)"], ["integer", "Heltal"], ["date", "Datum"],
    ["datetime", "Datum och tid"], ["boolean", "Ja/nej"], ["choice", "Val ur lista"], ["rows", "Lista med rader"]];
  const KIND_NAMES = Object.fromEntries(KINDS);
  // The keywords the editor writes on a field, in the order a new field gets them.
  const MANAGED = ["type", "title", "description", "format", "enum", "x-kedja-labels", "minimum", "maximum",
    "minLength", "maxLength", "minItems", "maxItems", "items"];
  const NEW_ITEMS = { type: "object", additionalProperties: false, required: [], properties: {} };
  const LONG_TEXT = 400;
  let uidSeq = 0;

  // --- the schema as a model of fields -----------------------------------------------------
  function kindOf(prop) {
    if (!prop || typeof prop !== "object") return "other";
    if (Array.isArray(prop.enum) || prop["x-kedja-options"] || prop["x-kedja-organisation"]) return "choice";
    if (prop.type === "boolean") return "boolean";
    if (prop.type === "integer") return "integer";
    if (prop.type === "number") return "number";
    if (prop.type === "string") return { date: "date", "date-time": "datetime" }[prop.format] || "text";
    if (prop.type === "array" && prop.items && typeof prop.items === "object" && prop.items.type === "object") return "rows";
    return "other";
  }

  function parseIf(test) {
    // {properties: {X: {const: V}}, required: [X]?} -> X has value V; {required: [X]} -> X is filled in
    if (!test || typeof test !== "object" || Object.keys(test).some((k) => k !== "properties" && k !== "required")) return null;
    const props = test.properties || {};
    const names = Object.keys(props);
    const required = Array.isArray(test.required) ? test.required : [];
    if (names.length === 1) {
      const rule = props[names[0]];
      if (!rule || typeof rule !== "object" || Object.keys(rule).join() !== "const") return null;
      if (required.some((n) => n !== names[0])) return null;
      return { given: names[0], hasValue: true, value: rule.const };
    }
    if (names.length === 0 && required.length === 1 && !test.properties) return { given: required[0], hasValue: false };
    return null;
  }

  function thenNames(then) {
    return then && typeof then === "object" && Object.keys(then).join() === "required" && Array.isArray(then.required)
      ? then.required : null;
  }

  function parseObject(node, nested) {
    const model = { original: node, fields: [], requiredOrder: [], topManaged: false, groups: {}, givenOf: {} };
    const byName = {};
    Object.entries(node.properties || {}).forEach(([name, prop]) => {
      const field = parseField(name, prop, nested);
      byName[name] = field;
      model.fields.push(field);
    });
    (Array.isArray(node.required) ? node.required : []).forEach((name) => {
      if (byName[name]) { byName[name].required = "yes"; model.requiredOrder.push(byName[name].uid); }
    });
    const addCondition = (names, condition, origin) => {
      const given = byName[condition.given];
      model.groups[origin] = names.map((n) => byName[n] && byName[n].uid).filter(Boolean);
      model.givenOf[origin] = condition.given;
      names.forEach((name) => {
        const field = byName[name];
        if (!field || !given) return;
        if (field.required !== "yes") field.required = "when";
        field.conditions.push({ given: given.uid, hasValue: condition.hasValue, value: condition.value, origin });
      });
    };
    Object.entries(node.dependentRequired && typeof node.dependentRequired === "object" ? node.dependentRequired : {})
      .forEach(([given, names]) => { if (Array.isArray(names)) addCondition(names, { given, hasValue: false }, "dep:" + given); });
    const top = parseIf(node.if);
    if (top && thenNames(node.then) && byName[top.given]) {
      model.topManaged = true;
      addCondition(thenNames(node.then), top, "top");
    }
    (Array.isArray(node.allOf) ? node.allOf : []).forEach((entry, index) => {
      if (!entry || Object.keys(entry).sort().join() !== "if,then") return;
      const condition = parseIf(entry.if);
      if (condition && thenNames(entry.then) && byName[condition.given]) addCondition(thenNames(entry.then), condition, "all:" + index);
    });
    return model;
  }

  function parseField(name, prop, nested) {
    const kind = kindOf(prop);
    const p = prop && typeof prop === "object" ? prop : {};
    const field = { uid: "u" + (++uidSeq), name, title: p.title || "", description: p.description || "", kind,
      required: "no", conditions: [], original: p, nameTouched: true, isNew: false,
      minimum: p.minimum, maximum: p.maximum, minLength: p.minLength, maxLength: p.maxLength,
      minItems: p.minItems, maxItems: p.maxItems,
      provider: p["x-kedja-options"] || (p["x-kedja-organisation"] === "account" ? "den inloggades organisation"
        : p["x-kedja-organisation"] ? "organisationer av slaget " + p["x-kedja-organisation"] : null),
      options: [], sub: null };
    if (Array.isArray(p.enum)) {
      const labels = Array.isArray(p["x-kedja-labels"]) ? p["x-kedja-labels"] : [];
      field.options = p.enum.map((value, i) => ({ value, label: labels[i] !== undefined ? String(labels[i]) : String(value) }));
    }
    if (kind === "rows") field.sub = parseObject(p.items, true);
    if (nested && kind === "rows") field.kind = "other";  // a list in a list's row: kept as it is
    return field;
  }

  function newField(model, nested) {
    const field = parseField("", {}, nested);
    Object.assign(field, { kind: "text", nameTouched: false, isNew: true, original: {} });
    field.name = uniqueName(model, "falt");
    return field;
  }

  function slug(text) {
    const name = text.toLowerCase().replace(/[åä]/g, "a").replace(/ö/g, "o").replace(/é/g, "e")
      .normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    if (!name) return "falt";
    return (/^[0-9]/.test(name) ? "f_" + name : name).slice(0, 60);
  }

  function uniqueName(model, base, except) {
    const taken = new Set(model.fields.filter((f) => f !== except).map((f) => f.name));
    let name = base;
    for (let n = 2; taken.has(name); n++) name = base + "_" + n;
    return name;
  }

  // --- the model back to JSON Schema, keeping what the editor does not know ------------------
  function merge(original, managed) {
    const out = {};
    Object.keys(original).forEach((k) => {
      if (k in managed) { if (managed[k] !== undefined) out[k] = managed[k]; } else out[k] = original[k];
    });
    Object.keys(managed).forEach((k) => { if (!(k in out) && !(k in original) && managed[k] !== undefined) out[k] = managed[k]; });
    return out;
  }

  function num(value) { return value === "" || value === undefined || value === null ? undefined : value; }

  function buildField(field) {
    const o = field.original;
    if (field.kind === "other") return merge(o, { title: field.title, description: field.description || undefined });
    const managed = Object.fromEntries(MANAGED.map((k) => [k, undefined]));
    managed.title = field.title;
    managed.description = field.description || undefined;
    if (field.kind === "text") {
      Object.assign(managed, { type: "string", minLength: num(field.minLength), maxLength: num(field.maxLength),
        format: o.format !== "date" && o.format !== "date-time" ? o.format : undefined });
    } else if (field.kind === "date") {
      Object.assign(managed, { type: "string", format: "date" });
    } else if (field.kind === "datetime") {
      Object.assign(managed, { type: "string", format: "date-time" });
    } else if (field.kind === "number" || field.kind === "integer") {
      Object.assign(managed, { type: field.kind, minimum: num(field.minimum), maximum: num(field.maximum) });
    } else if (field.kind === "boolean") {
      managed.type = "boolean";
    } else if (field.kind === "choice") {
      managed.type = o.type || "string";
      if (!field.provider) {
        managed.enum = field.options.map((opt) => opt.value);
        managed["x-kedja-labels"] = field.options.map((opt) => opt.label);
      }
    } else if (field.kind === "rows") {
      if (!field.sub) field.sub = parseObject(JSON.parse(JSON.stringify(NEW_ITEMS)), true);
      Object.assign(managed, { type: "array", items: buildObject(field.sub), minItems: num(field.minItems),
        maxItems: num(field.maxItems) });
    }
    return merge(o, managed);
  }

  function buildObject(model, title) {  // title: the form's heading (the root only)
    const original = model.original;
    const names = Object.fromEntries(model.fields.map((f) => [f.uid, f.name]));
    const properties = {};
    model.fields.forEach((f) => { properties[f.name] = buildField(f); });
    const required = model.requiredOrder.filter((uid) => model.fields.some((f) => f.uid === uid && f.required === "yes"));
    model.fields.forEach((f) => { if (f.required === "yes" && !required.includes(f.uid)) required.push(f.uid); });

    // Conditions: each (field, value) is one group of dependent fields, written back where it was.
    const groups = new Map();
    const originalOf = (given, hasValue, value) => {  // an existing group with the same condition
      const key = [...groups.keys()].find((k) => k !== "new" && groups.get(k).given === given
        && groups.get(k).hasValue === hasValue && JSON.stringify(groups.get(k).value) === JSON.stringify(value));
      return key;
    };
    model.fields.forEach((f) => {
      if (f.required !== "when") return;
      f.conditions.forEach((c) => {
        if (!names[c.given]) return;
        let key = c.origin;
        if (!key) key = originalOf(c.given, c.hasValue, c.value)
          || (c.hasValue ? "new:" + c.given + ":" + JSON.stringify(c.value) : "dep:" + names[c.given]);
        if (!groups.has(key)) groups.set(key, { given: c.given, hasValue: c.hasValue, value: c.value, uids: [] });
        groups.get(key).uids.push(f.uid);
      });
    });
    const ordered = (key) => {  // the group's fields: their earlier order first, then the new ones
      const group = groups.get(key);
      const before = (model.groups[key] || []).filter((uid) => group.uids.includes(uid));
      return [...before, ...group.uids.filter((uid) => !before.includes(uid))].map((uid) => names[uid]);
    };
    const dependent = {};
    const dependentBefore = original.dependentRequired && typeof original.dependentRequired === "object"
      ? Object.keys(original.dependentRequired) : [];
    const depKeys = [...groups.keys()].filter((k) => k.startsWith("dep:"));
    depKeys.sort((a, b) => {
      const ia = dependentBefore.indexOf(a.slice(4)); const ib = dependentBefore.indexOf(b.slice(4));
      return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
    });
    depKeys.forEach((key) => { dependent[names[groups.get(key).given]] = ordered(key); });
    const allOf = [];
    // A group read from the schema keeps its `if` as written unless its field was renamed.
    const test = (key, written) => {
      const g = groups.get(key);
      return names[g.given] === model.givenOf[key] ? written : conditionEntry(names[g.given], g, []).if;
    };
    (Array.isArray(original.allOf) ? original.allOf : []).forEach((entry, index) => {
      const key = "all:" + index;
      if (!(key in model.groups)) { allOf.push(entry); return; }  // not a condition the editor reads
      if (groups.has(key)) allOf.push({ if: test(key, entry.if), then: Object.assign({}, entry.then, { required: ordered(key) }) });
    });
    [...groups.keys()].filter((k) => k.startsWith("new:")).forEach((key) => {
      allOf.push(conditionEntry(names[groups.get(key).given], groups.get(key), ordered(key)));
    });
    const managed = { title,
      properties: model.fields.length || "properties" in original ? properties : undefined,
      required: required.length || "required" in original ? required.map((uid) => names[uid]) : undefined,
      dependentRequired: Object.keys(dependent).length ? dependent : undefined,
      allOf: allOf.length ? allOf : undefined };
    if (title === undefined) delete managed.title;
    if (model.topManaged) {
      if (groups.has("top")) {
        managed.if = test("top", original.if);
        managed.then = Object.assign({}, original.then, { required: ordered("top") });
      } else {
        managed.if = undefined;
        managed.then = undefined;
      }
    }
    return merge(original, managed);
  }

  function conditionEntry(given, group, required) {
    const test = group.hasValue ? { properties: { [given]: { const: group.value } }, required: [given] } : { required: [given] };
    return { if: test, then: { required } };
  }

  // --- the page -------------------------------------------------------------------------------
  const state = { root: parseObject(data.schema, false) };
  titleInput.value = data.schema.title || "";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => { if (c) node.append(c); });
    return node;
  }

  function labelled(field, attr, label, input, help) {
    input.id = "e" + field.uid + "-" + attr;
    input.dataset.attr = attr;
    return el("div", { class: "field", "data-attr": attr },
      el("label", { for: input.id, text: label }), input,
      help ? el("small", { class: "muted", text: help }) : null);
  }

  function textInput(field, attr, label, help, extra) {
    const input = el("input", Object.assign({ autocomplete: "off" }, extra || {}));
    input.value = field[attr] === undefined || field[attr] === null ? "" : field[attr];
    input.addEventListener("input", () => { field[attr] = input.value; changed(); });
    return labelled(field, attr, label, input, help);
  }

  function numberInput(field, attr, label, integer) {
    const input = el("input", { inputmode: integer ? "numeric" : "decimal", autocomplete: "off" });
    input.value = field[attr] === undefined || field[attr] === null ? "" : String(field[attr]).replace(".", ",");
    input.addEventListener("input", () => {
      const raw = input.value.trim().replace(",", ".");
      field[attr] = raw === "" ? undefined : (/^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
      changed();
    });
    return labelled(field, attr, label, input);
  }

  function selectInput(field, attr, label, options, value, onChange) {
    const input = el("select", {});
    options.forEach(([v, text]) => input.append(el("option", { value: v, text, selected: v === value })));
    input.addEventListener("change", () => onChange(input.value));
    return labelled(field, attr, label, input);
  }

  function render() {
    listEl.replaceChildren(...state.root.fields.map((f, i) => fieldCard(state.root, f, i, false)));
    if (!state.root.fields.length) listEl.append(el("p", { class: "muted", text: "Inga fält ännu." }));
    changed();
  }

  function fieldCard(model, field, index, nested) {
    const title = () => field.title || "Fält " + (index + 1);
    const legend = el("legend", { text: title() });
    const move = (step) => {
      const to = index + step;
      if (to < 0 || to >= model.fields.length) return;
      model.fields.splice(index, 1);
      model.fields.splice(to, 0, field);
      render();
    };
    const actions = el("div", { class: "card-actions" },
      el("button", { type: "button", class: "secondary small-button", text: "↑", title: "Flytta upp",
        "aria-label": "Flytta upp " + title(), disabled: index === 0, onclick: () => move(-1) }),
      el("button", { type: "button", class: "secondary small-button", text: "↓", title: "Flytta ned",
        "aria-label": "Flytta ned " + title(), disabled: index === model.fields.length - 1, onclick: () => move(1) }),
      el("button", { type: "button", class: "danger small-button", text: "Ta bort", "aria-label": "Ta bort " + title(),
        onclick: () => { model.fields.splice(index, 1); render(); } }));
    const summary = el("span", { class: "muted small", text: (KIND_NAMES[field.kind] || "Annan typ")
      + (field.name ? " · " + field.name : "") });
    const card = el("fieldset", { class: "field-card" + (nested ? " nested" : ""), "data-uid": field.uid }, legend,
      el("div", { class: "card-head" }, summary, actions));
    const grid = el("div", { class: "field-grid three" });
    const label = textInput(field, "title", "Etikett");
    label.querySelector("input").addEventListener("input", () => {
      legend.textContent = title();
      if (!field.nameTouched) {
        field.name = uniqueName(model, slug(field.title), field);
        card.querySelector('[data-attr="name"] input').value = field.name;
      }
    });
    grid.append(label);
    if (field.kind === "other") {
      grid.append(el("p", { class: "muted small", text: "En typ som formulärredigeraren inte visar (" +
        (field.original.type || "okänd") + "). Den behålls som den är." }));
    } else {
      grid.append(selectInput(field, "type", "Typ", KINDS.filter(([k]) => !nested || k !== "rows"), field.kind, (kind) => {
        field.kind = kind;
        if (kind === "choice" && !field.options.length) field.options = [{ value: "", label: "" }];
        render();
      }));
    }
    const others = model.fields.filter((f) => f !== field && f.name);
    grid.append(selectInput(field, "required", "Obligatoriskt",
      [["no", "Nej"], ["yes", "Ja"], ["when", "Ja, på villkor"]], field.required, (value) => {
        field.required = value;
        if (value === "when" && !field.conditions.length) {
          field.conditions = [{ given: others[0] ? others[0].uid : null, hasValue: false, value: undefined, origin: null }];
        }
        render();
      }));
    const description = textInput(field, "description", "Hjälptext", null, { placeholder: "Visas under fältet" });
    description.classList.add("span-2");
    const name = textInput(field, "name", "Namn i ärendets data", null, { spellcheck: "false",
      title: "Processens uttryck och villkor använder namnet: byt inte namn på ett fält som redan används." });
    name.querySelector("input").addEventListener("input", () => { field.nameTouched = true; });
    grid.append(description, name);
    card.append(grid);
    if (field.required === "when") card.append(conditionControls(others, field));
    card.append(boundsControls(field));
    card.append(el("div", { class: "field-errors", "data-attr": "" }));
    return card;
  }

  function conditionControls(others, field) {
    const wrap = el("div", { class: "field-grid three condition-grid" });
    const condition = field.conditions[0] || { given: null, hasValue: false, origin: null };
    if (!field.conditions.length) field.conditions.push(condition);
    wrap.append(el("p", { class: "condition-intro", text: "Obligatoriskt när" }));
    wrap.append(selectInput(field, "condition", "fältet",
      [["", "– välj fält –"], ...others.map((f) => [f.uid, f.title || f.name])], condition.given || "", (uid) => {
        Object.assign(condition, { given: uid || null, hasValue: false, value: undefined, origin: null });
        render();
      }));
    const given = others.find((f) => f.uid === condition.given);
    if (given && (given.kind === "choice" || given.kind === "boolean") && !given.provider) {
      const values = given.kind === "boolean" ? [[true, "Ja"], [false, "Nej"]] : given.options.map((o) => [o.value, o.label || o.value]);
      const encoded = condition.hasValue ? JSON.stringify(condition.value) : "";
      wrap.append(selectInput(field, "condition-value", "har värdet",
        [["", "vilket som helst (ifyllt)"], ...values.map(([v, text]) => [JSON.stringify(v), text])], encoded, (raw) => {
          Object.assign(condition, raw === "" ? { hasValue: false, value: undefined } : { hasValue: true, value: JSON.parse(raw) },
            { origin: null });
          changed();
        }));
    } else if (given) {
      wrap.append(el("p", { class: "condition-intro", text: "är ifyllt" }));
    }
    return wrap;
  }

  function boundsControls(field) {
    const wrap = el("div", { class: "field-grid" });
    if (field.kind === "text") {
      wrap.append(numberInput(field, "minLength", "Minsta antal tecken", true),
        numberInput(field, "maxLength", "Högsta antal tecken", true),
        el("p", { class: "muted small", text: "Tillåts fler än " + LONG_TEXT + " tecken visas en större textruta." }));
    } else if (field.kind === "number" || field.kind === "integer") {
      wrap.append(numberInput(field, "minimum", "Minsta värde", field.kind === "integer"),
        numberInput(field, "maximum", "Högsta värde", field.kind === "integer"));
    } else if (field.kind === "choice") {
      wrap.append(field.provider
        ? el("p", { class: "muted small", text: "Valen hämtas av Kedja när uppgiften öppnas (" + field.provider + ")." })
        : optionsEditor(field));
    } else if (field.kind === "rows") {
      if (!field.sub) field.sub = parseObject(JSON.parse(JSON.stringify(NEW_ITEMS)), true);
      wrap.append(numberInput(field, "minItems", "Minsta antal rader", true),
        numberInput(field, "maxItems", "Högsta antal rader", true));
      const sub = el("div", { class: "sub-fields", "data-attr": "items" },
        el("h3", { text: "Fält på varje rad" }),
        ...field.sub.fields.map((f, i) => fieldCard(field.sub, f, i, true)),
        el("button", { type: "button", class: "secondary", text: "Lägg till fält i raden", onclick: () => {
          field.sub.fields.push(newField(field.sub, true));
          render();
        } }),
        el("div", { class: "field-errors", "data-attr": "items" }));
      wrap.append(sub);
    }
    return wrap;
  }

  function optionsEditor(field) {
    const table = el("div", { class: "options", "data-attr": "enum" },
      el("div", { class: "option-row options-head", "aria-hidden": "true" }, el("span", { text: "Val: etikett" }),
        el("span", { text: "Värde som sparas" }), el("span")));
    field.options.forEach((option, i) => {
      const labelInput = el("input", { autocomplete: "off", "aria-label": "Val " + (i + 1) + ": etikett", placeholder: "Etikett" });
      labelInput.value = option.label;
      const valueInput = el("input", { autocomplete: "off", spellcheck: "false", "aria-label": "Val " + (i + 1) + ": värde som sparas",
        placeholder: "värde som sparas", class: "option-value" });
      valueInput.value = option.value === undefined ? "" : String(option.value);
      const auto = option.value === "" || option.value === slug(option.label);
      labelInput.addEventListener("input", () => {
        option.label = labelInput.value;
        if (auto && typeof option.value === "string" && !valueInput.dataset.touched) {
          option.value = slug(option.label);
          valueInput.value = option.value;
        }
        changed();
      });
      valueInput.addEventListener("input", () => { valueInput.dataset.touched = "1"; option.value = valueInput.value.trim(); changed(); });
      table.append(el("div", { class: "option-row" }, labelInput, valueInput,
        el("button", { type: "button", class: "danger small-button", text: "Ta bort", "aria-label": "Ta bort val " + (i + 1),
          onclick: () => { field.options.splice(i, 1); render(); } })));
    });
    table.append(el("button", { type: "button", class: "secondary", text: "Lägg till val", onclick: () => {
      field.options.push({ value: "", label: "" });
      render();
    } }));
    return table;
  }

  // --- errors next to the inputs --------------------------------------------------------------
  function clearErrors() {
    editor.querySelectorAll(".field-error.editor-error").forEach((e) => e.remove());
    editor.querySelectorAll(".field.invalid").forEach((e) => e.classList.remove("invalid"));
    generalEl.replaceChildren();
  }

  function findField(path) {  // "rows.sub" -> the card of field sub in list rows
    let model = state.root;
    let field = null;
    for (const part of path.split(".")) {
      if (!model) return null;
      field = model.fields.find((f) => f.name === part);
      if (!field) return null;
      model = field.sub;
    }
    return field;
  }

  function showErrors(errors) {
    clearErrors();
    errors.forEach((error) => {
      const [path, attr] = error.field.includes("#") ? error.field.split("#") : [error.field, ""];
      let place = null;
      if (!path && attr === "title") place = titleInput.closest(".field");
      else if (!path && attr === "key") place = keyInput.closest(".field");
      else if (path) {
        const field = findField(path);
        const card = field && editor.querySelector('.field-card[data-uid="' + field.uid + '"]');
        if (card) {
          place = [...card.querySelectorAll("[data-attr]")].find((n) => n.dataset.attr === (attr === "required" ? "" : attr)
            && n.closest(".field-card") === card && !n.matches("input, select"))
            || card.querySelector(":scope > .field-errors");
        }
      }
      const message = el("span", { class: "field-error editor-error", text: error.message });
      if (place) {
        place.classList.add("invalid");
        place.append(message);
      } else {
        generalEl.append(el("li", { text: (path && path !== "(formuläret)" ? path + ": " : "") + error.message }));
      }
    });
    const first = editor.querySelector(".field-error.editor-error");
    if (first) first.scrollIntoView({ block: "center" });
  }

  function clientErrors() {  // what the server cannot say about a schema it never sees whole
    const errors = [];
    const walk = (model, prefix) => {
      const seen = {};
      model.fields.forEach((f) => {
        if (seen[f.name]) errors.push({ field: prefix + f.name + "#name", message: "Två fält har samma namn" });
        seen[f.name] = true;
        if (f.required === "when" && !(f.conditions[0] && f.conditions[0].given
            && model.fields.some((o) => o.uid === f.conditions[0].given))) {
          errors.push({ field: prefix + f.name + "#condition", message: "Välj fältet som villkoret gäller" });
        }
        if (f.kind === "choice" && !f.provider && f.options.some((o) => o.label.trim() && o.value === "")) {
          errors.push({ field: prefix + f.name + "#enum", message: "Varje val behöver ett värde" });
        }
        if (f.sub) walk(f.sub, prefix + f.name + ".");
      });
    };
    walk(state.root, "");
    if (data.isNew && !/^[a-z][a-z0-9_]{0,99}$/.test(keyInput.value.trim())) {
      errors.push({ field: "#key", message: "Nyckeln består av små bokstäver a–z, siffror och _ och börjar med en bokstav" });
    }
    return errors;
  }

  // --- preview, JSON and saving ---------------------------------------------------------------
  let timer = null;
  let lastSchema = null;
  function changed() {
    clearTimeout(timer);
    timer = setTimeout(() => refresh(null), 250);
  }

  function schema() { return buildObject(state.root, titleInput.value.trim()); }

  let asked = 0;  // the newest preview asked for: an older answer arriving late is dropped
  async function refresh(submitter) {
    const mine = ++asked;
    lastSchema = schema();
    jsonView.textContent = JSON.stringify(lastSchema, null, 2);
    const form = previewEl.querySelector("form");
    const entries = form ? [...new FormData(form).entries()].filter(([, v]) => typeof v === "string") : [];
    const body = { schema: lastSchema, form: entries };
    if (submitter && submitter.name === "add_row") body.add_row = submitter.value;
    if (submitter && submitter.name === "check") body.check = true;
    const response = await fetch(editor.dataset.previewUrl, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body) });
    if (mine !== asked) return;
    if (!response.ok) { previewEl.textContent = "Förhandsvisningen kunde inte hämtas (" + response.status + ")."; return; }
    const answer = await response.json();
    if (mine !== asked) return;
    previewEl.innerHTML = answer.html;  // rendered by the server's templates (escaped there)
    previewEl.dataset.state = submitter && submitter.name === "check" ? "checked" : "ready";
  }

  previewEl.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh(event.submitter || null);
  });

  document.getElementById("add-field").addEventListener("click", () => {
    const field = newField(state.root, false);
    state.root.fields.push(field);
    render();
    const input = listEl.querySelector('.field-card[data-uid="' + field.uid + '"] [data-attr="title"] input');
    if (input) input.focus();
  });
  titleInput.addEventListener("input", changed);

  document.getElementById("save").addEventListener("click", async () => {
    const local = clientErrors();
    if (local.length) { showErrors(local); say("Formuläret har fel. Rätta fälten som är markerade.", "error"); return; }
    const key = data.isNew ? keyInput.value.trim() : data.key;
    say("Driftsätter …");
    const response = await fetch(editor.dataset.saveUrl.replace("__KEY__", encodeURIComponent(key)), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify({ schema: schema() }) });
    const body = await response.json().catch(() => ({}));
    if (response.status === 201 || response.status === 200) {
      clearErrors();
      if (!body.created) { say("Ingen ändring: formuläret är detsamma som version " + body.version + ".", "ok"); return; }
      say("Version " + body.version + " av " + body.key + " är driftsatt.", "ok");
      if (data.isNew) {
        data.isNew = false;
        data.key = body.key;
        keyInput.readOnly = true;
        history.replaceState(null, "", editor.dataset.editUrl.replace("__KEY__", encodeURIComponent(body.key)));
        document.getElementById("crumb-key").textContent = body.key;
      }
      document.getElementById("form-heading").textContent = body.title || body.key;
      document.getElementById("version-line").textContent = "Version " + body.version + " · driftsatt nu av dig · Formulärredigeraren";
      state.root.fields.forEach((f) => { f.isNew = false; f.nameTouched = true; });
      return;
    }
    showErrors(body.errors || [{ field: "(formuläret)", message: body.detail || "Okänt fel (" + response.status + ")" }]);
    say("Kan inte driftsättas: rätta fälten som är markerade.", "error");
  });

  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.className = kind || "";
  }

  render();
  refresh(null);
  editor.dataset.state = "ready";
  // For the browser tests and the console: the schema being edited, and a schema read and written
  // back unedited (which must give the same schema).
  window.kedjaFormEditor = { schema, roundTrip: (form) => buildObject(parseObject(form, false), form.title) };
})();
