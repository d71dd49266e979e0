// The reviewer's day view: today's and this week's P2Ps in the reviewer's own zone, with what
// the call needs (case numbers, level of review, call-back number, instructions), buttons to
// record the outcome or a no-show, and the calendar feed URL.
import {
  ROLES, STATUSES, call, clearProblem, dateLabel, dayOf, describe, el, facts, guarded, localDate,
  pendingNote, phone, show, showProblem, signIn, signOut, startSession, timeLabel, zoneAbbr,
} from "./common.js";

const OUTCOMES = {
  upheld: "Decision upheld",
  overturned: "Decision overturned",
  modified: "Decision modified",
  information_only: "Information only (consultative)",
};
const PARTIES = { provider: "The provider did not answer", reviewer: "The reviewer could not attend" };
// What the reviewer records, and what they confirm before it is sent (SPEC §9: no preselected
// outcome, a confirmation step).
const RECORDS = {
  complete: {
    field: "outcome", label: "Outcome", choices: OUTCOMES, placeholder: "Choose the outcome…",
    submit: "Save outcome", notes: "Outcome notes", path: "complete",
    question: (choice, call) => `Record “${choice}” for ${call}?`,
    effect: "This is sent to the provider.",
  },
  noShow: {
    field: "party", label: "Who did not answer", choices: PARTIES, placeholder: "Choose who did not answer…",
    submit: "Record no-show", notes: "No-show notes", path: "no-show",
    question: (choice, call) => `Record a no-show (“${choice}”) for ${call}?`,
    effect: "This closes the P2P as a no-show.",
  },
};

const $ = (id) => document.getElementById(id);
const idInPath = () => decodeURIComponent(location.pathname.replace(/^\/portal\/reviewers\/?/, "").replace(/\/$/, ""));
let reviewerId = ""; // whose day view this is (read once signed in: see ownDayView)
let current = null; // this week's agenda (for "Today")
let shown = null; // the week on screen
let clockOffset = 0; // the service's clock minus this browser's, from the last agenda answer
let startTimer = null; // re-renders when the next call starts, to offer recording it

async function start() {
  let who = await startSession("/portal/reviewers/");
  $("sign-out").onclick = signOut;
  if (!who) {
    await signIn(pendingNote());
    who = { kind: "key" };
  }
  if (who.role === "provider") {
    $("elsewhere-note").textContent =
      `You are signed in as ${describe(who)}, a practice. The day view is for the plan's reviewers.`;
    $("elsewhere-link").replaceChildren(el("a", { href: "/portal/", class: "button" }, "Open the provider pages"));
    show("view-elsewhere");
    return;
  }
  reviewerId = ownDayView(who);
  if (!reviewerId) {
    show("view-pick");
    $("pick-form").onsubmit = (event) => {
      event.preventDefault();
      const id = event.target.elements["reviewer-id"].value.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) {
        showProblem(event.target, {
          detail: "Enter your reviewer ID, e.g. rev-001.",
          errors: [{ field: "reviewer_id", message: "letters, digits, '.', '_' or '-'" }],
        });
        return;
      }
      location.pathname = `/portal/reviewers/${encodeURIComponent(id)}`;
    };
    return;
  }
  $("prev-week").onclick = () => guarded(() => loadWeek(shown.previous_week_start));
  $("next-week").onclick = () => guarded(() => loadWeek(shown.next_week_start));
  await guarded(() => loadWeek(null));
}

/** The reviewer whose day view to show: the one in the path, except that a reviewer's own
 *  sign-in always shows their own (another reviewer's would only answer "not found"). */
function ownDayView(who) {
  const asked = idInPath();
  if (who.role !== "reviewer" || !who.reviewer_id || asked === who.reviewer_id) return asked;
  history.replaceState(null, "", `/portal/reviewers/${encodeURIComponent(who.reviewer_id)}`);
  if (asked) {
    const note = $("agenda-note");
    note.textContent = `You are signed in as ${describe(who)}, so this is your day view; ` +
      `a reviewer sees only their own, not ${asked}'s.`;
    note.hidden = false;
  }
  return who.reviewer_id;
}

async function fetchWeek(weekStart) {
  const query = weekStart ? `?week_start=${weekStart}` : "";
  return call("GET", `/v1/reviewers/${encodeURIComponent(reviewerId)}/agenda${query}`);
}

