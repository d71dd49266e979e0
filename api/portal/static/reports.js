// The operations report for UM leaders (SPEC §12): GET /v1/reports/p2p for a period, optionally
// grouped, as a table (the figures, and the charts' text alternative), four charts (Chart.js,
// vendored: /portal/static/vendor/chart.umd.min.js, loaded by the page before this module) and
// a CSV download. Signed in as ops or admin; a provider or reviewer is told whose page it is.
import {
  call, clearProblem, dateLabel, describe, el, guarded, pendingNote, show, showProblem,
  signIn, signOut, startSession,
} from "./common.js";

const $ = (id) => document.getElementById(id);
const HOME = "/portal/reports";

// ---- words for codes (rules as data) --------------------------------------------------------

export const GROUP_BY = {
  "": "All P2Ps",
  state: "State",
  line_of_business: "Line of business",
  level_of_review: "Level of review",
  reviewer: "Reviewer",
  skill: "Skill",
};
const STATES = {
  AL: "Alabama", AK: "Alaska", AZ: "Arizona", AR: "Arkansas", CA: "California", CO: "Colorado",
  CT: "Connecticut", DE: "Delaware", DC: "District of Columbia", FL: "Florida", GA: "Georgia",
  HI: "Hawaii", ID: "Idaho", IL: "Illinois", IN: "Indiana", IA: "Iowa", KS: "Kansas",
  KY: "Kentucky", LA: "Louisiana", ME: "Maine", MD: "Maryland", MA: "Massachusetts",
  MI: "Michigan", MN: "Minnesota", MS: "Mississippi", MO: "Missouri", MT: "Montana",
  NE: "Nebraska", NV: "Nevada", NH: "New Hampshire", NJ: "New Jersey", NM: "New Mexico",
  NY: "New York", NC: "North Carolina", ND: "North Dakota", OH: "Ohio", OK: "Oklahoma",
  OR: "Oregon", PA: "Pennsylvania", PR: "Puerto Rico", RI: "Rhode Island", SC: "South Carolina",
  SD: "South Dakota", TN: "Tennessee", TX: "Texas", UT: "Utah", VT: "Vermont", VA: "Virginia",
  WA: "Washington", WV: "West Virginia", WI: "Wisconsin", WY: "Wyoming",
};
const LINES = { commercial: "Commercial", medicare: "Medicare", medicaid: "Medicaid" };
const LEVELS = {
  pre_decision: "Pre-decision",
  reconsideration: "Reconsideration",
  appeal: "Appeal",
  consultative_only: "Consultative only",
};
// Skill codes belong to the deployment; the usual ones have words, any other is spelled out.
const SKILLS = {
  msk_spine: "MSK spine",
  pain_management: "Pain management",
  radiology: "Radiology",
  cardiology: "Cardiology",
  oncology: "Oncology",
  radiation_oncology: "Radiation oncology",
  gastroenterology: "Gastroenterology",
  sleep: "Sleep medicine",
};
const KEY_WORDS = { state: STATES, line_of_business: LINES, level_of_review: LEVELS, skill: SKILLS };
const NO_KEY = { reviewer: "Not yet assigned" };
export const REASONS = {
  provider_unavailable: "Provider unavailable",
  reviewer_unavailable: "Reviewer unavailable",
  case_resolved: "Case resolved",
  scheduled_in_error: "Scheduled in error",
  duplicate: "Duplicate",
  other: "Other",
};
export const OUTCOMES = {
  upheld: "Upheld",
  overturned: "Overturned",
  modified: "Modified",
  information_only: "Information only",
};
const PARTIES = { provider: "Provider", reviewer: "Reviewer" };
const COLOURS = {
  tier1: "#0b5cad",
  hours: "#1b6e3a",
  provider: "#a4262c",
  reviewer: "#d08a1c",
  upheld: "#5a6673",
  overturned: "#0b5cad",
  modified: "#1f8a8a",
  information_only: "#d08a1c",
};

/** "Texas", "Medicare", "Reconsideration", "MSK spine", "rev-004"; "Not yet assigned" for a
 *  request without a reviewer. */
export function groupLabel(groupBy, value) {
  if (!groupBy) return GROUP_BY[""];
  if (value === null || value === undefined) return NO_KEY[groupBy] || "Unknown";
  const words = KEY_WORDS[groupBy];
  if (words && words[value]) return words[value];
  if (groupBy === "skill") return spelled(value);
  return String(value);
}

