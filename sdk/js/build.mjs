#!/usr/bin/env node
// Builds an smshost connector written in JavaScript into a WebAssembly
// component with componentize-js.
//
//   node build.mjs --src DIR --wit WIT_DIR --out FILE.wasm [--stage DIR] [--types DIR] [--tools DIR]
//
// DIR holds the connector: `connector.js` (the entry module), its other
// `.js` modules, `README.md` and `example-config.json`. The build copies
// them into a staging folder (default: next to --out) with `smshost.js`
// (the helper module beside this script) and `generated.js`, which holds
// the README and example config as strings, so the component embeds them.
// --types writes TypeScript declarations of the WIT there (for editors).
// --tools names the folder whose node_modules holds componentize-js
// (default: the folder of this script, then DIR).
//
// componentize-js runs with `-d http fetch-event`: a connector reaches the
// network only through smshost's own `http` import, never `fetch`.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!name.startsWith('--') || value === undefined) {
      fail(`unexpected argument \`${name}\`; usage: node build.mjs --src DIR --wit WIT_DIR --out FILE.wasm [--stage DIR] [--types DIR] [--tools DIR]`);
    }
    args[name.slice(2)] = value;
  }
  for (const required of ['src', 'wit', 'out']) {
    if (!args[required]) fail(`missing --${required}`);
  }
  return args;
}

function fail(message) {
  console.error(`build.mjs: ${message}`);
  process.exit(2);
}

function findTool(candidates, name) {
  for (const dir of candidates) {
    const bin = join(dir, 'node_modules', '.bin', name);
    if (existsSync(bin)) return bin;
  }
  fail(`cannot find ${name} in ${candidates.map((dir) => join(dir, 'node_modules')).join(' or ')}; run \`npm ci\` first`);
}

/// The WIT world's package and version, read from the WIT files, so the
/// build names the right world whatever contract version DIR targets.
function witFiles(witDir) {
  return readdirSync(witDir).filter((name) => name.endsWith('.wit')).map((name) => join(witDir, name));
}

async function writeTypes(witDir, typesDir, tools) {
  // `jco types PATH` cannot read files in this jco version (its WASI shim
  // starts with no preopened folders), so the WIT goes in as source text.
  const bindgen = join(tools, 'node_modules', '@bytecodealliance', 'jco-transpile', 'vendor', 'js-component-bindgen-component.js');
  if (!existsSync(bindgen)) fail(`cannot find ${bindgen}; run \`npm ci\` first`);
  const generator = await import(bindgen);
  await generator.$init;
  const source = witFiles(witDir).map((file) => readFileSync(file, 'utf8')).join('\n');
  const files = generator.generateTypes('connector', {
    wit: { tag: 'source', val: source },
    world: 'sms-connector',
    features: { tag: 'list', val: [] },
    guest: true,
    tlaCompat: false,
  });
  rmSync(typesDir, { recursive: true, force: true });
  for (const [name, bytes] of files) {
    const path = join(typesDir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  }
}

const args = parseArgs(process.argv.slice(2));
const src = resolve(args.src);
const out = resolve(args.out);
const witDir = resolve(args.wit);
const stage = resolve(args.stage ?? join(dirname(out), `${basename(out, '.wasm')}.stage`));
const toolDirs = [args.tools ? resolve(args.tools) : null, here, src].filter(Boolean);

const readme = join(src, 'README.md');
const example = join(src, 'example-config.json');
for (const needed of [join(src, 'connector.js'), readme, example]) {
  if (!existsSync(needed)) fail(`missing ${needed}`);
}
try {
  JSON.parse(readFileSync(example, 'utf8'));
} catch (error) {
  fail(`${example} is not valid JSON: ${error.message}`);
}

rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const name of readdirSync(src)) {
  if (name.endsWith('.js')) copyFileSync(join(src, name), join(stage, name));
}
if (!existsSync(join(stage, 'smshost.js'))) copyFileSync(join(here, 'smshost.js'), join(stage, 'smshost.js'));
writeFileSync(
  join(stage, 'generated.js'),
  '// Written by build.mjs from README.md and example-config.json; do not edit.\n' +
    `export const README = ${JSON.stringify(readFileSync(readme, 'utf8'))};\n` +
    `export const EXAMPLE_CONFIG = ${JSON.stringify(readFileSync(example, 'utf8').trim())};\n`,
);

if (args.types) {
  const tools = toolDirs.find((dir) => existsSync(join(dir, 'node_modules', '@bytecodealliance', 'jco-transpile')));
  if (!tools) fail('cannot find @bytecodealliance/jco-transpile; run `npm ci` first');
  await writeTypes(witDir, resolve(args.types), tools);
}

mkdirSync(dirname(out), { recursive: true });
const componentize = findTool(toolDirs, 'componentize-js');
const run = spawnSync(
  componentize,
  [join(stage, 'connector.js'), '--wit', witDir, '-n', 'sms-connector', '-d', 'http', 'fetch-event', '-o', out],
  { stdio: 'inherit' },
);
if (run.status !== 0) {
  fail(`componentize-js failed (exit ${run.status ?? run.signal})`);
}
