// APP-6 D / MIL-STD-2525 D symbols for air tracks, drawn by milsymbol (air symbol set only, to keep the
// bundle small).
//
// SIDC layout (20 digits): version "10", context "0" (reality), standard identity (1 digit), symbol set
// "01" (air), status (0 present, 1 planned/anticipated), HQ/task force/dummy "0", amplifier "00",
// entity (6 digits), modifier 1 (2), modifier 2 (2).
// The standard identity digits equal dronewall's Identity codes: 0 pending, 1 unknown, 2 assumed friend,
// 3 friend, 4 neutral, 5 suspect, 6 hostile; milsymbol colours them (hostile red, unknown/pending yellow,
// friend blue, neutral green).
import { ms, numberair } from "../node_modules/milsymbol/index.mjs";

ms.addIcons([numberair]);

export const IDENTITY_DIGIT = {
  pending: "0",
  unknown: "1",
  "assumed-friend": "2",
  friend: "3",
  neutral: "4",
  suspect: "5",
  hostile: "6",
};

// Entity codes of the air symbol set, per dronewall ObjectClass label.
const MILITARY_UAV = "110300"; // unmanned aerial vehicle
const VT_UAV = "110400"; // vertical take-off UAV (multirotors)
const CIVIL_UAV = "120300";
const CIVIL_FIXED_WING = "120100";
const NO_ICON = "000000";

export function entityFor(objectClass, identity) {
  const civil = identity === "neutral" || identity === "friend" || identity === "assumed-friend";
  switch (objectClass) {
    case "quadcopter":
    case "fpv":
      return civil ? CIVIL_UAV : VT_UAV;
    case "fixed-wing":
    case "decoy":
    case "loitering-munition":
      return civil ? CIVIL_UAV : MILITARY_UAV;
    case "light-aircraft":
    case "airliner":
      return CIVIL_FIXED_WING;
    default:
      return NO_ICON; // bird, clutter, unclassified: the frame alone
  }
}

/** Modifier 1 "01" = attack/strike, for loitering munitions. */
function modifier1For(objectClass) {
  return objectClass === "loitering-munition" ? "01" : "00";
}

export function sidcFor(track) {
  const id = IDENTITY_DIGIT[track.identity] ?? "1";
  const status = track.status === "tentative" ? "1" : "0";
  return `100${id}01${status}000${entityFor(track.object_class, track.identity)}${modifier1For(track.object_class)}00`;
}

/** Heading in degrees clockwise from north, rounded to 10 deg, or null below 1 m/s. */
export function headingDeg(track) {
  const ve = Number(track.ve) || 0;
  const vn = Number(track.vn) || 0;
  if (Math.hypot(ve, vn) < 1) return null;
  const deg = (Math.atan2(ve, vn) * 180) / Math.PI;
  return (Math.round(((deg + 360) % 360) / 10) * 10) % 360;
}

const cache = new Map();

/** {svg, width, height, anchorX, anchorY, key} for a track, cached by symbol key. */
export function symbolFor(track, size = 22) {
  const sidc = sidcFor(track);
  const heading = headingDeg(track);
  const key = `${sidc}|${track.track_id}|${heading}|${size}`;
  let s = cache.get(key);
  if (s) return s;
  // civilianColor off: colour by standard identity only (milsymbol would paint civil entities purple).
  const opts = { size, uniqueDesignation: `T${track.track_id}`, civilianColor: false };
  if (heading !== null) opts.direction = heading;
  const sym = new ms.Symbol(sidc, opts);
  const sz = sym.getSize();
  const anchor = sym.getAnchor();
  s = { svg: sym.asSVG(), width: sz.width, height: sz.height, anchorX: anchor.x, anchorY: anchor.y, key, sidc };
  if (cache.size > 5000) cache.clear();
  cache.set(key, s);
  return s;
}