function spelled(code) {
  const words = String(code).replace(/[_.-]+/g, " ").trim().toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// ---- how figures are written ----------------------------------------------------------------

export const NONE = "—";
const whole = new Intl.NumberFormat("en-US");
// A ratio comes with 4 decimals, so a percentage with up to 2 shows it exactly.
const percentFormat = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 2 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });

const count = (n) => (n === null || n === undefined ? NONE : whole.format(n));
const percent = (r) => (r === null || r === undefined ? NONE : percentFormat.format(r));
const number = (x) => (x === null || x === undefined ? NONE : decimal.format(x));

/** The table's columns after the group's: [key in the answer, header, group header, format]. */
function columns(report) {
  const first = report.groups[0] || {};
  const codes = (object, known) => [
    ...Object.keys(known).filter((code) => !object || code in object),
    ...Object.keys(object || {}).filter((code) => !(code in known)),
  ];
  // the rates a UM leader reads first, then the counts behind them
  return [
    ["bookings", "Bookings", null, count],
    ["overturn_rate", "Overturn rate", null, percent],
    ["tier_1_share", "Share held by tier-1 reviewers", null, percent],
    ["preferred_window_share", "In the preferred window", null, percent],
    ["median_hours_request_to_call", "Hours from request to call (median)", null, number],
    ["mean_reschedules", "Reschedules per booking", null, number],
    ["reviewer_utilisation", "Reviewer utilisation", null, percent],
    ["scheduled", "Scheduled", "Status now", count],
    ["completed", "Completed", "Status now", count],
    ["pending", "Pending assignment", "Status now", count],
    ...codes(first.outcomes, OUTCOMES).map((code) => [`outcomes.${code}`, OUTCOMES[code] || spelled(code), "Outcomes", count]),
    ...codes(first.no_show, PARTIES).map((party) => [`no_show.${party}`, PARTIES[party] || spelled(party), "No-shows, by party", count]),
    ...codes(first.cancelled, REASONS).map((code) => [`cancelled.${code}`, REASONS[code] || spelled(code), "Cancelled, by reason", count]),
  ];
}

function valueAt(group, path) {
  return path.split(".").reduce((value, part) => (value === null || value === undefined ? value : value[part]), group);
}

// ---- periods --------------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");
const isoDate = (y, m, d) => {
  const date = new Date(Date.UTC(y, m, d));
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
};
function today() {
  const now = new Date();
  return { y: now.getFullYear(), m: now.getMonth(), d: now.getDate() };
}

/** [from, to] of a quick period, in this browser's calendar; months are whole months, the
 *  current one up to today. */
export const PRESETS = {
  last30: ({ y, m, d }) => [isoDate(y, m, d - 29), isoDate(y, m, d)],
  thisQuarter: ({ y, m, d }) => [isoDate(y, m - (m % 3), 1), isoDate(y, m, d)],
  lastQuarter: ({ y, m }) => [isoDate(y, m - (m % 3) - 3, 1), isoDate(y, m - (m % 3), 0)],
  last6: ({ y, m, d }) => [isoDate(y, m - 5, 1), isoDate(y, m, d)],
  last12: ({ y, m, d }) => [isoDate(y, m - 11, 1), isoDate(y, m, d)],
};
const DEFAULT_PRESET = "last6";

