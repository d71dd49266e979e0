// Shared by the provider pages and the reviewer day view: signing in, calls to /v1/…,
// problem+json shown next to the fields it names, and times written in a chosen zone.
// Everything is built with textContent, never innerHTML, so no answer can inject markup.
//
// Signing in (SPEC §10: the pages hold no shared key). The credential is, in this order:
//  - a token handed over in the URL fragment (`#token=…`: the links `serve --demo` prints);
//  - when /portal/config.json names an issuer, its access token, after "Sign in" with the
//    issuer (oidc-client-ts: Authorization Code with PKCE, back to this page);
//  - an API key (`#key=…` or the sign-in form): back-office use, and the only way in when
//    there is neither an issuer nor a token.
// Whatever is in a token is read here for display only (name, practice, reviewer, expiry):
// the server checks every call and is the only authority.

const KEY = "p2p.apiKey";
const TOKEN = "p2p.token";
const NOTE = "p2p.signinNote";
const OIDC_CLIENT = "/portal/static/vendor/oidc-client-ts.min.js";
export const EXPIRED = "Your sign-in has expired. Sign in again.";
const REFUSED = "Your sign-in was not accepted. Sign in again.";

const session = {
  config: { oidc: null, demo: false },
  manager: null, // oidc-client-ts UserManager, when an issuer is configured
  user: null, // its signed-in User
};

/** Take a key or token handed over in the URL fragment (`#key=…`, `#token=…`: never sent to
 *  the server) into this tab's session storage, and drop it from the address bar and history
 *  at once; the rest of the fragment (a view such as `#/requests`) stays. */
