// Builds the web map into the Python package: src/dronewall/service/static/
//   index.html, assets/app.js, assets/app.css, assets/basemap-benelux.geojson,
//   assets/swagger/ (Swagger UI for the service's /docs, served from the package: no CDN),
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

// Swagger UI for the API's /docs page (dronewall.service.app), copied as published; the source
// map comments are dropped (the maps are not shipped).
const swagger = join(assets, "swagger");
const swaggerDist = join(here, "node_modules", "swagger-ui-dist");
mkdirSync(swagger, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  const body = readFileSync(join(swaggerDist, name), "utf8").replace(/\n?\/[/*]# sourceMappingURL=\S+?(\*\/)?\s*$/, "\n");
  writeFileSync(join(swagger, name), body);
}
copyFileSync(join(swaggerDist, "favicon-32x32.png"), join(swagger, "favicon-32x32.png"));

const bundled = [
  ["leaflet", ["LICENSE"]],
  ["milsymbol", ["LICENSE"]],
  ["swagger-ui-dist", ["LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"]],
];
let text =
  "Third-party software bundled into assets/app.js and assets/app.css of the dronewall web map,\n" +
  "and Swagger UI (swagger-ui-dist) in assets/swagger/ for the API's /docs page.\n" +
  "The base layer assets/basemap-benelux.geojson is Natural Earth data (public domain) via the\n" +
  "npm package world-atlas (ISC); see PROVENANCE.md.\n";
for (const [name, files] of bundled) {
  const pkg = JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8"));
  const licence = files
    .map((file) => readFileSync(join(here, "node_modules", name, file), "utf8").trim())
    .join("\n\n");
  text += `\n${"=".repeat(78)}\n${name} ${pkg.version} (${pkg.license})\n${pkg.homepage ?? ""}\n${"=".repeat(78)}\n\n${licence}\n`;
}
writeFileSync(join(out, "THIRD_PARTY_LICENSES.txt"), text);
console.log(`built ${out}`);
