// Writes a generated file, or with `--check` writes nothing and exits 1 when it is stale: the
// tail shared by the generators in scripts/. Plain JavaScript so that it runs without a build.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/** `out` is the file, `text` what it should hold, `npmScript` the script that regenerates it. */
export function writeOrCheck({ root, out, text, npmScript, argv = process.argv }) {
  if (!argv.includes('--check')) {
    writeFileSync(out, text);
    return;
  }
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    current = '';
  }
  if (current !== text) {
    process.stderr.write(`${relative(root, out)} is stale: run \`npm run ${npmScript}\`\n`);
    process.exit(1);
  }
}
