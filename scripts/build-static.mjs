// Copies the pinned npm front-end packages into lantern/static/vendor so Django (whitenoise) serves
// them locally: the app must work on a closed network, with nothing fetched from a CDN.
// The precompiled stylesheets refer to /assets/...; rewrite those to paths relative to the vendor folder.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const out = "lantern/static/vendor";
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const govuk = "node_modules/govuk-frontend/dist/govuk";
const moj = "node_modules/@ministryofjustice/frontend/moj";

cpSync(`${govuk}/assets`, `${out}/assets`, { recursive: true });
cpSync(`${moj}/assets/images`, `${out}/assets/images`, { recursive: true });

function copyCss(from, to) {
  const css = readFileSync(from, "utf8").replaceAll("url(/assets/", "url(assets/");
  writeFileSync(`${out}/${to}`, css.replace(/\/\*# sourceMappingURL=.*\*\//, ""));
}
copyCss(`${govuk}/govuk-frontend.min.css`, "govuk-frontend.min.css");
copyCss(`${moj}/moj-frontend.min.css`, "moj-frontend.min.css");

for (const [from, to] of [
  [`${govuk}/govuk-frontend.min.js`, "govuk-frontend.min.js"],
  [`${moj}/moj-frontend.min.js`, "moj-frontend.min.js"],
  ["node_modules/htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["node_modules/cytoscape/dist/cytoscape.min.js", "cytoscape.min.js"],
]) {
  writeFileSync(`${out}/${to}`, readFileSync(from, "utf8").replace(/\/\/# sourceMappingURL=.*$/m, ""));
}
console.log(`front-end assets copied to ${out}`);
