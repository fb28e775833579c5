// Bundles src/ into the apps' page template folder: static/apps.js and static/apps.css,
// minified, and assets.html.j2, the tags that load them (their content hash in the address,
// so browsers keep them until they change).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';

const TEMPLATE = '../templates/apps';

await esbuild.build({
  entryPoints: { apps: 'src/index.js' },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: `${TEMPLATE}/static`,
  loader: { '.svg': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl' },
  legalComments: 'linked',
  logLevel: 'info',
});

const version = (name) =>
  createHash('sha256')
    .update(readFileSync(`${TEMPLATE}/static/${name}`))
    .digest('hex')
    .slice(0, 16);
const url = (name) => `{{ resources.base_url }}voila/bwcases/${name}?v=${version(name)}`;
writeFileSync(
  `${TEMPLATE}/assets.html.j2`,
  `{#- Written by frontend/build.mjs: the page script and its styles. -#}
<link rel="stylesheet" type="text/css" href="${url('apps.css')}">
<script defer src="${url('apps.js')}"></script>
`,
);
