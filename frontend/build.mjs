// Bundles src/ into the apps' page template folder: static/apps.js and static/apps.css,
// minified, and assets.html.j2, the tags that load them (their content hash in the address,
// so browsers keep them until they change).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const TEMPLATE = '../templates/apps';
// What the bundle is built from; tests/test_frontend.py checks the bundle was built from these.
const SOURCES = [
  'build.mjs',
  'package.json',
  'package-lock.json',
  ...readdirSync('src').map((name) => `src/${name}`),
].sort();

const built = await esbuild.build({
  entryPoints: { apps: 'src/index.js' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: `${TEMPLATE}/static`,
  loader: { '.svg': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl' },
  legalComments: 'none',
  metafile: true,
  logLevel: 'info',
});

// The licence of every package the bundle holds, beside it
const packages = new Set();
for (const input of Object.keys(built.metafile.inputs)) {
  const found = input.match(/^(?:\(disabled\):)?(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (found) {
    packages.add(found[1]);
  }
}
const licences = [...packages].sort().map((folder) => {
  const about = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8'));
  const file = readdirSync(folder).find((name) => /^(licen[cs]e|copying)/i.test(name));
  const author = typeof about.author === 'object' ? about.author.name : about.author;
  const text = file
    ? readFileSync(`${folder}/${file}`, 'utf8').trim()
    : `Copyright (c) ${author || about.name} (${about.homepage || about.repository?.url}).\n` +
      `Licensed under ${about.license}: https://spdx.org/licenses/${about.license}.html`;
  return `${about.name} ${about.version} (${about.license})\n\n${text}\n`;
});
const heading = 'The page script apps.js bundles these packages, under these licences.';
writeFileSync(
  `${TEMPLATE}/static/apps.js.LICENSES.txt`,
  `${heading}\n\n${licences.join('\n---\n\n')}`,
);

const version = (name) =>
  createHash('sha256')
    .update(readFileSync(`${TEMPLATE}/static/${name}`))
    .digest('hex')
    .slice(0, 16);
const sources = createHash('sha256');
for (const path of SOURCES) {
  sources.update(`${path}\0`).update(readFileSync(path)).update('\0');
}
const url = (name) => `{{ resources.base_url }}voila/bwcases/${name}?v=${version(name)}`;
writeFileSync(
  `${TEMPLATE}/assets.html.j2`,
  `{#- Written by frontend/build.mjs (sources ${sources.digest('hex')}): the page script and its
    styles, each address with its content's hash. -#}
<link rel="stylesheet" type="text/css" href="${url('apps.css')}">
<script defer src="${url('apps.js')}"></script>
`,
);
