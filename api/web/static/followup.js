// The follow-up dashboard's charts (Chart.js), from the figures the page carries as JSON and the
// Swedish names of their keys (outcomes, target groups, genders, phases: from the forms). A chart
// with nothing to show says so instead of drawing an empty frame. Each chart's canvas is an image
// whose accessible name is its caption and whose description lists its numbers.
(function () {
  "use strict";
  const figures = JSON.parse(document.getElementById("figures").textContent);
  const names = JSON.parse(document.getElementById("chart-labels").textContent);
  const COLOURS = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7ea4", "#6e7781", "#e16f24"];
  const EMPTY = "Inga uppgifter ännu";
  const name = (kind, key) => (names[kind] && names[kind][key]) || key;
  // A figure's keys in their own order (outcomes as listed, phases in the process's order).
  const keysOf = (figure) => (names.order && names.order[figure]) || Object.keys(figures[figure] || {});
  const valuesOf = (figure) => keysOf(figure).map((key) => (figures[figure] || {})[key]);
  const number = (value) => (value === null || value === undefined ? "–"
    : Number(value).toLocaleString("sv-SE", { maximumFractionDigits: 2 }));
  let handled = 0;
  let drawn = 0;

  // Chart.js in Swedish: numbers with a decimal comma and a space between thousands.
  Chart.defaults.locale = "sv-SE";
  Chart.defaults.animation = false;
  Chart.defaults.color = "#1b1f24";

  function empty(canvas) {
    const note = document.createElement("p");
    note.className = "empty-chart";
    note.textContent = EMPTY;
    canvas.replaceWith(note);
    note.closest("figure").dataset.state = "empty";
  }

  // `labels`: the categories (already in Swedish); `datasets`: Chart.js datasets of numbers.
  // `zero`: whether 0 is a figure (a share of dropouts) or the same as nothing (a count of people).
  function chart(id, type, labels, datasets, options, zero) {
    const canvas = document.getElementById("chart-" + id);
    if (!canvas) return;
    handled += 1;
    const values = datasets.filter((d) => d.type !== "line").flatMap((d) => d.data);
    if (!labels.length || !values.some((v) => typeof v === "number" && (v > 0 || (zero && v === 0)))) {
      empty(canvas);
      return;
    }
    const summary = labels.map((label, i) => label + ": " + datasets.filter((d) => d.type !== "line")
      .map((d) => (datasets.length > 1 ? d.label + " " : "") + number(d.data[i])).join(", ")).join("; ");
    const caption = document.getElementById("caption-" + id);
    canvas.removeAttribute("aria-labelledby");
    canvas.setAttribute("aria-label", (caption ? caption.textContent + ". " : "") + summary);
    canvas.textContent = summary; // for browsers without the canvas: the numbers as text
    new Chart(canvas, { type, data: { labels, datasets }, options: Object.assign({
      responsive: true,
      plugins: { legend: { display: datasets.length > 1 || type === "doughnut" } },
    }, options || {}) });
    canvas.closest("figure").dataset.state = "drawn";
    drawn += 1;
  }
  const one = (label, values) => [{ label, data: values, backgroundColor: COLOURS }];
  const stacked = { scales: { x: { stacked: true }, y: { stacked: true, ticks: { precision: 0 } } } };

  // A table of key -> outcome -> count as one stacked bar per key, a colour per outcome.
  function byOutcome(id, figure, kind) {
    const table = figures[figure] || {};
    const keys = keysOf(figure);
    const found = new Set(keys.flatMap((key) => Object.keys(table[key] || {})));
    const outcomes = keysOf("people_by_outcome").filter((o) => found.has(o))
      .concat([...found].filter((o) => !keysOf("people_by_outcome").includes(o)));
    chart(id, "bar", keys.map((key) => name(kind, key)), outcomes.map((outcome, i) => ({
      label: name("outcome", outcome), data: keys.map((key) => Number((table[key] || {})[outcome] || 0)),
      backgroundColor: COLOURS[i % COLOURS.length] })), stacked);
  }

  const share = figures.share_by_organisation || {};
  chart("share", "bar", Object.keys(share), [
    { label: "Andel med krav (%)", data: Object.values(share).map((s) => Math.round((s.share || 0) * 100)),
      backgroundColor: COLOURS[0] },
    { label: "Mål (%)", data: Object.keys(share).map(() => Math.round(figures.share_goal * 100)), type: "line",
      borderColor: COLOURS[3], pointRadius: 0 },
  ], { scales: { y: { min: 0, max: 100 } } });
  chart("outcome", "bar", keysOf("people_by_outcome").map((key) => name("outcome", key)),
    one("Personer", valuesOf("people_by_outcome").map(Number)), { scales: { y: { ticks: { precision: 0 } } } });
  byOutcome("target-group", "people_by_target_group", "target_group");
  byOutcome("gender", "people_by_gender", "gender");
  byOutcome("district", "people_by_district", "district");
  chart("lead-time", "bar", keysOf("lead_time_days_by_phase").map((key) => name("phase", key)),
    one("Dagar", valuesOf("lead_time_days_by_phase").map((v) => (v && typeof v === "object" ? v.median ?? v.mean ?? null : v))));
  chart("dropout", "bar", keysOf("dropout_by_phase").map((key) => name("phase", key)),
    one("Andel (%)", valuesOf("dropout_by_phase").map((d) => (d && d.entered ? Math.round((d.rate || 0) * 100) : null))),
    { scales: { y: { min: 0, max: 100 } } }, true);
  document.body.dataset.charts = String(handled);
  document.body.dataset.chartsDrawn = String(drawn);
})();
