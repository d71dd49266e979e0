// The provider's P2P scheduling pages: the seeds' flow (time zone → case look-up → preferences
// → a week of slots → hold and contact form → summary), and My P2P requests with reschedule
// and cancel. Every step is one call to /v1/…, exactly what any portal front end would send.
import {
  ROLES, STATUSES, addDays, call, clearProblem, dateLabel, describe, el, facts, guarded as guard,
  longDate, pendingNote, phone, reviewerLabel, show, showProblem, signIn, signOut, startSession, uuid,
  tierSections, whenLabel, zoneAbbr,
} from "./common.js";

const ZONE_KEY = "p2p.timeZone";
const LAUNCH_KEY = "p2p.launch";
const ZONES = [
  ["America/New_York", "US/Eastern"],
  ["America/Chicago", "US/Central"],
  ["America/Denver", "US/Mountain"],
  ["America/Phoenix", "US/Arizona (no daylight saving)"],
  ["America/Los_Angeles", "US/Pacific"],
  ["America/Anchorage", "US/Alaska"],
  ["Pacific/Honolulu", "US/Hawaii"],
];
const DAYS = [["mon", "Mon"], ["tue", "Tues"], ["wed", "Wed"], ["thu", "Thurs"], ["fri", "Fri"]];
const DAY_NAMES = Object.fromEntries(DAYS);
/** A code as words: "commercial" → "Commercial", "medicare_advantage" → "Medicare advantage". */
const words = (code) => (code ? code[0].toUpperCase() + code.slice(1).replaceAll("_", " ") : code);
const HOURS = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const SHOWN_PER_DAY = 4;
const CANCEL_REASONS = {
  provider_unavailable: "Provider unavailable",
  reviewer_unavailable: "Reviewer unavailable",
  case_resolved: "Case resolved",
  scheduled_in_error: "Scheduled in error",
  duplicate: "Duplicate request",
  other: "Other",
};
/** The mark of a required field: seen as "*", heard as the input's own `required`. */
const REQUIRED = () => el("span", { class: "req", "aria-hidden": "true" }, " *");

const $ = (id) => document.getElementById(id);

const state = {
  zone: localStorage.getItem(ZONE_KEY),
  rows: [{ case_number: "", member_dob: "" }],
  cases: [], // the looked-up cases [{case_number, member_dob}]
  eligibility: null,
  days: new Set(DAYS.map(([code]) => code)),
  hours: new Set(HOURS),
  mode: "book", // book | pending | reschedule
  moving: null, // the booking being rescheduled
  firstWeek: null,
  week: null,
  availability: null,
  expanded: new Set(),
  choice: null, // {reviewer, slot}
  hold: null,
  holdTimer: null,
  listCursor: null,
  detail: null,
  ready: false, // signed in and a zone chosen: the views can be shown
};

// ---- start and routing ---------------------------------------------------------------------

/** Run `work`; after a refused key and a new sign-in, show the current view again. */
const guarded = (work) => guard(work, route);

async function start() {
  takeLaunchFromFragment();
  let who = await startSession("/portal/");
  $("sign-out").onclick = signOut;
  $("change-zone").onclick = () => askZone().then(route);
  wireLookup();
  wirePreferences();
  wireSlots();
  wireContact();
  wireRequests();
  window.addEventListener("hashchange", route);
  // A link to the view's own address changes no hash: show that view again all the same.
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#/"]');
    if (link && link.getAttribute("href") === location.hash) {
      event.preventDefault();
      route();
    }
  });
  if (!who) {
    await signIn(pendingNote());
    who = { kind: "key" };
  }
  if (who.role === "reviewer") {
    elsewhere(who);
    return;
  }
  // a launch link may bring its own zone: ask only when it does not (openLaunch)
  if (!state.zone && !sessionStorage.getItem(LAUNCH_KEY)) await askZone();
  state.ready = true;
  route();
}

/** A reviewer's sign-in opened the provider pages: send them to their own day view. */
function elsewhere(who) {
  const link = `/portal/reviewers/${encodeURIComponent(who.reviewer_id || "")}`;
  $("elsewhere-note").textContent =
    `You are signed in as ${describe(who)}, a reviewer. These pages are for practices requesting a P2P.`;
  $("elsewhere-link").replaceChildren(el("a", { href: link, class: "button" }, "Open your day view"));
  show("view-elsewhere");
}