async function loadWeek(weekStart) {
  const answer = await fetchWeek(weekStart);
  if (!answer.ok) {
    $("agenda-title").textContent = "P2P schedule";
    const box = $("agenda-problem");
    box.replaceChildren(el("p", {}, answer.data.detail));
    box.hidden = false;
    show("view-agenda");
    return;
  }
  $("agenda-problem").hidden = true;
  clockOffset = Date.parse(answer.data.now) - Date.now();
  shown = answer.data;
  if (!weekStart) current = answer.data;
  render();
  show("view-agenda");
}

function render() {
  const zone = shown.time_zone;
  $("agenda-title").textContent = `${shown.name}, ${shown.credentials} — P2P schedule`;
  $("zone-indicator").textContent = `Times in ${zone} (${zoneAbbr(zone)})`;
  $("agenda-zone").textContent = `All times are in your time zone, ${zone} (${zoneAbbr(zone)}).`;
  const todays = current.bookings.filter((b) => localDate(b.start, zone) === current.today);
  $("today-title").textContent = `Today — ${dateLabel(current.today)}`;
  $("today").replaceChildren(
    ...(todays.length ? todays.map((b) => card(b, zone, "today")) : [el("p", {}, "No P2Ps today.")]),
  );
  const isCurrent = shown.week_start === current.week_start;
  $("week-title").textContent =
    `${isCurrent ? "This week" : "Week of"} ${dateLabel(shown.week_start)} - ${dateLabel(shown.week_end)}`;
  // Today's calls are above with their record forms; the current week lists the other days,
  // so a call never shows twice (two forms for one call invite recording it twice).
  const days = [];
  for (const booking of shown.bookings) {
    const day = localDate(booking.start, zone);
    if (isCurrent && day === current.today) continue;
    if (!days.length || days[days.length - 1][0] !== day) days.push([day, []]);
    days[days.length - 1][1].push(booking);
  }
  $("week").replaceChildren(
    ...(days.length
      ? days.map(([day, bookings]) => el("section", { class: "agenda-day" },
        el("h3", {}, dateLabel(day)),
        ...bookings.map((b) => card(b, zone, "week"))))
      : [el("p", {}, isCurrent && todays.length ? "No other P2Ps this week." : "No P2Ps this week.")]),
  );
  $("feed-url").value = shown.calendar_feed_url;
  wakeAtNextStart();
}

/** The service's time now: the API refuses a record before the call starts by its clock,
 *  so the page judges "started" by it too, not by this computer's. */
const serviceNow = () => Date.now() + clockOffset;
const hasStarted = (booking) => Date.parse(booking.start) <= serviceNow();

/** When the next scheduled call on screen starts, render again so it can be recorded. */
function wakeAtNextStart() {
  clearTimeout(startTimer);
  const next = [...current.bookings, ...shown.bookings]
    .filter((b) => b.status === "scheduled" && !hasStarted(b))
    .map((b) => Date.parse(b.start) - serviceNow());
  if (next.length) startTimer = setTimeout(render, Math.min(Math.min(...next) + 500, 2 ** 31 - 1));
}

function card(booking, zone, where) {
  const c = booking.contact;
  const id = `${where}-${booking.id}`;
  const node = el("article", { class: `p2p ${booking.status}`, "aria-labelledby": `${id}-title` },
    el("h4", { id: `${id}-title` },
      `${timeLabel(booking.start, zone)} – ${timeLabel(booking.end, zone)} `,
      el("span", { class: `status ${booking.status}` }, STATUSES[booking.status] || booking.status)),
    facts([
      ["Case(s)", booking.cases.map((k) => `${k.case_number} — ${k.level_of_review_label || k.level_of_review}`).join("; ")],
      ["Call-back number", phone(c.phone, c.phone_ext)],
      ["Alternate phone", phone(c.alt_phone, c.alt_phone_ext)],
      ["Provider", `${c.provider_name} (${ROLES[c.provider_role] || c.provider_role})`],
      ["Contact person", [c.contact_name, c.contact_location].filter(Boolean).join(", ")],
      ["Instructions", c.instructions],
      ["Outcome", booking.outcome ? booking.outcome.label : ""],
    ]));
  if (booking.status === "scheduled") {
    node.append(hasStarted(booking) ? recordForms(booking, id, zone) : notStarted(booking, zone));
  }
  return node;
}

