// dronewall web map: wires the REST API, the WebSocket stream, the map and the side panels.
//
// State layout: tracks are kept as one object per track (Map track_id -> Track), decoded from the
// stream's columnar rows; alerts and proposals by id. The map is redrawn at most once per animation
// frame. In replay (slider moved), the map shows GET /tracks?at=T and the live stream keeps updating the
// state underneath, so "Back to live" is instant. Over live sensor inputs (health mode "ingest") there is
// no scenario to control: the header names the inputs (GET /inputs) instead of showing the controls, and
// the sensors are reloaded as they first report.
import "./style.css";
import { ApiError, describeError, makeApi } from "./api.js";
import { openStream } from "./stream.js";
import { createMap, escapeHtml, fmtKm } from "./map.js";

const ROLE_RANK = { viewer: 0, operator: 1, commander: 2, admin: 3 };
const TOKEN_KEY = "dronewall.token";
const TRACK_COLUMNS = ["track_id", "status", "lat", "lon", "alt_m", "ve", "vn", "vu", "sigma_h_m", "object_class", "identity", "threat"];
const LEVEL_RANK = { none: 0, info: 0, watch: 1, warning: 2, alarm: 3, critical: 4 };
const MAX_ALERTS_SHOWN = 200;

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);

function takeToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get("token");
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const state = {
  me: null,
  rank: -1,
  status: {},
  seq: null,
  t: null,
  tracks: new Map(),
  alerts: new Map(),
  proposals: new Map(),
  replayT: null, // null: live
  replayTracks: [],
  selected: null,
  gaps: 0,
};

function banner(text, kind = "error") {
  const b = $("banner");
  if (!text) {
    b.hidden = true;
    return;
  }
  b.hidden = false;
  b.textContent = text;
  b.dataset.kind = kind;
}

function fmtTime(t) {
  if (!Number.isFinite(t)) return "--:--:--";
  return new Date(t * 1000).toISOString().slice(11, 19) + "Z";
}

