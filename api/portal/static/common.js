// Shared by the provider pages and the reviewer day view: the API key, calls to /v1/…,
// problem+json shown next to the fields it names, and times written in a chosen zone.
// Everything is built with textContent, never innerHTML, so no answer can inject markup.

const KEY = "p2p.apiKey";

/** Take a key handed over in the URL fragment (`#key=…`, never sent to the server) into
 *  session storage, and drop it from the address bar and history at once. */
export function takeKeyFromFragment() {
  const match = location.hash.match(/(?:^#|&)key=([^&]+)/);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    const rest = location.hash.replace(/(?:^#|&)key=[^&]+/, "").replace(/^&/, "");
    history.replaceState(null, "", location.pathname + (rest ? "#" + rest.replace(/^#/, "") : ""));
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A random UUID even where crypto.randomUUID is missing (plain http on a LAN address). */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class SignedOut extends Error {}

/** Call the API. Resolves to {ok, status, data}; `data` is the problem on failure.
 *  A 401 clears the stored key and throws SignedOut so the page can ask for it again. */
export async function call(method, path, body, { idempotencyKey } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${apiKey.get() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return {
      ok: false,
      status: 0,
      data: { detail: "The scheduling service could not be reached. Check your connection and try again." },
    };
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: `The service answered ${response.status} without a readable body.` };
  }
  if (response.status === 401) {
    apiKey.clear();
    throw new SignedOut((data && data.detail) || "Sign in again.");
  }
  return { ok: response.ok, status: response.status, data };
}

/** Run `work`; when the key is refused, ask for one, then `resume` (by default, `work` again). */
export async function guarded(work, resume = work) {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof SignedOut)) throw error;
    await signIn(error.message);
    return guarded(resume);
  }
}

/** "(555) 555-5555 ext. 12", or "" when there is no number. */
export function phone(number, ext) {
  return number ? number + (ext ? ` ext. ${ext}` : "") : "";
}

/** Build an element: el("p", {class: "x", hidden: true}, "text", child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A definition list from [term, description] pairs, skipping empty descriptions. */
export function facts(pairs) {
  return el(
    "dl",
    { class: "facts" },
    pairs.filter(([, value]) => value !== "" && value !== null && value !== undefined)
      .map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
  );
}

/** Clear the field errors and the summary of a form. */
export function clearProblem(form) {
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  for (const node of form.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  }
  const summary = form.querySelector(".problem");
  if (summary) {
    summary.hidden = true;
    summary.textContent = "";
  }
}

/** Show a problem+json answer: each `errors[].field` next to the control whose data-field
 *  names it, the `detail` (and errors no control owns) in the form's summary. */
export function showProblem(form, problem) {
  clearProblem(form);
  const summary = form.querySelector(".problem");
  const unplaced = [];
  let first = null;
  for (const error of (problem && problem.errors) || []) {
    const control = form.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
    if (!control) {
      unplaced.push(`${error.field}: ${error.message}`);
      continue;
    }
    const id = `error-${error.field.replace(/[^A-Za-z0-9]/g, "-")}`;
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", id);
    control.insertAdjacentElement("afterend", el("p", { class: "field-error", id }, error.message));
    first = first || control;
  }
  if (summary) {
    summary.replaceChildren(
      el("p", {}, (problem && problem.detail) || "Something went wrong. Try again."),
      ...unplaced.map((text) => el("p", {}, text)),
    );
    summary.hidden = false;
  }
  (first || summary)?.focus?.();
}

// ---- times ---------------------------------------------------------------------------------

const formatters = new Map();
function formatter(zone, options) {
  const key = zone + JSON.stringify(options);
  if (!formatters.has(key)) {
    formatters.set(key, new Intl.DateTimeFormat("en-US", { timeZone: zone, ...options }));
  }
  return formatters.get(key);
}

function parts(date, zone, options) {
  return Object.fromEntries(formatter(zone, options).formatToParts(date).map((p) => [p.type, p.value]));
}

/** The zone's abbreviation at an instant: "EST", "CDT", "MST" (Phoenix). */
export function zoneAbbr(zone, at = new Date()) {
  return parts(at, zone, { timeZoneName: "short" }).timeZoneName;
}

/** "6:30 pm EDT", as the seeds write slot times. */
export function timeLabel(iso, zone) {
  const p = parts(new Date(iso), zone, {
    hour: "numeric", minute: "2-digit", hour12: true, timeZoneName: "short",
  });
  return `${p.hour}:${p.minute} ${p.dayPeriod.toLowerCase()} ${p.timeZoneName}`;
}

/** "Mon 5/18" for an instant, in the zone. */
export function dayOf(iso, zone) {
  const p = parts(new Date(iso), zone, { weekday: "short", month: "numeric", day: "numeric" });
  return `${p.weekday} ${p.month}/${p.day}`;
}

/** "Mon 5/18 6:30 pm EDT". */
export function whenLabel(iso, zone) {
  return `${dayOf(iso, zone)} ${timeLabel(iso, zone)}`;
}

/** "Mon 5/18" for a calendar date ("2026-05-18"), which has no zone. */
export function dateLabel(isoDate) {
  return dayOf(`${isoDate}T12:00:00Z`, "UTC");
}

/** "5/18/2026" for a calendar date. */
export function longDate(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return `${m}/${d}/${y}`;
}

/** The calendar date of an instant in a zone, as "2026-05-18". */
export function localDate(iso, zone) {
  const p = parts(new Date(iso), zone, { year: "numeric", month: "2-digit", day: "2-digit" });
  return `${p.year}-${p.month}-${p.day}`;
}

/** A calendar date plus n days. */
export function addDays(isoDate, n) {
  const d = new Date(`${isoDate}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export const STATUSES = {
  pending_assignment: "Pending assignment",
  scheduled: "Scheduled",
  completed: "Completed",
  cancelled: "Cancelled",
  no_show: "No-show",
};

export const ROLES = {
  ordering_provider: "Ordering provider",
  nurse_practitioner: "Nurse practitioner",
  physician_assistant: "Physician assistant",
};

/** Show one <section> of the page and move focus to its heading for screen readers. */
export function show(sectionId) {
  for (const section of document.querySelectorAll("main > section")) {
    section.hidden = section.id !== sectionId;
  }
  const heading = document.querySelector(`#${sectionId} h1`);
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

/** The sign-in form: asks for the key once; resolves when one is stored. */
export function signIn(message) {
  return new Promise((resolve) => {
    const form = document.getElementById("signin-form");
    const note = document.getElementById("signin-note");
    note.textContent = message || "";
    note.hidden = !message;
    show("view-signin");
    form.onsubmit = (event) => {
      event.preventDefault();
      const value = form.elements["api-key"].value.trim();
      if (!value) {
        showProblem(form, { detail: "Enter the API key you were given.", errors: [{ field: "key", message: "is required" }] });
        return;
      }
      apiKey.set(value);
      form.reset();
      resolve();
    };
  });
}
