// Fails when src/lib/api/openapi.gen.ts is not what openapi-typescript makes of
// docs/openapi.json today: the UI's admin API types are generated, never edited, and a
// change to the API must regenerate them (scripts/openapi.sh) in the same commit.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const committed = "src/lib/api/openapi.gen.ts";
const dir = mkdtempSync(join(tmpdir(), "twofold-api-types-"));
try {
  const fresh = join(dir, "openapi.gen.ts");
  execFileSync("npx", ["--no-install", "openapi-typescript", "../docs/openapi.json", "--output", fresh], { stdio: ["ignore", "ignore", "inherit"] });
  if (readFileSync(fresh, "utf8") !== readFileSync(committed, "utf8")) {
    console.error(`${committed} differs from the types generated from docs/openapi.json: run scripts/openapi.sh and commit the result`);
    process.exit(1);
  }
  console.log(`${committed} matches docs/openapi.json`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