export function takeCredentialFromFragment() {
  const found = location.hash.match(/(?:^#|&)(key|token)=([^&]+)/);
  if (!found) return false;
  const value = decodeURIComponent(found[2]);
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(TOKEN);
  sessionStorage.setItem(found[1] === "key" ? KEY : TOKEN, value);
  const rest = location.hash.replace(/(?:^#|&)(?:key|token)=[^&]+/, "").replace(/^#?&?/, "");
  history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  return true;
}

/** The payload of a JWT, or null when the credential is not one (an API key, an opaque
 *  token). Not verified: for showing who is signed in, never for deciding anything. */
export function jwtClaims(token) {
  const part = typeof token === "string" ? token.split(".")[1] : undefined;
  if (!part || token.split(".").length !== 3) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

function expired(claims) {
  return Boolean(claims && typeof claims.exp === "number" && claims.exp * 1000 <= Date.now());
}

/** Whether this tab's sign-in has run out: the issuer's by what oidc-client-ts counted from
 *  `expires_in` on this clock (not the token's `exp`: this clock may differ from the
 *  issuer's), a demo token by its `exp`. */
function ranOut(how, claims) {
  if (how === "oidc") return Boolean(session.user && session.user.expired);
  return how === "token" && expired(claims);
}

/** How this tab is signed in now: "token" (a demo link), "oidc", "key", or null. */
function kind() {
  if (sessionStorage.getItem(TOKEN)) return "token";
  if (session.user && session.user.access_token) return "oidc";
  if (sessionStorage.getItem(KEY)) return "key";
  return null;
}

function credential() {
  return { token: sessionStorage.getItem(TOKEN), oidc: session.user?.access_token, key: sessionStorage.getItem(KEY) }[kind()] || "";
}

/** Who is signed in, as far as the page can tell: {kind, expired, role, name, email,
 *  provider_org, reviewer_id, exp}, or null when nobody is. */
export function identity() {
  const how = kind();
  if (!how) return null;
  if (how === "key") return { kind: how };
  const claims = jwtClaims(credential()) || (how === "oidc" ? session.user.profile : null) || {};
  return {
    kind: how,
    expired: ranOut(how, claims),
    role: claims.p2p_role || null,
    name: claims.name || null,
    email: claims.email || null,
    provider_org: claims.provider_org || null,
    reviewer_id: claims.reviewer_id || null,
    exp: claims.exp || null,
  };
}

/** The person and what they act for: ["Front desk, Demo Clinic", "— demo-clinic"],
 *  ["Daniel Okafor, MD", "(rev-001)"], ["an API key", ""]. */
function who2(who) {
  if (who.kind === "key") return ["an API key", ""];
  const person = who.name || who.email || "you";
  if (who.role === "provider" && who.provider_org) return [person, `— ${who.provider_org}`];
  if (who.role === "reviewer" && who.reviewer_id) return [person, `(${who.reviewer_id})`];
  return [person, who.role ? `(${who.role})` : ""];
}

/** "Front desk, Demo Clinic — demo-clinic", "Daniel Okafor, MD (rev-001)", "an API key". */
export function describe(who) {
  return who ? who2(who).filter(Boolean).join(" ") : "";
}

/** Show who is signed in and the Sign out button in the page's header. */
function renderWho() {
  const who = identity();
  const box = document.getElementById("who");
  const out = document.getElementById("sign-out");
  if (box) {
    const [person, role] = who ? who2(who) : ["", ""];
    box.replaceChildren(...(who
      ? [who.kind === "key" ? "Signed in with " : "Signed in as ", el("strong", {}, person, role ? " " : "", role ? el("span", { class: "nowrap" }, role) : null)]
      : []));
    box.hidden = !who;
  }
  if (out) out.hidden = !who;
}

function forget() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(TOKEN);
  session.user = null;
}

async function loadConfig() {
  try {
    const response = await fetch("/portal/config.json", { headers: { Accept: "application/json" } });
    if (response.ok) return await response.json();
  } catch {
    // no config: keys only, as before there was an issuer
  }
  return { oidc: null, demo: false };
}

function loadOidcClient() {
  if (window.oidc) return Promise.resolve(window.oidc);
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = OIDC_CLIENT;
    script.onload = () => resolve(window.oidc);
    script.onerror = () => reject(new Error("The sign-in library could not be loaded."));
    document.head.append(script);
  });
}

/** A path of these pages to come back to after signing in or out (nothing else). */
function ownPath(target) {
  const path = target && typeof target.path === "string" ? target.path : "";
  const hash = target && typeof target.hash === "string" ? target.hash : "";
  return /^\/portal\/[A-Za-z0-9._\-/]*$/.test(path) ? path + (/^#\/[\w\-/]*$/.test(hash) ? hash : "") : null;
}

/** Start of every page: take a credential from the fragment, read the pages' config, finish
 *  a sign-in or sign-out that comes back from the issuer (`?code=…&state=…`), and say who
 *  is signed in. `home` is the path the issuer sends the browser back to ("/portal/" or
 *  "/portal/reviewers/"). Resolves to the identity, or null: then call signIn(). */
export async function startSession(home) {
  const handedOver = takeCredentialFromFragment();
  // A link with a new credential opened in this tab changes only the fragment: no page
  // load. Take it and start again (before the page's own hashchange handler sees it).
  window.addEventListener("hashchange", (event) => {
    if (!/(?:^#|&)(?:key|token)=/.test(location.hash)) return;
    event.stopImmediatePropagation();
    takeCredentialFromFragment();
    location.reload();
  });
  session.config = await loadConfig();
  const params = new URLSearchParams(location.search);
  if (session.config.oidc) {
    try {
      const oidc = await loadOidcClient();
      const store = new oidc.WebStorageStateStore({ store: window.sessionStorage });
      session.manager = new oidc.UserManager({
        authority: session.config.oidc.authority,
        client_id: session.config.oidc.client_id,
        scope: session.config.oidc.scope,
        redirect_uri: location.origin + home,
        post_logout_redirect_uri: location.origin + home,
        response_type: "code",
        automaticSilentRenew: false,
        userStore: store,
        stateStore: store,
      });
      // a link that hands over a token or key replaces the issuer's sign-in in this tab
      if (handedOver) await session.manager.removeUser();
      if (params.has("error") && !params.has("state")) {
        // refused at the issuer, which did not send our state back: nothing to finish
        history.replaceState(null, "", location.pathname + location.hash);
        throw new Error(params.get("error_description") || params.get("error"));
      } else if (params.has("state") && (params.has("code") || params.has("error"))) {
        const user = await session.manager.signinRedirectCallback();
        sessionStorage.removeItem(KEY);
        sessionStorage.removeItem(TOKEN);
        history.replaceState(null, "", ownPath(user.state) || location.pathname);
      } else if (params.has("state")) {
        await session.manager.signoutRedirectCallback();
        sessionStorage.setItem(NOTE, "You have signed out.");
        history.replaceState(null, "", location.pathname + location.hash);
      }
      session.user = await session.manager.getUser();
      if (session.user && session.user.expired) await renew();
    } catch (error) {
      if (params.has("state")) history.replaceState(null, "", location.pathname + location.hash);
      sessionStorage.setItem(NOTE, `Signing in did not work: ${error.message || error}. Try again.`);
    }
  }
  const who = identity();
  if (who && who.expired) {
    forget();
    if (session.manager) await session.manager.removeUser();
    sessionStorage.setItem(NOTE, EXPIRED);
  }
  renderWho();
  return identity();
}

/** Get a new access token with the refresh token, when the issuer gave one; else sign out
 *  locally. Resolves to whether there is a valid token now. */
async function renew() {
  if (session.manager && session.user && session.user.refresh_token) {
    try {
      session.user = await session.manager.signinSilent();
      if (session.user && !session.user.expired) return true;
    } catch {
      // the refresh token is spent or refused: sign in again
    }
  }
  if (session.manager) await session.manager.removeUser();
  session.user = null;
  return false;
}

/** A message left for the sign-in view (after a redirect), once. */
export function pendingNote() {
  const note = sessionStorage.getItem(NOTE);
  sessionStorage.removeItem(NOTE);
  return note;
}

/** Sign out: a demo token or key is dropped from this tab; with the issuer, its session is
 *  ended too when it offers that (end_session_endpoint), else this tab forgets the user. */
export async function signOut() {
  const how = kind();
  forget();
  if (how === "oidc" && session.manager) {
    let endSession = null;
    try {
      endSession = await session.manager.metadataService.getEndSessionEndpoint();
    } catch {
      endSession = null;
    }
    if (endSession) {
      await session.manager.signoutRedirect({ state: { path: location.pathname, hash: location.hash } });
      return;
    }
    await session.manager.removeUser();
  }
  sessionStorage.setItem(NOTE, "You have signed out.");
  location.reload();
}

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

async function send(method, path, body, idempotencyKey, accept = "application/json") {
  const headers = { Accept: accept, Authorization: `Bearer ${credential()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** Call the API. Resolves to {ok, status, data, text}; `data` is the JSON answer or, on
 *  failure, the problem; `text` the raw body (what a non-JSON `accept`, such as a CSV, wants).
 *  A 401 forgets the credential and throws SignedOut (saying why in plain words) so the
 *  page can ask for a sign-in again; an issuer's token is first renewed once, if it can be. */
export async function call(method, path, body, { idempotencyKey, accept } = {}) {
  const who = identity();
  let response;
  try {
    response = await send(method, path, body, idempotencyKey, accept);
    if (response.status === 401 && kind() === "oidc" && session.user.refresh_token && (await renew())) {
      response = await send(method, path, body, idempotencyKey, accept);
    }
  } catch {
    return {
      ok: false,
      status: 0,
      text: "",
      data: { detail: "The scheduling service could not be reached. Check your connection and try again." },
    };
  }
  const text = await response.text();
  let data = null;
  const json = !accept || !response.ok;
  try {
    data = text && json ? JSON.parse(text) : null;
  } catch {
    data = { detail: `The service answered ${response.status} without a readable body.` };
  }
  if (response.status === 401) {
    forget();
    if (session.manager) await session.manager.removeUser();
    renderWho();
    if (!who || who.kind === "key") throw new SignedOut((data && data.detail) || "Sign in again.");
    throw new SignedOut(who.expired || ranOut(who.kind, who) ? EXPIRED : REFUSED);
  }
  return { ok: response.ok, status: response.status, data, text };
}

/** Run `work`; when the sign-in is refused, ask for one, then `resume` (by default, `work` again). */
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

/** The words a person sees for a control: its <label>, without the required mark. */
function labelOf(control) {
  const label = control.labels && control.labels[0];
  return label ? label.textContent.replace(/\s*\*\s*$/, "").trim() : "";
}

/** Show a problem+json answer: each `errors[].field` next to the control whose data-field
 *  names it, and in the form's summary under that control's label ("Phone number for P2P:
 *  Enter a phone number …"), never the API's field path; the `detail` only when no error
 *  names a field (the detail then is the whole story). */
export function showProblem(form, problem) {
  clearProblem(form);
  const summary = form.querySelector(".problem");
  const lines = [];
  let unplaced = false;
  let first = null;
  for (const error of (problem && problem.errors) || []) {
    const control = form.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
    if (!control) {
      unplaced = true;
      continue;
    }
    lines.push(`${labelOf(control) || error.field}: ${error.message}`);
    const id = `error-${error.field.replace(/[^A-Za-z0-9]/g, "-")}`;
    control.setAttribute("aria-invalid", "true");
    control.setAttribute("aria-describedby", id);
    control.insertAdjacentElement("afterend", el("p", { class: "field-error", id }, error.message));
    first = first || control;
  }
  if (summary) {
    const detail = (problem && problem.detail) || "Something went wrong. Try again.";
    summary.replaceChildren(
      ...(lines.length
        ? [el("p", {}, "Check the fields below and send again:"), el("ul", {}, ...lines.map((text) => el("li", {}, text)))]
        : []),
      ...(lines.length && !unplaced ? [] : [el("p", {}, detail)]),
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

/** "Mon 5/18/2026" for an instant, in the zone: the pages' one way of writing a day, with
 *  the year, so a date read on a list, a heading or a summary is never ambiguous. */
export function dayOf(iso, zone) {
  const p = parts(new Date(iso), zone, { weekday: "short", year: "numeric", month: "numeric", day: "numeric" });
  return `${p.weekday} ${p.month}/${p.day}/${p.year}`;
}

/** "Mon 5/18/2026 6:30 pm EDT". */
export function whenLabel(iso, zone) {
  return `${dayOf(iso, zone)} ${timeLabel(iso, zone)}`;
}

/** "Mon 5/18/2026" for a calendar date ("2026-05-18"), which has no zone. */
export function dateLabel(isoDate) {
  return dayOf(`${isoDate}T12:00:00Z`, "UTC");
}

/** "5/18/2026" for a calendar date without its weekday: for a date of birth only. */
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
  rendering_provider: "Rendering provider",
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

/** Why a key is refused, or null: one cheap authenticated call (a page of one booking)
 *  before the key is kept, so a mistyped key is said at once, not at the next step. Only a
 *  401 refuses: a key that is valid but meant for other pages is sent on to them. */
async function keyRefused(value) {
  try {
    const response = await fetch("/v1/bookings?limit=1", {
      headers: { Accept: "application/json", Authorization: `Bearer ${value}` },
    });
    if (response.status !== 401) return null;
  } catch {
    return "The scheduling service could not be reached. Check your connection and try again.";
  }
  return "This API key is not recognised. Check it for typing errors, or ask your administrator for a new one.";
}

/** The sign-in view: "Sign in" with the issuer when there is one (the page goes there and
 *  comes back signed in, so this never resolves), else the key form (resolves when a key is
 *  stored). `message` says why (expired, refused, signed out). */
export function signIn(message) {
  return new Promise((resolve) => {
    const form = document.getElementById("signin-form");
    const note = document.getElementById("signin-note");
    const oidc = session.config.oidc;
    note.textContent = message || "";
    note.hidden = !message;
    renderWho();
    document.getElementById("signin-oidc").hidden = !oidc;
    document.getElementById("signin-demo").hidden = !(session.config.demo && !oidc);
    form.hidden = Boolean(oidc);
    show("view-signin");
    if (oidc) {
      document.getElementById("signin-issuer").textContent = new URL(oidc.authority).host;
      const button = document.getElementById("signin-oidc-button");
      button.disabled = !session.manager;
      button.onclick = async () => {
        button.disabled = true;
        try {
          await session.manager.signinRedirect({ state: { path: location.pathname, hash: location.hash } });
        } catch (error) {
          note.textContent = `The sign-in service could not be reached (${error.message || error}). Try again.`;
          note.hidden = false;
          button.disabled = false;
        }
      };
      return;
    }
    form.onsubmit = async (event) => {
      event.preventDefault();
      const value = form.elements["api-key"].value.trim();
      if (!value) {
        showProblem(form, { detail: "Enter the API key you were given.", errors: [{ field: "key", message: "Enter the API key you were given." }] });
        return;
      }
      const refused = await keyRefused(value);
      if (refused) {
        showProblem(form, { detail: refused, errors: [{ field: "key", message: refused }] });
        return;
      }
      sessionStorage.removeItem(TOKEN);
      sessionStorage.setItem(KEY, value);
      form.reset();
      renderWho();
      resolve();
    };
  });
}

/** "Dr. Jane Doe, MD — Orthopaedic surgery": who will call, as the booking discloses them
 *  (SPEC §11); the invite and the e-mails write the same. */
export function reviewerLabel(reviewer) {
  const label = [reviewer.name, reviewer.credentials].filter(Boolean).join(", ");
  return reviewer.specialty ? `${label} — ${reviewer.specialty}` : label;
}

const TIER_NAMES = ["1st", "2nd", "3rd"];

/** A week's slots as the seeds group them: a section per skill tier ("1st Priority by
 *  Skill"), each reviewer's week drawn by the page's own ``reviewerWeek(reviewer, days)``;
 *  ``empty`` is said when no tier has a time. Shared by the portal and the manage page. */
export function tierSections(availability, reviewerWeek, empty) {
  const days = [0, 1, 2, 3, 4, 5, 6].map((n) => addDays(availability.week_start, n));
  const groups = availability.tiers.map((tier) =>
    el("section", { class: "tier" },
      el("h2", {}, tier.label || `${TIER_NAMES[tier.tier - 1] || `${tier.tier}th`} Priority by Skill`),
      ...tier.reviewers.map((reviewer) => reviewerWeek(reviewer, days))));
  return groups.length ? groups : [el("p", { class: "notice" }, empty)];
}