function route() {
  takeLaunchFromFragment(); // a launch link opened in this tab changes only the fragment
  if (!state.ready) return; // signing in or choosing a zone: the view comes after
  const hash = location.hash || "#/new";
  const one = hash.match(/^#\/requests\/([0-9a-f-]{36})$/);
  releaseHold();
  if (sessionStorage.getItem(LAUNCH_KEY)) guarded(openLaunch);
  else if (one) guarded(() => openRequest(one[1]));
  else if (hash === "#/requests") guarded(() => listRequests(true));
  else newRequest();
}

// ---- launch links (SPEC §14) ---------------------------------------------------------------

/** Take a launch link's id from the URL fragment (`#launch=…`, which no server, log or
 *  Referer sees) into this tab's session storage, and drop it from the address bar and the
 *  history at once: it survives a sign-in with the issuer, and is used once signed in. */
function takeLaunchFromFragment() {
  const found = location.hash.match(/(?:^#|&)launch=([^&]*)/);
  if (!found) return;
  sessionStorage.setItem(LAUNCH_KEY, decodeURIComponent(found[1]));
  const rest = location.hash.replace(/(?:^#|&)launch=[^&]*/, "").replace(/^#?&?/, "");
  history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
}

/** Open the pending launch link: the look-up step with its cases filled in and answered,
 *  as if they had been typed and looked up; or, for a used, expired or unknown link, the
 *  look-up step empty with what the service says to do. */
async function openLaunch() {
  const linkId = sessionStorage.getItem(LAUNCH_KEY);
  const answer = await call("POST", "/v1/launch-links/redeem", { link_id: linkId });
  // opened, or refused for good (used, expired, unknown): never sent again; a link that
  // could not be tried (no connection, too many requests, a server error) is kept for a reload
  if (answer.ok || [404, 410, 422].includes(answer.status)) sessionStorage.removeItem(LAUNCH_KEY);
  if (answer.ok && answer.data.time_zone) state.zone = answer.data.time_zone;
  if (!state.zone) await askZone();
  newRequest();
  const form = $("lookup-form");
  if (!answer.ok) {
    state.rows = [{ case_number: "", member_dob: "" }];
    renderRows();
    $("lookup-results").replaceChildren();
    showProblem(form, { detail: answer.data.detail });
    form.querySelector(".problem").append(el("p", {},
      "To look the case up here, enter its reference number and the member's date of birth below."));
    return;
  }
  state.cases = answer.data.cases.map((c) => ({ case_number: c.case_number, member_dob: c.member_dob }));
  state.rows = state.cases.map((c) => ({ ...c }));
  state.eligibility = answer.data.eligibility;
  renderRows();
  clearProblem(form);
  renderEligibility();
  $("lookup-results").prepend(
    el("p", { class: "notice", role: "status" }, "Opened from your EHR: these cases were looked up for you."));
}

// ---- time zone -----------------------------------------------------------------------------

function askZone() {
  const select = $("time-zone");
  const browser = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = ZONES.some(([zone]) => zone === browser) || !browser ? ZONES : [...ZONES, [browser, browser]];
  select.replaceChildren(
    ...zones.map(([zone, name]) =>
      el("option", { value: zone }, `${name} — ${zone} (${zoneAbbr(zone)})`)),
  );
  select.value = state.zone || (zones.some(([zone]) => zone === browser) ? browser : "America/New_York");
  show("view-timezone");
  return new Promise((resolve) => {
    $("timezone-form").onsubmit = (event) => {
      event.preventDefault();
      state.zone = select.value;
      localStorage.setItem(ZONE_KEY, state.zone);
      resolve();
    };
  });
}

function showZone() {
  $("zone-indicator").textContent = `Times in ${state.zone} (${zoneAbbr(state.zone)})`;
  $("change-zone").hidden = false;
  for (const node of document.querySelectorAll(".zone-name")) {
    node.textContent = `${state.zone} (${zoneAbbr(state.zone)})`;
  }
}

// ---- case look-up --------------------------------------------------------------------------

function newRequest() {
  showZone();
  state.mode = "book";
  state.moving = null;
  renderRows();
  show("view-lookup");
}

function renderRows() {
  $("case-rows").replaceChildren(
    ...state.rows.map((row, i) =>
      el("fieldset", { class: "case-row" },
        el("legend", {}, `Case ${i + 1}`),
        el("div", { class: "field" },
          el("label", { for: `case-number-${i}` }, "Case reference number", REQUIRED()),
          el("input", {
            id: `case-number-${i}`, name: "case_number", value: row.case_number,
            autocomplete: "off", required: true, dataset: { field: `cases[${i}].case_number` },
            oninput: (e) => { row.case_number = e.target.value; },
          })),
        el("div", { class: "field" },
          el("label", { for: `member-dob-${i}` }, "Member date of birth", REQUIRED()),
          el("input", {
            id: `member-dob-${i}`, name: "member_dob", type: "date", value: row.member_dob,
            autocomplete: "off", required: true, dataset: { field: `cases[${i}].member_dob` },
            oninput: (e) => { row.member_dob = e.target.value; },
          })),
        state.rows.length > 1
          ? el("button", {
            type: "button", class: "link", "aria-label": `Remove case ${i + 1}`,
            onclick: () => { state.rows.splice(i, 1); renderRows(); },
          }, "Remove")
          : null)),
  );
}

function wireLookup() {
  $("add-case").onclick = () => {
    state.rows.push({ case_number: "", member_dob: "" });
    renderRows();
    $(`case-number-${state.rows.length - 1}`).focus();
  };
  $("lookup-form").onsubmit = (event) => {
    event.preventDefault();
    guarded(() => lookUp(state.rows.map((r) => ({ case_number: r.case_number.trim(), member_dob: r.member_dob }))));
  };
}

async function lookUp(cases) {
  const form = $("lookup-form");
  clearProblem(form);
  $("lookup-results").replaceChildren();
  const missing = [];
  cases.forEach((c, i) => {
    if (!c.case_number) missing.push({ field: `cases[${i}].case_number`, message: "Enter the case reference number." });
    if (!c.member_dob) missing.push({ field: `cases[${i}].member_dob`, message: "Enter the member's date of birth." });
  });
  if (missing.length) {
    showProblem(form, { detail: "Fill in every case number and date of birth.", errors: missing });
    return;
  }
  const answer = await call("POST", "/v1/eligibility", { cases, time_zone: state.zone });
  if (!answer.ok) {
    showProblem(form, answer.data);
    return;
  }
  state.cases = cases;
  state.eligibility = answer.data;
  renderEligibility();
}

function renderEligibility() {
  const result = state.eligibility;
  const dobs = Object.fromEntries(state.cases.map((c) => [c.case_number, c.member_dob]));
  const cards = result.cases.map((c) =>
    el("article", { class: `case-card ${c.eligible ? "ok" : "refused"}` },
      el("h2", {}, `Case Ref #: ${c.case_number} `,
        el("span", { class: "badge" }, c.eligible ? "✓ P2P Eligible" : c.found ? "✗ Not eligible" : "✗ Not found")),
      ...(P2P_REASONS.has(c.reason) && c.p2p ? [] : c.messages.map((m) => el("p", { class: "message" }, m))),
      c.p2p ? p2pNote(c) : null,
      c.found && c.decision_can_change === false
        ? el("p", { class: "consultative" }, "Consultative only: the P2P can be held, but the original decision cannot be modified.")
        : null,
      c.found
        ? facts([
          ["Member DOB", longDate(dobs[c.case_number])],
          ["Member state", c.member_state],
          ["Case type", c.case_type],
          ["Line of business", words(c.line_of_business)],
          ["Level of review", c.level_of_review_label],
          ["P2P valid until", c.valid_until ? whenLabel(c.valid_until, state.zone) : ""],
        ])
        : null,
      el("button", {
        type: "button", class: "link", "aria-label": `Remove case ${c.case_number}`,
        onclick: () => removeCase(c.case_number),
      }, "Remove")));
  $("lookup-results").replaceChildren(
    el("h2", {}, "Case information"),
    ...result.messages.map((m) => el("p", { class: result.eligible ? "notice" : "notice warn" }, m)),
    ...cards,
    el("p", { class: "actions" },
      el("button", {
        type: "button", id: "lookup-continue", disabled: !result.eligible,
        onclick: () => { state.firstWeek = null; state.week = null; showPreferences(); },
      }, "Continue")),
  );
}

/** Answers whose message the page words itself, in its own zone and with a link (p2pNote). */
const P2P_REASONS = new Set(["p2p_scheduled", "p2p_pending", "blocked_p2p_completed"]);

/** The case's P2P instead of slots: "A P2P is already scheduled for Tue 12/8 2:30 pm CST",
 * linked to the request in My P2P requests (another organisation's is named, not linked). */
function p2pNote(c) {
  const p2p = c.p2p;
  const text = p2p.status === "completed"
    ? `A P2P was held on ${whenLabel(p2p.start, state.zone)}.`
      + (c.reason === "blocked_p2p_completed" ? " Another P2P needs a new determination." : "")
    : p2p.start
      ? `A P2P is already scheduled for ${whenLabel(p2p.start, state.zone)}.`
      : "A P2P request for this case is already waiting for a reviewer and time.";
  return el("p", { class: "notice p2p", role: "status" }, text, " ",
    p2p.booking_id
      ? el("a", { href: `#/requests/${p2p.booking_id}`, class: "p2p-link" },
        p2p.status === "completed" ? "Open that P2P" : "Open it to reschedule or cancel")
      : el("span", {}, "It was requested by another practice; call us to change it."));
}

function removeCase(caseNumber) {
  const rest = state.cases.filter((c) => c.case_number !== caseNumber);
  state.rows = rest.length ? rest.map((c) => ({ ...c })) : [{ case_number: "", member_dob: "" }];
  renderRows();
  if (rest.length) guarded(() => lookUp(rest));
  else $("lookup-results").replaceChildren();
}

// ---- preferences ---------------------------------------------------------------------------

function hourLabel(hour) {
  const twelve = (h) => ((h + 11) % 12) + 1;
  return `${twelve(hour)}:00 to ${twelve(hour + 1)}:00`;
}

function toggle(label, pressed, onToggle) {
  return el("button", {
    type: "button", class: "toggle", "aria-pressed": String(pressed),
    onclick: (e) => {
      const now = e.currentTarget.getAttribute("aria-pressed") !== "true";
      e.currentTarget.setAttribute("aria-pressed", String(now));
      e.currentTarget.querySelector(".mark").textContent = now ? "✓" : "✗";
      onToggle(now);
    },
  }, el("span", { class: "mark", "aria-hidden": "true" }, pressed ? "✓" : "✗"), " ", label);
}

function showPreferences() {
  showZone();
  $("preferred-days").replaceChildren(...DAYS.map(([code, name]) =>
    toggle(name, state.days.has(code), (on) => (on ? state.days.add(code) : state.days.delete(code)))));
  $("preferred-hours").replaceChildren(
    el("span", { class: "group-label" }, "Morning"),
    ...HOURS.slice(0, 5).map(hourToggle),
    el("span", { class: "group-label" }, "Afternoon"),
    ...HOURS.slice(5).map(hourToggle),
  );
  $("preferences-problem").hidden = true;
  $("preferences-pending").hidden = state.mode === "reschedule";
  show("view-preferences");
}

function hourToggle(hour) {
  return toggle(hourLabel(hour), state.hours.has(hour), (on) => (on ? state.hours.add(hour) : state.hours.delete(hour)));
}

function preferences() {
  return {
    days: DAYS.map(([code]) => code).filter((code) => state.days.has(code)),
    hours: HOURS.filter((hour) => state.hours.has(hour)),
  };
}

function wirePreferences() {
  const check = () => {
    const chosen = preferences();
    const box = $("preferences-problem");
    if (chosen.days.length && chosen.hours.length) {
      box.hidden = true;
      return true;
    }
    box.replaceChildren(el("p", {}, "Keep at least one day and one time selected."));
    box.hidden = false;
    box.focus();
    return false;
  };
  $("preferences-continue").onclick = () => {
    if (check()) guarded(() => loadSlots(null));
  };
  $("preferences-pending").onclick = () => {
    if (!check()) return;
    state.mode = "pending";
    state.choice = null;
    showContact();
  };
}

// ---- a week of slots -----------------------------------------------------------------------

function wireSlots() {
  $("prev-week").onclick = () => guarded(() => loadSlots(state.availability.previous_week_start));
  $("next-week").onclick = () => guarded(() => loadSlots(state.availability.next_week_start));
  $("slots-back").onclick = showPreferences;
  $("move-cancel-button").onclick = () => {
    $("move-confirm").hidden = true;
    state.choice = null;
  };
  $("move-confirm-button").onclick = () => guarded(confirmMove);
}

function slotsRequest(weekStart) {
  const body = { time_zone: state.zone, preferences: preferences() };
  if (weekStart) body.week_start = weekStart;
  const path = state.mode === "reschedule"
    ? `/v1/bookings/${state.moving.id}/availability`
    : "/v1/availability";
  if (state.mode !== "reschedule") body.cases = state.cases;
  return { path, body };
}

/** Weeks looked ahead for the first with times, when the page opens on no week in particular. */
const WEEKS_AHEAD = 4;

async function loadSlots(weekStart) {
  showZone();
  const problem = $("slots-problem");
  const first = slotsRequest(weekStart);
  let answer = await call("POST", first.path, first.body);
  // Opened on no week in particular (a Friday afternoon, a weekend): show the first week
  // with times; "Prev week" still goes back to this one.
  const opened = answer.ok ? answer : null;
  for (let n = 0; !weekStart && answer.ok && !answer.data.total_slots && n < WEEKS_AHEAD; n += 1) {
    const later = slotsRequest(answer.data.next_week_start);
    answer = await call("POST", later.path, later.body);
  }
  if (opened && !(answer.ok && answer.data.total_slots)) answer = opened;
  if (opened) state.firstWeek = state.firstWeek || opened.data.week_start;
  if (!answer.ok) {
    problem.replaceChildren(el("p", {}, answer.data.detail));
    problem.hidden = false;
    show("view-slots");
    return;
  }
  problem.hidden = true;
  state.availability = answer.data;
  state.firstWeek = state.firstWeek || answer.data.week_start;
  state.expanded.clear();
  $("move-confirm").hidden = true;
  $("slots-title").textContent = state.mode === "reschedule" ? "Choose a new P2P time" : "Choose a P2P time";
  renderSlots();
  show("view-slots");
}

function weekName(weekStart) {
  if (weekStart === state.firstWeek) return " (This week)";
  if (weekStart === addDays(state.firstWeek, 7)) return " (Upcoming week)";
  return "";
}

function renderSlots() {
  const a = state.availability;
  $("week-label").textContent = `${dateLabel(a.week_start)} - ${dateLabel(a.week_end)}${weekName(a.week_start)}`;
  $("prev-week").disabled = a.week_start <= state.firstWeek;
  $("slot-groups").replaceChildren(...tierSections(a, reviewerWeek,
    "No open P2P times this week match your preferences. Try the next week, or go back and select more days or times."));
}

function reviewerWeek(reviewer, days) {
  const byDate = Object.fromEntries(reviewer.days.map((d) => [d.date, d]));
  return el("section", { class: "reviewer" },
    el("h3", {}, `${reviewer.name}, ${reviewer.credentials}`),
    ...(reviewer.specialty ? [el("p", { class: "hint specialty" }, reviewer.specialty)] : []),
    el("div", { class: "week" },
      ...days.map((day) => {
        const slots = byDate[day]?.slots || [];
        const total = byDate[day]?.total_slots ?? slots.length;
        const key = `${reviewer.reviewer_id}|${day}`;
        const open = state.expanded.has(key);
        const shown = open ? slots : slots.slice(0, SHOWN_PER_DAY);
        const headingId = `day-${reviewer.reviewer_id}-${day}`;
        return el("div", { class: total ? "day" : "day empty", role: "group", "aria-labelledby": headingId },
          el("h4", { id: headingId }, dateLabel(day)),
          total
            ? el("ul", {}, ...shown.map((slot) => el("li", {},
              el("button", {
                type: "button", class: "slot", dataset: { day: headingId },
                "aria-label": `${dateLabel(day)} ${slot.label} with ${reviewer.name}, ${reviewer.credentials}`,
                onclick: () => guarded(() => choose(reviewer, slot)),
              }, slot.label))))
            : el("p", { class: "none" }, el("span", { "aria-hidden": "true" }, "-"), el("span", { class: "visually-hidden" }, "No times")),
          (total > SHOWN_PER_DAY || slots.length < total) && !open
            ? el("button", {
              type: "button", class: "link more",
              "aria-label": `Show more times on ${dateLabel(day)} with ${reviewer.name}`,
              onclick: () => guarded(async () => {
                if (slots.length < total && !(await loadReviewerDay(reviewer, day))) return;
                state.expanded.add(key);
                renderSlots();
                document.querySelectorAll(`[data-day="${CSS.escape(headingId)}"]`)[shown.length]?.focus();
              }),
            }, "Show more...")
            : null);
      })));
}

const WEEKDAY_CODES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** All of one reviewer's times on one day (an ISO date): a long week's answer lists only
 * the earliest of each day, and one reviewer's day always comes whole. */
async function loadReviewerDay(reviewer, day) {
  const { path, body } = slotsRequest(state.availability.week_start);
  const weekday = WEEKDAY_CODES[new Date(`${day}T12:00:00Z`).getUTCDay()];
  const answer = await call("POST", path, {
    ...body, preferences: { ...body.preferences, days: [weekday] }, reviewer_id: reviewer.reviewer_id,
  });
  if (!answer.ok) {
    const problem = $("slots-problem");
    problem.replaceChildren(el("p", {}, answer.data.detail));
    problem.hidden = false;
    problem.focus();
    return false;
  }
  const found = answer.data.tiers.flatMap((tier) => tier.reviewers)
    .find((r) => r.reviewer_id === reviewer.reviewer_id);
  const whole = found?.days.find((d) => d.date === day);
  reviewer.days = reviewer.days.map((d) => (d.date === day && whole ? whole : d));
  return true;
}

async function choose(reviewer, slot) {
  state.choice = { reviewer, slot };
  if (state.mode === "reschedule") {
    $("move-summary").textContent =
      `From ${whenLabel(state.moving.start, state.zone)} with ${state.moving.reviewer.name} ` +
      `to ${whenLabel(slot.start, state.zone)} with ${reviewerLabel(reviewer)}.`;
    $("move-confirm").hidden = false;
    $("move-confirm-button").focus();
    return;
  }
  const answer = await call("POST", "/v1/holds", {
    cases: state.cases, reviewer_id: reviewer.reviewer_id, start: slot.start, time_zone: state.zone,
  });
  if (!answer.ok) {
    const problem = $("slots-problem");
    problem.replaceChildren(el("p", {}, answer.data.detail), el("p", {}, "The times below are up to date."));
    problem.hidden = false;
    await loadSlots(state.availability.week_start);
    problem.hidden = false;
    problem.focus();
    return;
  }
  state.hold = answer.data;
  showContact();
  startCountdown();
}

async function confirmMove() {
  const { reviewer, slot } = state.choice;
  const answer = await call("POST", `/v1/bookings/${state.moving.id}/reschedule`, {
    start: slot.start, reviewer_id: reviewer.reviewer_id,
  });
  if (!answer.ok) {
    const problem = $("slots-problem");
    problem.replaceChildren(el("p", {}, answer.data.detail));
    problem.hidden = false;
    $("move-confirm").hidden = true;
    problem.focus();
    return;
  }
  showSummary(answer.data, "Rescheduled");
}

// ---- hold and contact form -----------------------------------------------------------------

function startCountdown() {
  clearInterval(state.holdTimer);
  const status = $("hold-status");
  const submit = $("contact-submit");
  const tick = () => {
    const left = Math.max(0, Math.round((new Date(state.hold.expires_at) - Date.now()) / 1000));
    if (left === 0) {
      clearInterval(state.holdTimer);
      status.textContent = "Your hold on this time has expired. Go back and choose a time again.";
      status.classList.add("warn");
      submit.disabled = true;
      return;
    }
    const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    status.replaceChildren("This time is held for you for ", el("strong", { class: "countdown" }, text), ".");
  };
  status.classList.remove("warn");
  submit.disabled = false;
  tick();
  state.holdTimer = setInterval(tick, 1000);
}

function releaseHold() {
  clearInterval(state.holdTimer);
  if (state.hold) {
    const id = state.hold.hold_id;
    state.hold = null;
    call("DELETE", `/v1/holds/${id}`).catch(() => {});
  }
}

function showContact() {
  const choice = state.choice;
  const dobs = state.cases;
  $("contact-title").textContent = choice ? "P2P contact details" : "Submit preferences without a time";
  $("hold-status").hidden = !choice;
  const pending = preferences();
  $("p2p-info").replaceChildren(
    choice
      ? facts([
        ["P2P time", whenLabel(choice.slot.start, state.zone)],
        ["Reviewer", reviewerLabel(choice.reviewer)],
      ])
      : facts([
        ["Preferred days", pending.days.map((code) => DAY_NAMES[code]).join(", ")],
        ["Preferred times", pending.hours.map(hourLabel).join("; ")],
        ["Time zone", state.zone],
        ["What happens next", "A reviewer and time are assigned for you; the invitation arrives by email."],
      ]),
    ...state.eligibility.cases.map((c, i) =>
      el("div", { class: "case-info" },
        el("h3", {}, `${["1st", "2nd", "3rd"][i] || `${i + 1}th`} Case`),
        facts([
          ["Case #", c.case_number],
          ["Member DOB", longDate(dobs[i].member_dob)],
          ["Member state", c.member_state],
          ["Case type", c.case_type],
          ["Level of review", c.level_of_review_label],
        ]))),
  );
  const roles = $("provider_role");
  if (!roles.options.length) {
    roles.replaceChildren(...Object.entries(ROLES).map(([code, name]) => el("option", { value: code }, name)));
  }
  clearProblem($("contact-form"));
  show("view-contact");
}

function wireContact() {
  const form = $("contact-form");
  $("contact-back").onclick = () => {
    releaseHold();
    if (state.mode === "pending") showPreferences();
    else guarded(() => loadSlots(state.availability.week_start));
  };
  form.onsubmit = (event) => {
    event.preventDefault();
    guarded(submitContact);
  };
}

function contactFromForm() {
  const f = $("contact-form").elements;
  const value = (name) => f[name].value.trim();
  return {
    provider_name: value("provider_name"),
    provider_role: value("provider_role"),
    contact_name: value("contact_name"),
    contact_location: value("contact_location"),
    phone: value("phone"),
    phone_ext: value("phone_ext"),
    alt_phone: value("alt_phone") || null,
    alt_phone_ext: value("alt_phone_ext"),
    email: value("email"),
    instructions: value("instructions"),
  };
}

async function submitContact() {
  const form = $("contact-form");
  const button = $("contact-submit");
  button.disabled = true;
  try {
    const contact = contactFromForm();
    const answer = state.mode === "pending"
      ? await call("POST", "/v1/p2p-requests",
        { cases: state.cases, time_zone: state.zone, preferences: preferences(), contact },
        { idempotencyKey: uuid() })
      : await call("POST", "/v1/bookings", {
        cases: state.cases,
        reviewer_id: state.choice.reviewer.reviewer_id,
        start: state.choice.slot.start,
        time_zone: state.zone,
        hold_id: state.hold && state.hold.hold_id,
        contact,
      }, { idempotencyKey: uuid() });
    if (!answer.ok) {
      showProblem(form, answer.data);
      return;
    }
    clearInterval(state.holdTimer);
    state.hold = null; // the booking used it up
    form.reset();
    showSummary(answer.data, answer.data.status === "pending_assignment" ? "Pending assignment" : "Scheduled");
  } finally {
    button.disabled = false;
  }
}

// ---- summary -------------------------------------------------------------------------------

function bookingFacts(booking, { status = true } = {}) {
  const c = booking.contact;
  return facts([
    ["Status", status ? STATUSES[booking.status] || booking.status : ""],
    ["Outcome", booking.outcome ? `${booking.outcome.label} (recorded ${whenLabel(booking.outcome.recorded_at, state.zone)})` : ""],
    ["P2P time", booking.start ? whenLabel(booking.start, state.zone) : "Not assigned yet"],
    ["Reviewer", booking.reviewer ? reviewerLabel(booking.reviewer) : "Not assigned yet"],
    ["Case(s)", booking.cases.map((k) => `${k.case_number} (${k.level_of_review_label || k.level_of_review})`).join(", ")],
    ["Name of provider requesting P2P", `${c.provider_name} (${ROLES[c.provider_role] || c.provider_role})`],
    ["Contact person", [c.contact_name, c.contact_location].filter(Boolean).join(", ")],
    ["Phone number for P2P", phone(c.phone, c.phone_ext)],
    ["Alternate phone", phone(c.alt_phone, c.alt_phone_ext)],
    ["Requesting provider email", c.email],
    ["Contact instructions", c.instructions],
    ["Needs attention", booking.attention],
  ]);
}

function calendarLink(booking) {
  return booking.status === "scheduled" && booking.links.invite_ics
    ? el("a", { href: `${booking.links.invite_ics}&download=1`, class: "button", download: "" }, "Add to calendar")
    : null;
}

/** "Mon 12/7/2026 8:15 am CST, 30 minutes": the summary's one line. */
function whenAndLength(booking) {
  return `${whenLabel(booking.start, state.zone)}, ${booking.duration_minutes} minutes`;
}

/** What happens next, in words: who was sent what, and who calls whom. */
function nextSteps(booking) {
  const c = booking.contact;
  if (!booking.start) {
    return `A reviewer and time will be assigned; the invitation will be sent to ${c.email}.`;
  }
  return `An invitation was sent to ${c.email}. ${booking.reviewer.name} will call ` +
    `${phone(c.phone, c.phone_ext)} at that time.`;
}

function showSummary(booking, title) {
  $("summary-title").textContent = title;
  $("summary-when").textContent = booking.start
    ? `${whenAndLength(booking)} with ${booking.reviewer.name}, ${booking.reviewer.credentials}`
    : `${title} — a time will be assigned and sent to ${booking.contact.email}`;
  $("summary-next").textContent = nextSteps(booking);
  $("summary-details").replaceChildren(bookingFacts(booking, { status: false }));
  $("summary-links").replaceChildren(
    ...[calendarLink(booking)].filter(Boolean),
    el("a", { href: `#/requests/${booking.id}` }, "Open this request"),
    el("a", { href: "#/requests" }, "My P2P requests"),
  );
  // The next request starts from an empty look-up (and the member's DOB leaves the page).
  state.rows = [{ case_number: "", member_dob: "" }];
  state.cases = [];
  $("lookup-results").replaceChildren();
  show("view-summary");
}

// ---- My P2P requests -----------------------------------------------------------------------

function wireRequests() {
  $("filter-status").replaceChildren(
    el("option", { value: "" }, "Any status"),
    ...Object.entries(STATUSES).map(([code, name]) => el("option", { value: code }, name)),
  );
  $("requests-filter").onsubmit = (event) => {
    event.preventDefault();
    guarded(() => listRequests(true));
  };
  $("requests-more").onclick = () => guarded(() => listRequests(false));
  $("request-action").replaceChildren(
    el("option", { value: "" }, "Choose an action…"),
    el("option", { value: "reschedule" }, "Reschedule"),
    el("option", { value: "cancel" }, "Cancel"),
  );
  $("reason_code").replaceChildren(
    ...Object.entries(CANCEL_REASONS).map(([code, name]) => el("option", { value: code }, name)),
  );
  $("actions-form").onsubmit = (event) => {
    event.preventDefault();
    const action = $("request-action").value;
    if (action === "cancel") {
      $("cancel-form").hidden = false;
      $("reason_code").focus();
    } else if (action === "reschedule") {
      state.mode = "reschedule";
      state.moving = state.detail;
      state.firstWeek = null;
      guarded(() => loadSlots(null));
    }
  };
  $("cancel-keep").onclick = () => {
    $("cancel-form").hidden = true;
  };
  $("cancel-form").onsubmit = (event) => {
    event.preventDefault();
    guarded(cancelRequest);
  };
}

async function listRequests(fresh) {
  showZone();
  const form = $("requests-filter");
  const params = new URLSearchParams({ limit: "20" });
  for (const name of ["case_number", "provider_email", "status"]) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  if (!fresh && state.listCursor) params.set("cursor", state.listCursor);
  const answer = await call("GET", `/v1/bookings?${params}`);
  if (!answer.ok) {
    showProblem(form, answer.data);
    show("view-requests");
    return;
  }
  clearProblem(form);
  const body = document.querySelector("#requests-table tbody");
  if (fresh) body.replaceChildren();
  for (const booking of answer.data.items) {
    body.append(el("tr", {},
      el("td", { "data-label": "Case(s)" }, booking.cases.map((c) => c.case_number).join(", ")),
      el("td", { "data-label": "P2P time" }, booking.start ? whenLabel(booking.start, state.zone) : "—"),
      el("td", { "data-label": "Reviewer" }, booking.reviewer ? booking.reviewer.name : "—"),
      el("td", { "data-label": "Status" }, statusCell(booking)),
      el("td", { "data-label": "" }, el("a", {
        href: `#/requests/${booking.id}`,
        "aria-label": `Open P2P request for ${booking.cases.map((c) => c.case_number).join(", ")}`,
      }, "Open"))));
  }
  state.listCursor = answer.data.next_cursor;
  $("requests-more").hidden = !state.listCursor;
  $("requests-empty").hidden = body.children.length > 0;
  if (fresh) show("view-requests");
}

/** The row's status; a completed P2P says what it decided (SPEC §14), in the policy's words. */
function statusCell(booking) {
  const status = el("span", { class: `status ${booking.status}` }, STATUSES[booking.status] || booking.status);
  return booking.outcome
    ? el("span", {}, status, el("span", { class: "outcome" }, ` — ${booking.outcome.label}`))
    : status;
}

async function openRequest(id) {
  showZone();
  const answer = await call("GET", `/v1/bookings/${id}`);
  if (!answer.ok) {
    $("request-title").textContent = "P2P request not found";
    $("request-details").replaceChildren(el("p", { class: "notice warn" }, answer.data.detail));
    $("request-links").replaceChildren();
    $("actions-form").hidden = true;
    $("cancel-form").hidden = true;
    show("view-request");
    return;
  }
  renderRequest(answer.data);
  show("view-request");
}

function renderRequest(booking) {
  state.detail = booking;
  $("request-title").textContent = `P2P request — ${STATUSES[booking.status] || booking.status}`;
  $("request-details").replaceChildren(bookingFacts(booking));
  // replaceChildren(null) would write "null": a booking past "scheduled" has no calendar link
  $("request-links").replaceChildren(...[calendarLink(booking)].filter(Boolean));
  const actions = { scheduled: ["reschedule", "cancel"], pending_assignment: ["cancel"] }[booking.status] || [];
  for (const option of $("request-action").options) option.hidden = option.value && !actions.includes(option.value);
  $("request-action").value = "";
  $("actions-form").hidden = actions.length === 0;
  $("cancel-form").hidden = true;
  clearProblem($("cancel-form"));
}

async function cancelRequest() {
  const form = $("cancel-form");
  const answer = await call("POST", `/v1/bookings/${state.detail.id}/cancel`, {
    reason_code: form.elements.reason_code.value,
    reason_text: form.elements.reason_text.value.trim(),
  });
  if (!answer.ok) {
    showProblem(form, answer.data);
    return;
  }
  form.reset();
  renderRequest(answer.data);
  $("request-details").prepend(el("p", { class: "notice", role: "status" }, "The P2P is cancelled and the time released."));
}

start();
