// Builds the web map into the Python package: src/dronewall/service/static/
//   index.html, assets/app.js, assets/app.css, assets/basemap-benelux.geojson,
//   THIRD_PARTY_LICENSES.txt, PROVENANCE.md
// Usage: npm ci && npm run build   (no network at runtime: everything is bundled)
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "dronewall", "service", "static");
const assets = join(out, "assets");

rmSync(assets, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

await build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: assets,
  loader: { ".png": "dataurl", ".svg": "dataurl" },
  legalComments: "none",
  banner: {
    js: "/* dronewall web map. Bundled libraries and their licences: ../THIRD_PARTY_LICENSES.txt */",
    css: "/* dronewall web map. Bundled libraries and their licences: ../THIRD_PARTY_LICENSES.txt */",
  },
  logLevel: "warning",
});

copyFileSync(join(here, "index.html"), join(out, "index.html"));
copyFileSync(join(here, "data", "basemap-benelux.geojson"), join(assets, "basemap-benelux.geojson"));
copyFileSync(join(here, "data", "PROVENANCE.md"), join(out, "PROVENANCE.md"));

const bundled = [
  ["leaflet", "LICENSE"],
  ["milsymbol", "LICENSE"],
];
let text =
  "Third-party software bundled into assets/app.js and assets/app.css of the dronewall web map.\n" +
  "The base layer assets/basemap-benelux.geojson is Natural Earth data (public domain) via the\n" +
  "npm package world-atlas (ISC); see PROVENANCE.md.\n";
for (const [name, file] of bundled) {
  const pkg = JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8"));
  const licence = readFileSync(join(here, "node_modules", name, file), "utf8").trim();
  text += `\n${"=".repeat(78)}\n${name} ${pkg.version} (${pkg.license})\n${pkg.homepage ?? ""}\n${"=".repeat(78)}\n\n${licence}\n`;
}
writeFileSync(join(out, "THIRD_PARTY_LICENSES.txt"), text);
console.log(`built ${out}`);