function fmtElapsed(t) {
  const t0 = state.status.t_start;
  if (!Number.isFinite(t) || !Number.isFinite(t0)) return "";
  const s = Math.max(0, Math.round(t - t0));
  return `T+${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function fmtEur(x) {
  if (!Number.isFinite(Number(x))) return "–";
  return `€${Math.round(Number(x)).toLocaleString("en")}`;
}

// ---------------------------------------------------------------- tracks from columns

/** Rows of a Columns object (equal-length arrays) as Track objects; a bad message is reported, not applied. */
function rowsOf(cols) {
  if (!cols || !Array.isArray(cols.track_id)) return [];
  const n = cols.track_id.length;
  for (const c of TRACK_COLUMNS) {
    if (cols[c] !== undefined && (!Array.isArray(cols[c]) || cols[c].length !== n))
      throw new Error(`stream: column ${c} has ${Array.isArray(cols[c]) ? cols[c].length : "no"} rows, track_id has ${n}`);
  }
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = {};
    for (const c of TRACK_COLUMNS) if (cols[c] !== undefined) t[c] = cols[c][i];
    out[i] = t;
  }
  return out;
}

// ---------------------------------------------------------------- app

const token = takeToken();
// Optional initial view from the URL: ?view=LAT,LON,ZOOM (kept in the URL so that it can be shared).
const initialView = (() => {
  const v = new URL(location.href).searchParams.get("view");
  const parts = v ? v.split(",").map(Number) : [];
  return parts.length === 3 && parts.every(Number.isFinite) ? parts : null;
})();
const api = token ? makeApi(token) : null;
const mapEl = document.getElementById("map");
const view = createMap(mapEl, { onSelectTrack: selectTrack, initialView });
view.loadBasemap(new URL("assets/basemap-benelux.geojson", document.baseURI)).catch((e) => {
  mapEl.dataset.basemap = "error";
  banner(`Base map failed to load: ${e.message}`);
});

let dirty = false;
function invalidate() {
  if (dirty) return;
  dirty = true;
  requestAnimationFrame(render);
}

function render() {
  dirty = false;
  const live = state.replayT === null;
  const list = live ? [...state.tracks.values()] : state.replayTracks;
  view.setShowTrails(live);
  $("track-count").textContent = String(view.renderTracks(list, state.selected));
  const t = live ? state.t ?? state.status.t : state.replayT;
  $("clock").textContent = `${fmtTime(t)} ${fmtElapsed(t)}`;
  $("clock").dataset.t = String(t);
  renderStatus();
  renderAlerts();
  renderProposals();
  renderDetail(list);
  renderSlider();
}

function renderStatus() {
  const s = state.status;
  const ingest = s.mode === "ingest";
  if (ingest) $("mode").textContent = `live inputs${s.run_id == null ? " · waiting for data" : ""}`;
  else $("mode").textContent = s.mode ? `${s.mode}${s.paused ? " · paused" : ""}${s.speed ? ` · ${s.speed}×` : ""}` : "–";
  $("mode").dataset.mode = s.mode || "";
  $("mode").dataset.paused = String(Boolean(s.paused));
  // The scenario controls answer 409 over live inputs: hidden there, and until the mode is known.
  const controls = $("scenario-controls");
  if (controls) controls.hidden = !s.mode || ingest;
  inputsEl.hidden = !ingest;
  const sel = $("scenario-speed");
  // Only a live scenario has a speed to set: a recorded run (replay mode) answers 409.
  if (sel) {
    sel.disabled = s.mode !== "live";
    sel.title = sel.disabled ? "a recorded run has no speed: move the time slider" : "run speed";
  }
  if (s.speed !== undefined && sel) {
    if (document.activeElement !== sel && ![...sel.options].some((o) => Number(o.value) === Number(s.speed))) {
      const o = document.createElement("option");
      o.value = String(s.speed);
      o.textContent = `${s.speed}×`;
      sel.append(o);
    }
    if (document.activeElement !== sel) sel.value = [...sel.options].find((o) => Number(o.value) === Number(s.speed))?.value ?? sel.value;
  }
  if ($("scenario-pause")) {
    const idle = s.running === false; // a finished run or a recorded one: nothing to pause
    $("scenario-pause").disabled = idle || Boolean(s.paused);
    $("scenario-resume").disabled = idle || !s.paused;
  }
}

// ---------------------------------------------------------------- alerts

const alertEls = new Map();

/** Items raised up to the shown time: all when live, those with t <= T in replay. */
function upToShownTime(items) {
  if (state.replayT === null) return items;
  return items.filter((x) => !(Number(x.t) > state.replayT));
}

function renderAlerts() {
  const list = upToShownTime([...state.alerts.values()]).sort(
    (a, b) => Number(a.acknowledged) - Number(b.acknowledged) || (LEVEL_RANK[b.level] ?? 0) - (LEVEL_RANK[a.level] ?? 0) || b.t - a.t,
  );
  const shown = list.slice(0, MAX_ALERTS_SHOWN);
  $("alert-count").textContent = String(list.filter((a) => !a.acknowledged).length);
  const ol = $("alert-list");
  const keep = new Set(shown.map((a) => a.alert_id));
  for (const [id, el] of alertEls) if (!keep.has(id)) {
    el.remove();
    alertEls.delete(id);
  }
  shown.forEach((a, i) => {
    let el = alertEls.get(a.alert_id);
    if (!el) {
      el = document.createElement("li");
      el.dataset.testid = "alert-item";
      el.dataset.alertId = a.alert_id;
      el.innerHTML = `<div class="head"><span class="level"></span><span class="when"></span><span class="who"></span></div><div class="text"></div><div class="actions"></div><div class="error" data-testid="alert-error"></div>`;
      el.querySelector(".text").addEventListener("click", () => a.track_id != null && selectTrack(a.track_id));
      alertEls.set(a.alert_id, el);
    }
    if (ol.children[i] !== el) ol.insertBefore(el, ol.children[i] || null);
    const sig = `${a.level}|${a.acknowledged}|${a.acknowledged_by}|${a.text}|${state.rank}`;
    if (el.dataset.sig === sig) return;
    el.dataset.sig = sig;
    el.dataset.level = a.level;
    el.dataset.acknowledged = String(Boolean(a.acknowledged));
    el.className = `alert level-${a.level} ${a.acknowledged ? "acked" : ""}`;
    el.querySelector(".level").textContent = a.level;
    el.querySelector(".when").textContent = `${fmtTime(a.t)} ${a.site ? "· " + a.site : ""} ${a.track_id != null ? "· T" + a.track_id : ""}`;
    el.querySelector(".who").textContent = a.acknowledged ? `ack ${a.acknowledged_by ?? ""}` : "";
    el.querySelector(".text").textContent = a.text || a.kind || "";
    const actions = el.querySelector(".actions");
    actions.textContent = "";
    if (!a.acknowledged && state.rank >= ROLE_RANK.operator) {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.testid = "alert-ack";
      b.textContent = "Acknowledge";
      b.addEventListener("click", () => acknowledge(a.alert_id, el, b));
      actions.append(b);
    }
  });
}

async function acknowledge(id, el, button) {
  button.disabled = true;
  el.querySelector(".error").textContent = "";
  try {
    const a = await api.post(`alerts/${encodeURIComponent(id)}/acknowledge`, {});
    if (a && a.alert_id) state.alerts.set(a.alert_id, a);
  } catch (e) {
    el.querySelector(".error").textContent = describeError(e);
    button.disabled = false;
  }
  invalidate();
}

// ---------------------------------------------------------------- proposals

const proposalEls = new Map();

function renderProposals() {
  const list = upToShownTime([...state.proposals.values()]).sort(
    (a, b) => Number(b.state === "proposed") - Number(a.state === "proposed") || b.t - a.t,
  );
  $("proposal-count").textContent = String(list.filter((p) => p.state === "proposed").length);
  const box = $("proposal-list");
  const keep = new Set(list.map((p) => p.proposal_id));
  for (const [id, el] of proposalEls) if (!keep.has(id)) {
    el.remove();
    proposalEls.delete(id);
  }
  list.forEach((p, i) => {
    let el = proposalEls.get(p.proposal_id);
    if (!el) {
      el = buildProposalCard(p);
      proposalEls.set(p.proposal_id, el);
    }
    if (box.children[i] !== el) box.insertBefore(el, box.children[i] || null);
    updateProposalCard(el, p);
  });
}

function buildProposalCard(p) {
  const el = document.createElement("article");
  el.className = "proposal";
  el.dataset.testid = "proposal-card";
  el.dataset.proposalId = p.proposal_id;
  el.innerHTML = `
    <div class="head"><b data-testid="proposal-effector"></b><span class="state" data-testid="proposal-state"></span></div>
    <div class="facts"><span data-testid="proposal-target"></span> · <span data-testid="proposal-unit"></span> ·
      Pk <b data-testid="proposal-pk"></b> · cost <b data-testid="proposal-cost"></b> · <span data-testid="proposal-expires"></span></div>
    <p class="why" data-testid="proposal-explanation"></p>
    <details><summary>Alternatives (<span class="n-alt"></span>)</summary>
      <table data-testid="proposal-alternatives"><thead><tr><th>effector</th><th>Pk</th><th>cost</th><th>why not</th></tr></thead><tbody></tbody></table>
    </details>
    <div class="decide" data-testid="proposal-decide">
      <textarea data-testid="proposal-reason" maxlength="500" rows="2" placeholder="Reason (required, recorded in the audit log)"></textarea>
      <button type="button" class="approve" data-testid="proposal-approve" disabled>Approve</button>
      <button type="button" class="reject" data-testid="proposal-reject" disabled>Reject</button>
    </div>
    <div class="readonly" data-testid="proposal-readonly"></div>
    <div class="error" data-testid="proposal-error" role="alert"></div>`;
  const reason = el.querySelector("textarea");
  const approve = el.querySelector(".approve");
  const reject = el.querySelector(".reject");
  const sync = () => {
    const ok = reason.value.trim().length > 0 && !el.classList.contains("busy");
    approve.disabled = !ok;
    reject.disabled = !ok;
  };
  reason.addEventListener("input", sync);
  approve.addEventListener("click", () => decide(el, "approve"));
  reject.addEventListener("click", () => decide(el, "reject"));
  el.querySelector(".head").addEventListener("click", () => selectTrack(Number(el.dataset.trackId)));
  el._sync = sync;
  return el;
}

function updateProposalCard(el, p) {
  const pending = p.state === "proposed";
  el.dataset.state = p.state;
  el.dataset.trackId = String(p.track_id);
  el.classList.toggle("pending", pending);
  el.querySelector('[data-testid="proposal-effector"]').textContent = `${p.effector} (${p.layer})`;
  el.querySelector('[data-testid="proposal-state"]').textContent = p.state;
  el.querySelector('[data-testid="proposal-target"]').textContent = `T${p.track_id}`;
  el.querySelector('[data-testid="proposal-unit"]').textContent = p.fire_unit;
  el.querySelector('[data-testid="proposal-pk"]').textContent = Number(p.pk).toFixed(2);
  el.querySelector('[data-testid="proposal-cost"]').textContent = fmtEur(p.cost_eur);
  const now = state.t ?? state.status.t;
  el.querySelector('[data-testid="proposal-expires"]').textContent =
    pending && Number.isFinite(p.expires_t) && Number.isFinite(now) ? `expires in ${Math.max(0, Math.round(p.expires_t - now))} s` : fmtTime(p.t);
  el.querySelector('[data-testid="proposal-explanation"]').textContent = p.explanation || "";
  const alts = Array.isArray(p.alternatives) ? p.alternatives : [];
  const sig = JSON.stringify(alts);
  if (el._alts !== sig) {
    el._alts = sig;
    el.querySelector(".n-alt").textContent = String(alts.length);
    const tb = el.querySelector("tbody");
    tb.textContent = "";
    for (const a of alts) {
      const tr = document.createElement("tr");
      for (const v of [a.effector, Number(a.pk).toFixed(2), fmtEur(a.cost_eur), a.why_not]) {
        const td = document.createElement("td");
        td.textContent = String(v ?? "");
        tr.append(td);
      }
      tb.append(tr);
    }
  }
  const canDecide = state.rank >= ROLE_RANK.commander;
  const decideBox = el.querySelector(".decide");
  decideBox.hidden = !(pending && canDecide);
  // For roles below commander the buttons are removed from the page, not merely hidden.
  if (!canDecide) decideBox.querySelectorAll("button").forEach((b) => b.remove());
  const ro = el.querySelector(".readonly");
  ro.textContent = pending && !canDecide && state.me ? `Approval needs the commander role (you are ${state.me.role}).` : "";
  el._sync();
}

async function decide(el, action) {
  const id = el.dataset.proposalId;
  const reason = el.querySelector("textarea").value.trim();
  const err = el.querySelector('[data-testid="proposal-error"]');
  err.textContent = "";
  if (!reason) {
    err.textContent = "A reason is required.";
    return;
  }
  el.classList.add("busy");
  el._sync();
  try {
    const p = await api.post(`proposals/${encodeURIComponent(id)}/${action}`, { reason });
    if (p && p.proposal_id) state.proposals.set(p.proposal_id, p);
    el.querySelector("textarea").value = "";
  } catch (e) {
    err.textContent = describeError(e);
    err.dataset.status = e instanceof ApiError ? String(e.status) : "";
  } finally {
    el.classList.remove("busy");
    el._sync();
  }
  invalidate();
}

// ---------------------------------------------------------------- selected track

async function selectTrack(id) {
  if (!Number.isFinite(id)) return;
  state.selected = id;
  invalidate();
  try {
    const h = await api.get(`tracks/${id}/history`);
    if (state.selected === id) view.showHistory(h);
  } catch (e) {
    view.showHistory(null);
  }
}

function renderDetail(list) {
  const box = $("track-detail");
  const t = state.selected === null ? null : list.find((x) => x.track_id === state.selected);
  if (!t) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const speed = Math.hypot(Number(t.ve) || 0, Number(t.vn) || 0);
  box.innerHTML = `<h2>Track T${t.track_id} <button type="button" class="close" data-testid="track-detail-close">×</button></h2>
    <table>
      <tr><th>identity</th><td>${escapeHtml(t.identity)}</td><th>status</th><td>${escapeHtml(t.status)}</td></tr>
      <tr><th>class</th><td>${escapeHtml(t.object_class)}</td><th>threat</th><td>${Number(t.threat ?? 0).toFixed(2)}</td></tr>
      <tr><th>altitude</th><td>${fmtKm(t.alt_m)}</td><th>speed</th><td>${speed.toFixed(1)} m/s</td></tr>
      <tr><th>σ horiz.</th><td>${fmtKm(t.sigma_h_m)}</td><th>position</th><td>${Number(t.lat).toFixed(4)}, ${Number(t.lon).toFixed(4)}</td></tr>
    </table>`;
  box.querySelector(".close").addEventListener("click", () => {
    state.selected = null;
    view.showHistory(null);
    invalidate();
  });
}

// ---------------------------------------------------------------- replay slider

const slider = $("replay-slider");
let replayTimer = null;
let replayReq = 0;

function sliderBounds() {
  const s = state.status;
  const t0 = Number.isFinite(s.t_start) ? s.t_start : state.t;
  const now = state.t ?? s.t;
  const t1 = s.mode === "replay" && Number.isFinite(s.t_end) ? s.t_end : now;
  return [t0, t1];
}

function renderSlider() {
  const [t0, t1] = sliderBounds();
  if (!Number.isFinite(t0) || !Number.isFinite(t1)) return;
  slider.min = String(Math.floor(t0));
  slider.max = String(Math.ceil(Math.max(t1, t0 + 1)));
  const live = state.replayT === null;
  if (live && document.activeElement !== slider) slider.value = slider.max;
  const m = $("replay-mode");
  m.dataset.mode = live ? "live" : "replay";
  m.textContent = live ? "LIVE" : "REPLAY";
  $("replay-time").textContent = live ? `live ${fmtElapsed(state.t)}` : `${fmtTime(state.replayT)} ${fmtElapsed(state.replayT)}`;
  $("replay-live").disabled = live;
}

slider.addEventListener("input", () => {
  const t = Number(slider.value);
  clearTimeout(replayTimer);
  if (t >= Number(slider.max) && state.status.mode !== "replay") {
    goLive();
    return;
  }
  state.replayT = t;
  invalidate();
  replayTimer = setTimeout(() => loadReplay(t), 120);
});

async function loadReplay(t) {
  const req = ++replayReq;
  try {
    const r = await api.get(`tracks?at=${encodeURIComponent(t)}`);
    if (req !== replayReq || state.replayT === null) return;
    state.replayTracks = (r.tracks || []).filter((x) => Number.isFinite(x.lat));
    banner(null);
  } catch (e) {
    if (req === replayReq) banner(`Replay at ${fmtTime(t)} failed: ${describeError(e)}`);
  }
  invalidate();
}

function goLive() {
  state.replayT = null;
  state.replayTracks = [];
  replayReq++;
  slider.value = slider.max;
  invalidate();
}
$("replay-live").addEventListener("click", goLive);

// ---------------------------------------------------------------- scenario controls

async function control(path, body) {
  const err = $("control-error");
  err.textContent = "";
  try {
    await api.post(path, body);
    state.status = { ...state.status, ...(await api.get("health")) };
  } catch (e) {
    err.textContent = describeError(e);
  }
  invalidate();
}
$("scenario-pause").addEventListener("click", () => control("scenario/pause", {}));
$("scenario-resume").addEventListener("click", () => control("scenario/resume", {}));
$("scenario-speed").addEventListener("change", (ev) => control("scenario/speed", { speed: Number(ev.target.value) }));

// ---------------------------------------------------------------- live inputs

// Where the picture comes from when the service runs over live inputs: placed where the scenario
// controls are (index.html has no slot for it: the element is made here).
const inputsEl = document.createElement("span");
inputsEl.className = "inputs";
inputsEl.dataset.testid = "live-inputs";
inputsEl.hidden = true;
$("scenario-controls").before(inputsEl);
let sensorsSig = "";

/** Name the live inputs (GET /inputs) and reload the sensors, which appear as they first report. */
async function refreshInputs() {
  const [inputs, sensors] = await Promise.allSettled([api.get("inputs"), api.get("sensors")]);
  if (inputs.status === "fulfilled") {
    const body = inputs.value || {};
    const list = Array.isArray(body.inputs) ? body.inputs : [];
    inputsEl.textContent = `inputs: ${list.map((i) => `${i.name} (${i.format})`).join(" · ") || "none releasable to you"}`;
    inputsEl.title = [
      `live inputs of ${body.config ?? "the ingest configuration"}, defending ${body.area ?? "–"}`,
      ...list.map((i) => `${i.name}: ${i.format} on ${i.bound ?? i.endpoint} · ${i.records} records, ${i.bad} refused · ${i.connections} connections`),
    ].join("\n");
    inputsEl.dataset.count = String(list.length);
    inputsEl.dataset.config = body.config ?? "";
  }
  if (sensors.status === "fulfilled") {
    const list = sensors.value.sensors || [];
    const sig = JSON.stringify(list.map((x) => [x.id, x.lat, x.lon, x.status]));
    if (sig !== sensorsSig) {
      sensorsSig = sig;
      view.setSensors(list);
    }
  }
}

// ---------------------------------------------------------------- stream

function applyStatus(s) {
  if (s && typeof s === "object") state.status = { ...state.status, ...s };
}

function onMessage(msg) {
  try {
    if (msg.type === "snapshot") {
      state.tracks.clear();
      for (const t of rowsOf(msg.tracks)) state.tracks.set(t.track_id, t);
      view.pushTrails([...state.tracks.values()]);
      state.alerts.clear();
      for (const a of msg.alerts || []) state.alerts.set(a.alert_id, a);
      for (const p of msg.proposals || []) state.proposals.set(p.proposal_id, p);
    } else if (msg.type === "delta") {
      if (state.seq !== null && Number.isFinite(msg.seq)) {
        if (msg.seq <= state.seq) return; // stale or repeated
        if (msg.seq !== state.seq + 1) {
          state.gaps += 1;
          mapEl.dataset.gaps = String(state.gaps);
          stream.resync(); // missed deltas: start again from a snapshot
        }
      }
      const rows = rowsOf(msg.tracks);
      for (const t of rows) state.tracks.set(t.track_id, { ...state.tracks.get(t.track_id), ...t });
      view.pushTrails(rows);
      for (const id of msg.removed || []) {
        state.tracks.delete(id);
        view.forgetTrail(id);
      }
      for (const a of msg.alerts || []) state.alerts.set(a.alert_id, a);
      for (const p of msg.proposals || []) state.proposals.set(p.proposal_id, p);
    } else {
      return;
    }
  } catch (e) {
    console.warn("dronewall:", e.message);
    mapEl.dataset.badMessages = String(Number(mapEl.dataset.badMessages || 0) + 1);
    return;
  }
  if (Number.isFinite(msg.seq)) state.seq = msg.seq;
  if (Number.isFinite(msg.t)) state.t = msg.t;
  applyStatus(msg.status);
  mapEl.dataset.seq = String(state.seq);
  invalidate();
}

function onState(s, info) {
  const el = $("conn-status");
  el.dataset.state = s;
  if (s === "connected" || s === "closed") {
    const k = s === "connected" ? "connects" : "drops";
    el.dataset[k] = String(Number(el.dataset[k] || 0) + 1);
  }
  if (s === "connected") {
    el.textContent = "● live";
    state.seq = null;
  } else if (s === "reconnecting" && info.delayMs !== undefined) {
    el.textContent = `reconnecting in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt})`;
  } else if (s === "reconnecting") {
    el.textContent = `reconnecting (attempt ${info.attempt})…`;
  } else if (s === "closed") {
    el.textContent = `disconnected${info.code ? ` (${info.code})` : ""}`;
  } else {
    el.textContent = "connecting…";
  }
}

let stream = null;

async function loadStatic() {
  const [sites, zones, sensors, effectors] = await Promise.allSettled([api.get("sites"), api.get("zones"), api.get("sensors"), api.get("effectors")]);
  if (sites.status === "fulfilled") view.setSites(sites.value.sites || []);
  if (zones.status === "fulfilled") view.setZones(zones.value.zones || []);
  if (sensors.status === "fulfilled") view.setSensors(sensors.value.sensors || []);
  if (effectors.status === "fulfilled") view.setFireUnits(effectors.value.fire_units || []);
  const failed = [["sites", sites], ["zones", zones], ["sensors", sensors], ["effectors", effectors]].filter(([, r]) => r.status === "rejected");
  if (failed.length) banner(`Could not load ${failed.map(([n, r]) => `${n} (${describeError(r.reason)})`).join(", ")}`);
}

async function refreshStatus() {
  try {
    applyStatus(await api.get("health"));
    try {
      const sc = await api.get("scenario");
      if (sc && sc.name) $("scenario-name").textContent = sc.name;
    } catch {
      /* idle service: no scenario */
    }
    if (state.status.mode === "ingest") await refreshInputs();
    invalidate();
  } catch (e) {
    /* the stream state shows connectivity */
  }
}

async function start() {
  if (!api) {
    banner("No access token: open the URL printed by `dronewall serve` (it ends in ?token=...).");
    $("conn-status").dataset.state = "unauthorized";
    $("conn-status").textContent = "no token";
    return;
  }
  try {
    state.me = await api.get("me");
  } catch (e) {
    banner(`Cannot sign in: ${describeError(e)}`);
    $("conn-status").dataset.state = "unauthorized";
    $("conn-status").textContent = "unauthorized";
    return;
  }
  state.rank = ROLE_RANK[state.me.role] ?? 0;
  document.body.dataset.role = state.me.role;
  $("me").textContent = `${state.me.user} · ${state.me.role} · ${(state.me.clearances || []).join(" ")}`;
  $("me").dataset.role = state.me.role;
  $("scenario-controls").hidden = state.rank < ROLE_RANK.operator;
  if (state.rank < ROLE_RANK.operator) $("scenario-controls").remove();
  stream = openStream(() => api.streamUrl(), { onMessage, onState });
  await Promise.all([loadStatic(), refreshStatus()]);
  setInterval(refreshStatus, 5000);
}

start();