/** The months of a period, each clipped to it: [{label, from, to}]. */
function months(from, to) {
  const out = [];
  let [y, m] = from.split("-").map(Number);
  m -= 1;
  for (;;) {
    const start = isoDate(y, m, 1);
    if (start > to) break;
    const end = isoDate(y, m + 1, 0);
    const label = new Date(Date.UTC(y, m, 1)).toLocaleDateString("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
    out.push({ label, from: start < from ? from : start, to: end > to ? to : end });
    m += 1;
    if (m === 12) {
      m = 0;
      y += 1;
    }
  }
  return out;
}

// ---- the page -------------------------------------------------------------------------------

const state = {
  report: null, // the answer on screen
  monthly: null, // [{label, from, to, groups}] for the outcomes over time
  charts: {},
  loadCount: 0,
};

async function start() {
  let who = await startSession(HOME);
  $("sign-out").onclick = signOut;
  if (!who) {
    await signIn(pendingNote());
    who = { kind: "key" };
  }
  if (who.kind !== "key" && !["ops", "admin"].includes(who.role)) {
    elsewhere(who);
    return;
  }
  setUp();
  await guarded(load);
}

/** The plain message for a sign-in that may not read reports (a practice, a reviewer, a
 *  portal back end), with the way to their own page. */
function elsewhere(who) {
  const person = who && who.kind !== "key" ? `You are signed in as ${describe(who)}. ` : "This API key may not read reports. ";
  $("elsewhere-note").textContent =
    `${person}This page is for UM leaders: the P2P reports need an ops or admin sign-in.`;
  const links = [];
  if (who && who.role === "provider") links.push(el("a", { href: "/portal/", class: "button" }, "Open the provider pages"));
  if (who && who.role === "reviewer" && who.reviewer_id) {
    links.push(el("a", { href: `/portal/reviewers/${encodeURIComponent(who.reviewer_id)}`, class: "button" }, "Open your day view"));
  }
  $("elsewhere-link").replaceChildren(...links);
  $("elsewhere-link").hidden = !links.length;
  show("view-elsewhere");
}

function setUp() {
  const form = $("report-form");
  const asked = new URLSearchParams(location.search);
  const valid = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value || "");
  if (valid(asked.get("from")) && valid(asked.get("to"))) {
    $("from").value = asked.get("from");
    $("to").value = asked.get("to");
  } else {
    applyPreset(DEFAULT_PRESET);
  }
  const groupBy = (asked.get("group_by") || "").toLowerCase();
  $("group-by").value = groupBy in GROUP_BY ? groupBy : "";
  markPreset();
  for (const button of form.querySelectorAll("[data-preset]")) {
    button.onclick = () => {
      applyPreset(button.dataset.preset);
      guarded(load);
    };
  }
  $("from").onchange = markPreset;
  $("to").onchange = markPreset;
  $("group-by").onchange = () => guarded(load);
  form.onsubmit = (event) => {
    event.preventDefault();
    guarded(load);
  };
  $("download-csv").onclick = () => guarded(downloadCsv);
  $("outcomes-of").onchange = drawOutcomes;
}

function applyPreset(name) {
  const [from, to] = PRESETS[name](today());
  $("from").value = from;
  $("to").value = to;
  markPreset();
}

/** The quick period matching the dates, if any, is shown pressed. */
function markPreset() {
  const now = today();
  for (const button of document.querySelectorAll("[data-preset]")) {
    const [from, to] = PRESETS[button.dataset.preset](now);
    button.setAttribute("aria-pressed", String(from === $("from").value && to === $("to").value));
  }
}

/** The period and grouping in the form, or null after saying what is wrong with them. */
function chosen() {
  const form = $("report-form");
  const from = $("from").value;
  const to = $("to").value;
  const errors = [];
  if (!from) errors.push({ field: "from", message: "Enter the first day of the period." });
  if (!to) errors.push({ field: "to", message: "Enter the last day of the period." });
  if (from && to && from > to) errors.push({ field: "to", message: "The last day cannot be before the first." });
  if (errors.length) {
    showProblem(form, { detail: "Check the period.", errors });
    return null;
  }
  clearProblem(form);
  return { from, to, groupBy: $("group-by").value };
}

function query({ from, to, groupBy }) {
  const params = new URLSearchParams({ from, to });
  if (groupBy) params.set("group_by", groupBy);
  return params.toString();
}

async function load() {
  const asked = chosen();
  if (!asked) return;
  const ticket = ++state.loadCount;
  $("report-summary").textContent = "Loading the report…";
  const answer = await call("GET", `/v1/reports/p2p?${query(asked)}`);
  if (ticket !== state.loadCount) return; // a later choice overtook this one
  if (answer.status === 403) {
    elsewhere(null);
    return;
  }
  if (!answer.ok) {
    // the figures on screen stay, and say again what they are
    if (state.report) renderSummary();
    else $("report-summary").textContent = "";
    showProblem($("report-form"), answer.data);
    if (!$("view-report").hidden) return;
    show("view-report");
    return;
  }
  const firstShow = $("view-report").hidden;
  history.replaceState(null, "", `${HOME}?${query(asked)}`); // a link to what is shown
  state.report = { ...answer.data, groupBy: asked.groupBy, query: query(asked) };
  state.monthly = null;
  renderSummary();
  renderTable();
  drawGroupCharts();
  if (firstShow) show("view-report");
  await loadMonthly(asked, ticket);
}

