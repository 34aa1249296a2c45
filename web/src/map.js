// The Leaflet map: Natural Earth base layer (no tiles), sites with alert/core rings, zones, sensors with
// coverage, fire units, and tracks (APP-6 symbol, trail, 1-sigma horizontal uncertainty circle).
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { symbolFor } from "./symbols.js";

const TRAIL_POINTS = 120;
// Canvas-drawn layers take their style from options, not CSS.
const COVERAGE_STYLE = {
  ok: { color: "#1f6fd1", weight: 1, opacity: 0.5, fillColor: "#1f6fd1", fillOpacity: 0.015, dashArray: "4 4" },
  degraded: { color: "#d18a00", weight: 1, opacity: 0.6, fillColor: "#d18a00", fillOpacity: 0.015, dashArray: "4 4" },
  down: { color: "#777777", weight: 1, opacity: 0.5, fill: false, dashArray: "2 6" },
  unknown: { color: "#777777", weight: 1, opacity: 0.5, fill: false, dashArray: "2 6" },
};
const SIGMA_STYLE = { color: "#202020", weight: 1, opacity: 0.6, fillColor: "#202020", fillOpacity: 0.08 };
const TRAIL_STYLE = { color: "#303030", weight: 1.5, opacity: 0.7 };

export function createMap(el, { onSelectTrack, initialView = null }) {
  const map = L.map(el, {
    center: [50.9, 4.6],
    zoom: 8,
    minZoom: 6,
    maxZoom: 17,
    zoomSnap: 0.25,
    preferCanvas: false,
    attributionControl: true,
  });
  map.attributionControl.setPrefix("");
  // The grid layout may settle after Leaflet measured its container: keep the map's size in step.
  new ResizeObserver(() => map.invalidateSize({ animate: false })).observe(el);
  map.attributionControl.addAttribution("Natural Earth (public domain) · dronewall");
  L.control.scale({ imperial: false }).addTo(map);

  // The opaque land sits in its own pane under the overlay pane (400), so canvas-drawn overlays
  // (coverage, uncertainty, trails) are never hidden by it.
  map.createPane("basemap").style.zIndex = "250";
  const canvas = L.canvas({ padding: 0.3 });
  const base = L.layerGroup().addTo(map);
  const zones = L.layerGroup().addTo(map);
  const sites = L.layerGroup().addTo(map);
  const coverage = L.layerGroup().addTo(map);
  const sensors = L.layerGroup().addTo(map);
  const fireUnits = L.layerGroup().addTo(map);
  const trails = L.layerGroup().addTo(map);
  const uncertainty = L.layerGroup().addTo(map);
  const tracks = L.layerGroup().addTo(map);
  const history = L.layerGroup().addTo(map);
  L.control
    .layers(null, {
      "Sites and rings": sites,
      Zones: zones,
      Sensors: sensors,
      "Sensor coverage": coverage,
      "Fire units": fireUnits,
      "Track trails": trails,
      "Uncertainty (1σ)": uncertainty,
      Tracks: tracks,
    }, { collapsed: true })
    .addTo(map);

  const markers = new Map(); // track_id -> {marker, circle, trail, key}
  const trailPts = new Map(); // track_id -> [[lat, lon], ...]
  let showTrails = true;
  let fitted = false;
  if (initialView) {
    map.setView([initialView[0], initialView[1]], initialView[2], { animate: false });
    fitted = true;
  }

  async function loadBasemap(url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`base map ${url}: HTTP ${res.status}`);
    const gj = await res.json();
    L.geoJSON(gj, {
      pane: "basemap",
      interactive: false,
      style: (f) => ({
        className: `basemap-country ${f.properties && f.properties.benelux ? "benelux" : "neighbour"}`,
        weight: f.properties && f.properties.benelux ? 1.2 : 0.8,
      }),
    }).addTo(base);
    el.dataset.basemap = "loaded";
    el.dataset.basemapFeatures = String(gj.features.length);
  }

  function setSites(list) {
    sites.clearLayers();
    for (const s of list) {
      if (s.alert_radius_m)
        L.circle([s.lat, s.lon], { radius: s.alert_radius_m, className: "dw-site-alert", interactive: false }).addTo(sites);
      if (s.core_radius_m)
        L.circle([s.lat, s.lon], { radius: s.core_radius_m, className: "dw-site-core", interactive: false }).addTo(sites);
      L.circleMarker([s.lat, s.lon], { radius: 3, className: "dw-site" })
        .bindTooltip(`${escapeHtml(s.name ?? s.id)}<br>alert ${fmtKm(s.alert_radius_m)} · core ${fmtKm(s.core_radius_m)}`)
        .addTo(sites);
    }
    if (!fitted && list.length) {
      map.invalidateSize({ animate: false });
      const b = L.latLngBounds(list.map((s) => [s.lat, s.lon]));
      if (list.length === 1) map.setView(b.getCenter(), 11, { animate: false });
      else map.fitBounds(b.pad(0.3), { maxZoom: 11, animate: false });
      fitted = true;
    }
  }

  function setZones(list) {
    zones.clearLayers();
    for (const z of list) {
      if (!z.geometry) continue;
      L.geoJSON(z.geometry, {
        style: () => ({ className: `dw-zone dw-zone-${String(z.kind || "zone").replace(/[^a-z0-9-]/gi, "")}` }),
      })
        .bindTooltip(`${escapeHtml(z.name)} (${escapeHtml(z.kind)})`)
        .addTo(zones);
    }
  }

  function setSensors(list) {
    sensors.clearLayers();
    coverage.clearLayers();
    for (const s of list) {
      const st = ["ok", "degraded", "down"].includes(s.status) ? s.status : "unknown";
      if (s.max_range_m)
        L.circle([s.lat, s.lon], { radius: s.max_range_m, interactive: false, renderer: canvas, ...COVERAGE_STYLE[st] }).addTo(coverage);
      L.circleMarker([s.lat, s.lon], { radius: 5, className: `dw-sensor dw-sensor-${st}` })
        .bindTooltip(`sensor ${escapeHtml(s.id)} (${escapeHtml(s.kind)})<br>status ${st}${s.max_range_m ? `<br>range ${fmtKm(s.max_range_m)}` : ""}`)
        .addTo(sensors);
    }
  }

  function setFireUnits(list) {
    fireUnits.clearLayers();
    for (const u of list) {
      const icon = L.divIcon({
        className: "dw-fire-unit",
        html: `<span>${escapeHtml(String(u.layer || "").slice(0, 5).toUpperCase())}</span>`,
        iconSize: [34, 14],
        iconAnchor: [17, 7],
      });
      L.marker([u.lat, u.lon], { icon, keyboard: false })
        .bindTooltip(`${escapeHtml(u.id)}: ${escapeHtml(u.effector)} (${escapeHtml(u.layer)})<br>stock ${u.stock ?? "–"} · range ${fmtKm(u.max_range_m)}`)
        .addTo(fireUnits);
    }
  }

  /** Add the live positions of these tracks to their trails. */
  function pushTrails(list) {
    for (const t of list) {
      let pts = trailPts.get(t.track_id);
      if (!pts) trailPts.set(t.track_id, (pts = []));
      const last = pts[pts.length - 1];
      if (!last || last[0] !== t.lat || last[1] !== t.lon) pts.push([t.lat, t.lon]);
      if (pts.length > TRAIL_POINTS) pts.splice(0, pts.length - TRAIL_POINTS);
    }
  }

  function forgetTrail(id) {
    trailPts.delete(id);
  }

  /** Draw exactly these tracks (live picture or the replayed one). */
  function renderTracks(list, selectedId) {
    const seen = new Set();
    for (const t of list) {
      if (!Number.isFinite(t.lat) || !Number.isFinite(t.lon)) continue;
      seen.add(t.track_id);
      const sym = symbolFor(t);
      let m = markers.get(t.track_id);
      const ll = [t.lat, t.lon];
      if (!m) {
        const marker = L.marker(ll, { icon: iconOf(sym), keyboard: false, riseOnHover: true });
        marker.on("click", () => onSelectTrack(t.track_id));
        const circle = L.circle(ll, { radius: Math.max(1, t.sigma_h_m || 1), renderer: canvas, interactive: false, ...SIGMA_STYLE });
        const trail = L.polyline([], { renderer: canvas, interactive: false, ...TRAIL_STYLE });
        m = { marker, circle, trail, key: sym.key };
        markers.set(t.track_id, m);
        marker.addTo(tracks);
        circle.addTo(uncertainty);
        trail.addTo(trails);
      } else {
        m.marker.setLatLng(ll);
        if (m.key !== sym.key) {
          m.marker.setIcon(iconOf(sym));
          m.key = sym.key;
        }
        m.circle.setLatLng(ll);
        m.circle.setRadius(Math.max(1, t.sigma_h_m || 1));
      }
      m.trail.setLatLngs(showTrails ? trailPts.get(t.track_id) || [] : []);
      const e = m.marker.getElement();
      if (e) {
        e.dataset.testid = "track";
        e.dataset.trackId = String(t.track_id);
        e.dataset.lat = String(t.lat);
        e.dataset.lon = String(t.lon);
        e.dataset.identity = t.identity;
        e.dataset.objectClass = t.object_class;
        e.dataset.status = t.status;
        e.dataset.sidc = sym.sidc;
        e.classList.toggle("selected", t.track_id === selectedId);
        e.classList.toggle("coasting", t.status === "coasting");
        e.title = `T${t.track_id} ${t.identity} ${t.object_class}`;
      }
    }
    for (const [id, m] of markers) {
      if (seen.has(id)) continue;
      tracks.removeLayer(m.marker);
      uncertainty.removeLayer(m.circle);
      trails.removeLayer(m.trail);
      markers.delete(id);
    }
    return seen.size;
  }

  function setShowTrails(on) {
    showTrails = on;
  }

  function showHistory(h) {
    history.clearLayers();
    if (!h || !h.lat || h.lat.length < 2) return;
    L.polyline(h.lat.map((lat, i) => [lat, h.lon[i]]), { className: "dw-history", interactive: false }).addTo(history);
  }

  return { map, loadBasemap, setSites, setZones, setSensors, setFireUnits, pushTrails, forgetTrail, renderTracks, setShowTrails, showHistory };
}

function iconOf(sym) {
  return L.divIcon({
    className: "dw-track",
    html: sym.svg,
    iconSize: [sym.width, sym.height],
    iconAnchor: [sym.anchorX, sym.anchorY],
  });
}

export function fmtKm(m) {
  if (m === null || m === undefined || !Number.isFinite(Number(m))) return "–";
  return Number(m) >= 1000 ? `${(Number(m) / 1000).toFixed(1)} km` : `${Math.round(Number(m))} m`;
}

export function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
