// The manage link's page (SPEC §11): the provider's own P2P, opened from an e-mail without a
// key. The link's token (in this page's URL) is the credential: every call sends it back as
// `?token=`, for this booking only. Times are in the booking's zone (the provider's).
import {
  dateLabel, el, facts, phone, reviewerLabel, ROLES, show, STATUSES, tierSections, whenLabel,
  zoneAbbr,
} from "./common.js";

const CANCEL_REASONS = {
  provider_unavailable: "I am not available",
  case_resolved: "The case was resolved",
  scheduled_in_error: "Scheduled in error",
  duplicate: "Duplicate request",
  other: "Other",
};
const SHOWN_PER_DAY = 4;

const $ = (id) => document.getElementById(id);
const bookingId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const token = new URLSearchParams(location.search).get("token") || "";
const state = { booking: null, availability: null, firstWeek: null, choice: null, expanded: new Set() };

/** Call the API with the link's token. Resolves to {ok, status, data}. */
async function call(method, suffix, body) {
  const path = `/v1/bookings/${encodeURIComponent(bookingId)}${suffix}?token=${encodeURIComponent(token)}`;
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", referrerPolicy: "no-referrer",
    });
  } catch {
    return { ok: false, status: 0, data: { detail: "The scheduling service could not be reached. Check your connection and try again." } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = { detail: `The service answered ${response.status} without a readable body.` };
  }
  return { ok: response.ok, status: response.status, data };
}

function failed(title, detail) {
  $("failed-title").textContent = title;
  $("failed-detail").textContent = detail;
  show("view-failed");
}

/** A refusal that ends what this link can do: a cancelled P2P (410), a replaced link. */
function linkGone(answer) {
  if (answer.status === 410) {
    failed("This P2P was cancelled", `${answer.data.detail} To request a new one, look the case up again in your portal.`);
    return true;
  }
  if (answer.status === 403 || answer.status === 404) {
    failed("This link is not valid", answer.data.detail);
    return true;
  }
  return false;
}

async function load() {
  const answer = await call("GET", "");
  if (!answer.ok) {
    if (!linkGone(answer)) failed("Your P2P could not be loaded", answer.data.detail);
    return;
  }
  renderBooking(answer.data);
}

function bookingFacts(b) {
  const c = b.contact;
  const zone = b.time_zone;
  return facts([
    ["Status", STATUSES[b.status] || b.status],
    ["P2P time", b.start ? `${whenLabel(b.start, zone)} (${b.duration_minutes} minutes)` : "Not assigned yet"],
    ["Reviewer", b.reviewer ? reviewerLabel(b.reviewer) : "Not assigned yet"],
    ["Case(s)", b.cases.map((k) => `${k.case_number} (${k.level_of_review_label || k.level_of_review})`).join(", ")],
    ["Provider", `${c.provider_name} (${ROLES[c.provider_role] || c.provider_role})`],
    ["Contact person", [c.contact_name, c.contact_location].filter(Boolean).join(", ")],
    ["Phone number the reviewer calls", phone(c.phone, c.phone_ext)],
    ["Alternate phone", phone(c.alt_phone, c.alt_phone_ext)],
    ["E-mail", c.email],
    ["Contact instructions", c.instructions],
  ]);
}

function renderBooking(booking, note) {
  state.booking = booking;
  const zone = booking.time_zone;
  const scheduled = booking.status === "scheduled";
  $("zone-indicator").textContent = `Times in ${zone.replace(/_/g, " ")} (${zoneAbbr(zone)})`;
  $("booking-title").textContent = booking.status === "cancelled" ? "This P2P was cancelled" : "Your P2P";
  const was = booking.status === "cancelled" ? "Was " : "";
  $("booking-when").textContent = booking.start
    ? `${was}${whenLabel(booking.start, zone)}`
    : "A time will be assigned and sent to you by e-mail.";
  $("booking-note").textContent = note || "";
  $("booking-note").hidden = !note;
  $("booking-details").replaceChildren(bookingFacts(booking));
  const ics = $("add-to-calendar");
  const invite = booking.links && booking.links.invite_ics;
  ics.hidden = !(scheduled && invite);
  if (scheduled && invite) {
    const url = new URL(invite);
    url.searchParams.set("download", "1");
    ics.href = `${url.pathname}${url.search}`;
    ics.setAttribute("download", `p2p-${booking.start.slice(0, 10)}.ics`);
  }
  $("reschedule-button").hidden = !scheduled;
  $("cancel-button").hidden = !(scheduled || booking.status === "pending_assignment");
  $("cancel-form").hidden = true;
  show("view-booking");
}

// ---- cancel --------------------------------------------------------------------------------