function renderSummary() {
  const report = state.report;
  const total = report.groups.reduce((sum, group) => sum + group.bookings, 0);
  const grouped = report.groupBy ? `, by ${GROUP_BY[report.groupBy].toLowerCase()} (${report.groups.length} groups)` : "";
  $("report-summary").textContent =
    `${count(total)} P2P${total === 1 ? "" : "s"} from ${dateLabel(report.from)} to ${dateLabel(report.to)}${grouped}. ` +
    `Days are counted in ${report.time_zone}.`;
  $("zone-indicator").textContent = `Days in ${report.time_zone}`;
}

function renderTable() {
  const report = state.report;
  const cols = columns(report);
  const groupHeader = report.groupBy ? GROUP_BY[report.groupBy] : "Group";
  const top = [el("th", { scope: "col", rowspan: 2 }, groupHeader)];
  const second = [];
  for (let i = 0; i < cols.length; i += 1) {
    const [, head, band] = cols[i];
    if (!band) {
      top.push(el("th", { scope: "col", rowspan: 2 }, head));
      continue;
    }
    let span = 1;
    while (i + span < cols.length && cols[i + span][2] === band) span += 1;
    top.push(el("th", { scope: "colgroup", colspan: span, class: "band" }, band));
    for (let j = i; j < i + span; j += 1) second.push(el("th", { scope: "col" }, cols[j][1]));
    i += span - 1;
  }
  const table = $("report-table");
  table.tHead.replaceChildren(el("tr", {}, top), el("tr", {}, second));
  const rows = report.groups.map((group) => {
    const key = report.groupBy ? group.key[report.groupBy] : null;
    return el(
      "tr",
      { dataset: { group: key === null || key === undefined ? "" : String(key) } },
      el("th", { scope: "row" }, groupLabel(report.groupBy, key)),
      cols.map(([path, , , format]) => el("td", { class: "num", dataset: { key: path } }, format(valueAt(group, path)))),
    );
  });
  const empty = el("tr", {}, el("td", { colspan: cols.length + 1 }, "No P2Ps in this period."));
  table.tBodies[0].replaceChildren(...(rows.length ? rows : [empty]));
  table.dataset.shows = report.query; // what is on screen (the browser tests wait for it)
}

// ---- charts ---------------------------------------------------------------------------------

function chart(id, config) {
  const canvas = $(id);
  if (state.charts[id]) state.charts[id].destroy();
  if (!window.Chart) {
    $(`${id}-text`).textContent = "The chart library did not load; the table holds the figures.";
    return;
  }
  state.charts[id] = new window.Chart(canvas, {
    ...config,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: config.data.datasets.length > 1, position: "bottom" } },
      ...config.options,
    },
  });
}

/** A chart's box grows with its number of bars, so every label stays readable. */
function sizeFor(id, bars) {
  $(id).parentElement.style.height = `${Math.max(12, 4 + bars * 1.8)}rem`;
}

function groupLabels() {
  const report = state.report;
  return report.groups.map((group) => groupLabel(report.groupBy, report.groupBy ? group.key[report.groupBy] : null));
}

function describeBars(id, labels, values, format) {
  $(`${id}-text`).textContent = labels.map((label, i) => `${label}: ${format(values[i])}`).join("; ") || "No P2Ps in this period.";
}