/** A call that has not begun cannot have its outcome or a no-show recorded (SPEC §9). */
function notStarted(booking, zone) {
  const today = localDate(booking.start, zone) === localDate(new Date(serviceNow()).toISOString(), zone);
  const at = `${today ? "" : `on ${dayOf(booking.start, zone)} `}at ${timeLabel(booking.start, zone)}`;
  return el("p", { class: "hint not-started" },
    `You can record the outcome once the call has started ${at}.`);
}

function recordForms(booking, id, zone) {
  const completeForm = outcomeForm(`${id}-complete`, RECORDS.complete, booking, zone);
  const noShowForm = outcomeForm(`${id}-noshow`, RECORDS.noShow, booking, zone);
  const open = (form) => () => {
    completeForm.hidden = form !== completeForm;
    noShowForm.hidden = form !== noShowForm;
    form.querySelector("select").focus();
  };
  return el("div", { class: "record" },
    el("p", { class: "actions" },
      el("button", { type: "button", onclick: open(completeForm) }, "Record completed"),
      el("button", { type: "button", class: "secondary", onclick: open(noShowForm) }, "Record no-show")),
    completeForm,
    noShowForm);
}

/** The form of one record: nothing chosen until the reviewer chooses (the submit button
 *  waits for it), then a confirmation naming what will be recorded for which call. */
function outcomeForm(id, kind, booking, zone) {
  const { field, choices } = kind;
  const select = el("select", { id: `${id}-${field}`, name: field, required: true, dataset: { field } },
    el("option", { value: "", selected: true, disabled: true }, kind.placeholder),
    ...Object.entries(choices).map(([code, name]) => el("option", { value: code }, name)));
  const submit = el("button", { type: "submit", disabled: true }, kind.submit);
  const question = el("p", { id: `${id}-question`, class: "question" });
  const confirm = el("div", {
    class: "confirm notice warn", role: "alertdialog", "aria-labelledby": `${id}-question`, hidden: true,
  },
  question,
  el("p", { class: "actions" },
    el("button", { type: "button", class: "confirm-button", onclick: () => send() }, "Confirm"),
    el("button", { type: "button", class: "secondary", onclick: () => back() }, "Go back")));
  const form = el("form", { class: "panel", novalidate: true, hidden: true },
    el("div", { class: "problem", role: "alert", tabindex: "-1", hidden: true }),
    el("div", { class: "field" }, el("label", { for: select.id }, kind.label), select),
    el("div", { class: "field" },
      el("label", { for: `${id}-notes` }, `${kind.notes} (optional)`),
      el("textarea", { id: `${id}-notes`, name: "notes", rows: "2", dataset: { field: "notes" } })),
    el("p", { class: "actions" }, submit),
    confirm);
  const editing = (on) => {
    for (const control of [select, form.elements.notes]) control.disabled = !on;
    submit.hidden = !on;
    confirm.hidden = on;
  };
  const back = () => {
    editing(true);
    select.focus();
  };
  select.addEventListener("change", () => { submit.disabled = !select.value; });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!select.value) return;
    clearProblem(form);
    const which = `the ${timeLabel(booking.start, zone)} call with ${booking.contact.provider_name}`;
    question.replaceChildren(
      el("strong", {}, kind.question(choices[select.value], which)), " ", kind.effect);
    editing(false);
    confirm.querySelector(".confirm-button").focus();
  });
  const send = () => guarded(async () => {
    const body = { [field]: select.value, notes: form.elements.notes.value.trim() };
    const answer = await call("POST", `/v1/bookings/${booking.id}/${kind.path}`, body);
    if (!answer.ok) {
      editing(true);
      showProblem(form, answer.data);
      return;
    }
    const refreshed = await fetchWeek(null);
    if (refreshed.ok) {
      current = refreshed.data;
      clockOffset = Date.parse(current.now) - Date.now();
    }
    if (shown.week_start === current.week_start) shown = current;
    else {
      const again = await fetchWeek(shown.week_start);
      if (again.ok) shown = again.data;
    }
    render();
    $("week-title").focus();
  });
  return form;
}

start();