function wireCancel() {
  $("cancel-reason").replaceChildren(
    el("option", { value: "" }, "Choose a reason"),
    ...Object.entries(CANCEL_REASONS).map(([code, label]) => el("option", { value: code }, label)),
  );
  $("cancel-button").onclick = () => {
    $("cancel-form").hidden = false;
    $("cancel-reason").focus();
  };
  $("cancel-back").onclick = () => {
    $("cancel-form").hidden = true;
    $("cancel-button").focus();
  };
  $("cancel-form").onsubmit = async (event) => {
    event.preventDefault();
    const form = $("cancel-form");
    const summary = form.querySelector(".problem");
    const reason = $("cancel-reason").value;
    const text = $("cancel-text").value.trim();
    const refuse = (message, control) => {
      summary.replaceChildren(el("p", {}, message));
      summary.hidden = false;
      control.focus();
    };
    if (!reason) return refuse("Choose why the P2P is cancelled.", $("cancel-reason"));
    if (reason === "other" && !text) return refuse("Say in a few words why the P2P is cancelled.", $("cancel-text"));
    const answer = await call("POST", "/cancel", { reason_code: reason, reason_text: text });
    if (!answer.ok) {
      if (!linkGone(answer)) refuse(answer.data.detail, $("cancel-reason"));
      return;
    }
    renderBooking(answer.data, "The reviewer and the health plan have been told. This link no longer works; to request a new P2P, look the case up again in your portal.");
  };
}

// ---- reschedule: a week of times, the same way the portal offers them -----------------------

async function loadSlots(weekStart) {
  const body = { time_zone: state.booking.time_zone };
  if (weekStart) body.week_start = weekStart;
  const answer = await call("POST", "/availability", body);
  const problem = $("slots-problem");
  if (!answer.ok) {
    if (linkGone(answer)) return;
    problem.replaceChildren(el("p", {}, answer.data.detail));
    problem.hidden = false;
    show("view-slots");
    problem.focus();
    return;
  }
  problem.hidden = true;
  state.availability = answer.data;
  state.firstWeek = state.firstWeek || answer.data.week_start;
  state.expanded.clear();
  state.choice = null;
  $("move-confirm").hidden = true;
  renderSlots();
  show("view-slots");
}

function renderSlots() {
  const a = state.availability;
  const b = state.booking;
  $("slots-from").textContent = `Now: ${whenLabel(b.start, b.time_zone)} with ${reviewerLabel(b.reviewer)}. Times are in ${b.time_zone.replace(/_/g, " ")} (${zoneAbbr(b.time_zone)}).`;
  $("week-label").textContent = `${dateLabel(a.week_start)} - ${dateLabel(a.week_end)}`;
  $("prev-week").disabled = a.week_start <= state.firstWeek;
  $("slot-groups").replaceChildren(
    ...tierSections(a, reviewerWeek, "No open P2P times this week. Try the next week."));
}

function reviewerWeek(reviewer, days) {
  const byDate = Object.fromEntries(reviewer.days.map((d) => [d.date, d]));
  const open = days.filter((day) => (byDate[day]?.slots || []).length);
  return el("section", { class: "reviewer" },
    el("h3", {}, reviewerLabel(reviewer)),
    el("div", { class: "week" },
      ...open.map((day) => {
        const slots = byDate[day].slots;
        const key = `${reviewer.reviewer_id}|${day}`;
        const shown = state.expanded.has(key) ? slots : slots.slice(0, SHOWN_PER_DAY);
        const headingId = `day-${reviewer.reviewer_id}-${day}`;
        return el("div", { class: "day", role: "group", "aria-labelledby": headingId },
          el("h4", { id: headingId }, dateLabel(day)),
          el("ul", {}, ...shown.map((slot) => el("li", {},
            el("button", {
              type: "button", class: "slot",
              "aria-label": `${whenLabel(slot.start, state.booking.time_zone)} with ${reviewer.name}`,
              onclick: () => choose(reviewer, slot),
            }, slot.label)))),
          slots.length > shown.length
            ? el("button", {
              type: "button", class: "link more",
              "aria-label": `Show more times on ${dateLabel(day)} with ${reviewer.name}`,
              onclick: () => {
                state.expanded.add(key);
                renderSlots();
              },
            }, "Show more...")
            : null);
      })));
}

function choose(reviewer, slot) {
  const b = state.booking;
  state.choice = { reviewer, slot };
  $("move-summary").textContent =
    `Move your P2P from ${whenLabel(b.start, b.time_zone)} to ${whenLabel(slot.start, b.time_zone)} ` +
    `with ${reviewer.name}, ${reviewer.credentials}?`;
  $("move-confirm").hidden = false;
  $("move-confirm-button").focus();
}

async function confirmMove() {
  const { reviewer, slot } = state.choice;
  const answer = await call("POST", "/reschedule", { start: slot.start, reviewer_id: reviewer.reviewer_id });
  if (!answer.ok) {
    if (linkGone(answer)) return;
    const problem = $("slots-problem");
    problem.replaceChildren(el("p", {}, answer.data.detail));
    problem.hidden = false;
    if (answer.status === 409) await loadSlots(state.availability.week_start);
    problem.hidden = false;
    problem.focus();
    return;
  }
  const b = answer.data;
  renderBooking(b, `Your P2P was moved to ${whenLabel(b.start, b.time_zone)}. An updated invite was sent to ${b.contact.email}; this link keeps working.`);
}

function wireSlots() {
  $("reschedule-button").onclick = () => {
    state.firstWeek = null;
    loadSlots();
  };
  $("prev-week").onclick = () => loadSlots(state.availability.previous_week_start);
  $("next-week").onclick = () => loadSlots(state.availability.next_week_start);
  $("slots-back").onclick = () => renderBooking(state.booking);
  $("move-cancel-button").onclick = () => {
    $("move-confirm").hidden = true;
    state.choice = null;
  };
  $("move-confirm-button").onclick = confirmMove;
}

wireCancel();
wireSlots();
load();