function drawGroupCharts() {
  const report = state.report;
  const labels = groupLabels();
  const bars = labels.length;
  const horizontal = { indexAxis: "y" };

  const tier1 = report.groups.map((g) => g.tier_1_share);
  sizeFor("chart-tier1", bars);
  chart("chart-tier1", {
    type: "bar",
    data: { labels, datasets: [{ label: "Share held by tier-1 reviewers", data: tier1.map((r) => (r === null ? null : r * 100)), backgroundColor: COLOURS.tier1 }] },
    options: { ...horizontal, scales: { x: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } } },
  });
  describeBars("chart-tier1", labels, tier1, percent);

  const hours = report.groups.map((g) => g.median_hours_request_to_call);
  sizeFor("chart-hours", bars);
  chart("chart-hours", {
    type: "bar",
    data: { labels, datasets: [{ label: "Hours from request to call (median)", data: hours, backgroundColor: COLOURS.hours }] },
    options: { ...horizontal, scales: { x: { min: 0, title: { display: true, text: "hours" } } } },
  });
  describeBars("chart-hours", labels, hours, (h) => (h === null ? NONE : `${number(h)} hours`));

  sizeFor("chart-noshow", bars);
  chart("chart-noshow", {
    type: "bar",
    data: {
      labels,
      datasets: Object.entries(PARTIES).map(([party, words]) => ({
        label: `${words} did not answer`,
        data: report.groups.map((g) => (g.no_show ? g.no_show[party] : 0)),
        backgroundColor: COLOURS[party],
      })),
    },
    options: { ...horizontal, scales: { x: { stacked: true, min: 0, ticks: { precision: 0 } }, y: { stacked: true } } },
  });
  $("chart-noshow-text").textContent = labels
    .map((label, i) => `${label}: provider ${count(report.groups[i].no_show.provider)}, reviewer ${count(report.groups[i].no_show.reviewer)}`)
    .join("; ") || "No P2Ps in this period.";

  const pick = $("outcomes-of");
  const groups = report.groupBy ? report.groups.map((g) => g.key[report.groupBy]) : [];
  pick.replaceChildren(
    el("option", { value: "*" }, report.groupBy ? `Every ${GROUP_BY[report.groupBy].toLowerCase()}` : GROUP_BY[""]),
    ...groups.map((key, i) => el("option", { value: key === null ? "" : String(key) }, labels[i])),
  );
  $("outcomes-of-field").hidden = !report.groupBy;
}

/** Outcomes over time: one report per month of the period, grouped as chosen, so that a
 *  single group's months can be shown. */
async function loadMonthly(asked, ticket) {
  const periods = months(asked.from, asked.to);
  const answers = await Promise.all(periods.map((month) =>
    call("GET", `/v1/reports/p2p?${query({ ...asked, from: month.from, to: month.to })}`)));
  if (ticket !== state.loadCount) return;
  state.monthly = periods.map((month, i) => ({ ...month, groups: answers[i].ok ? answers[i].data.groups : null }));
  drawOutcomes();
}

function drawOutcomes() {
  if (!state.monthly) return;
  const report = state.report;
  const choice = $("outcomes-of").value;
  const picked = (group) => !report.groupBy || choice === "*" || String(group.key[report.groupBy] ?? "") === choice;
  const totals = state.monthly.map((month) => {
    const sums = Object.fromEntries(Object.keys(OUTCOMES).map((code) => [code, 0]));
    for (const group of month.groups || []) {
      if (!picked(group)) continue;
      for (const [code, n] of Object.entries(group.outcomes || {})) sums[code] = (sums[code] || 0) + n;
    }
    return sums;
  });
  const labels = state.monthly.map((month) => month.label);
  chart("chart-outcomes", {
    type: "bar",
    data: {
      labels,
      datasets: Object.entries(OUTCOMES).map(([code, words]) => ({
        label: words,
        data: totals.map((sums) => sums[code] || 0),
        backgroundColor: COLOURS[code],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, min: 0, grace: "5%", ticks: { precision: 0 } } } },
  });
  $("chart-outcomes").dataset.shows = `${report.query}&of=${choice}`;
  const whose = $("outcomes-of").selectedOptions[0]?.textContent || GROUP_BY[""];
  $("chart-outcomes-text").textContent = `${whose}. ` + state.monthly
    .map((month, i) => `${month.label} (${dateLabel(month.from)} to ${dateLabel(month.to)}): ` +
      (month.groups ? Object.entries(OUTCOMES).map(([code, words]) => `${words.toLowerCase()} ${totals[i][code] || 0}`).join(", ") : "not available"))
    .join("; ");
}

// ---- CSV ------------------------------------------------------------------------------------

async function downloadCsv() {
  const asked = chosen();
  if (!asked) return;
  const status = $("csv-status");
  status.textContent = "Preparing the CSV…";
  const answer = await call("GET", `/v1/reports/p2p?${query(asked)}`, undefined, { accept: "text/csv" });
  if (!answer.ok) {
    status.textContent = "";
    if (answer.status === 403) {
      elsewhere(null);
      return;
    }
    showProblem($("report-form"), answer.data);
    return;
  }
  const name = `p2p-report-${asked.from}-${asked.to}.csv`;
  const url = URL.createObjectURL(new Blob([answer.text], { type: "text/csv" }));
  const link = el("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  status.textContent = `Downloaded ${name}.`;
}

start();
