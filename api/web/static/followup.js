// The follow-up dashboard's charts (Chart.js), from the figures the page carries as JSON.
(function () {
  "use strict";
  const figures = JSON.parse(document.getElementById("figures").textContent);
  const COLOURS = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#0a7ea4", "#6e7781", "#e16f24"];
  const LABELS = { employment: "Anställning", apprenticeship: "Lärlingsplats", trainee: "Trainee", internship: "Praktik",
    dropout: "Avbrott", woman: "Kvinna", man: "Man", other: "Annat", young: "Unga", foreign_born: "Utrikes födda",
    disability: "Funktionsnedsättning", long_term_unemployed: "Långtidsarbetslösa" };
  const label = (key) => LABELS[key] || key;
  const charts = [];

  function chart(id, type, labels, datasets, options) {
    const el = document.getElementById(id);
    if (!el) return;
    charts.push(new Chart(el, { type, data: { labels: labels.map(label), datasets },
      options: Object.assign({ responsive: true, animation: false, plugins: { legend: { display: datasets.length > 1 || type === "doughnut" } } }, options || {}) }));
  }
  const one = (name, values) => [{ label: name, data: values, backgroundColor: COLOURS }];

  const share = figures.share_by_organisation || {};
  chart("chart-share", "bar", Object.keys(share), [
    { label: "Andel med krav (%)", data: Object.values(share).map((s) => Math.round((s.share || 0) * 100)), backgroundColor: COLOURS[0] },
    { label: "Mål (%)", data: Object.keys(share).map(() => Math.round(figures.share_goal * 100)), type: "line", borderColor: COLOURS[3], pointRadius: 0 },
  ], { scales: { y: { min: 0, max: 100 } } });
  const outcome = figures.people_by_outcome || {};
  chart("chart-outcome", "bar", Object.keys(outcome), one("Personer", Object.values(outcome)));
  const byGroup = figures.people_by_target_group || {};
  const outcomes = [...new Set(Object.values(byGroup).flatMap((o) => Object.keys(o)))];
  chart("chart-target-group", "bar", Object.keys(byGroup), outcomes.map((o, i) => ({
    label: label(o), data: Object.values(byGroup).map((g) => g[o] || 0), backgroundColor: COLOURS[i % COLOURS.length] })),
    { scales: { x: { stacked: true }, y: { stacked: true } } });
  const gender = figures.people_by_gender || {};
  chart("chart-gender", "doughnut", Object.keys(gender), one("Personer", Object.values(gender)));
  const district = figures.people_by_district || {};
  chart("chart-district", "bar", Object.keys(district), one("Personer", Object.values(district)));
  const lead = figures.lead_time_days_by_phase || {};
  chart("chart-lead-time", "bar", Object.keys(lead), one("Dagar", Object.values(lead).map((v) => (typeof v === "object" && v ? v.median ?? v.mean ?? 0 : v))));
  const dropout = figures.dropout_by_phase || {};
  chart("chart-dropout", "bar", Object.keys(dropout), one("Andel (%)", Object.values(dropout).map((d) => Math.round((d.rate || 0) * 100))));
  document.body.dataset.charts = String(charts.length);
})();
