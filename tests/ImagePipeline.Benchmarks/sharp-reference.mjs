// The engine of AWS's Dynamic Image Transformation (sharp, on the same libvips 8.18.7 as ours) doing the benchmark's
// recipe, so the default benchmark mode can time it beside our engine. Benchmark only: nothing ships it.
//
//   node sharp-reference.mjs version              sharp and libvips versions, sharp's concurrency, one line of JSON
//   node sharp-reference.mjs init                 loads sharp and exits (the Node + sharp memory baseline)
//   node sharp-reference.mjs full IN RECIPE [OUT] the five outputs once (written to OUT when given), then exits
//   node --expose-gc sharp-reference.mjs serve IN RECIPE
//                                                 a warm process on a free loopback port (printed as {"port":N}):
//                                                 each POST /run is one run, answered with its times and outputs
//
// RECIPE is JSON from the benchmark: {"renditions":[{"name":"w320","width":320},...],"quality":80,"effort":4,
// "thumbnail":{"size":256,"quality":75,"effort":4}}.
//
// Each output is its own pipeline from the original bytes (shrink-on-load each time), as DIT serves one request per
// output; the five run concurrently. sharp's own defaults otherwise, except its operation cache, which is off (as in
// our engine), so repeated runs on one input measure work rather than cache hits.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, basename, extname } from 'node:path';
import { createServer } from 'node:http';
import sharp from 'sharp';

sharp.cache(false);

const [mode, input, recipeText, outDir] = process.argv.slice(2);

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

async function produce(bytes, recipe) {
  const renditions = recipe.renditions.map(async ({ name, width }) => {
    const { data, info } = await sharp(bytes)
      .autoOrient()
      .resize({ width, withoutEnlargement: true })
      .webp({ quality: recipe.quality, effort: recipe.effort })
      .toBuffer({ resolveWithObject: true });
    return { name, data, width: info.width, height: info.height };
  });
  const { size, quality, effort } = recipe.thumbnail;
  const thumbnail = sharp(bytes)
    .autoOrient()
    .resize(size, size, { fit: 'cover', position: sharp.strategy.attention })
    .webp({ quality, effort })
    .toBuffer({ resolveWithObject: true })
    .then(({ data, info }) => ({ name: 'thumb', data, width: info.width, height: info.height }));
  return Promise.all([...renditions, thumbnail]);
}

const describe = (outputs) => outputs.map(({ name, width, height, data }) => ({ name, width, height, bytes: data.length }));

switch (mode) {
  case 'version':
    process.stdout.write(JSON.stringify({ sharp: sharp.versions.sharp, vips: sharp.versions.vips, concurrency: sharp.concurrency() }) + '\n');
    break;
  case 'init':
    break;
  case 'full': {
    if (!input || !recipeText) fail('full needs IN and RECIPE');
    const recipe = JSON.parse(recipeText);
    const outputs = await produce(readFileSync(input), recipe);
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      const stem = basename(input, extname(input));
      for (const { name, data } of outputs) writeFileSync(join(outDir, `${stem}-${name}.webp`), data);
    }
    process.stdout.write(JSON.stringify({ outputs: describe(outputs) }) + '\n');
    break;
  }
  case 'serve': {
    if (!input || !recipeText) fail('serve needs IN and RECIPE');
    if (typeof globalThis.gc !== 'function') fail('serve needs node --expose-gc');
    const recipe = JSON.parse(recipeText);
    const bytes = readFileSync(input);
    const server = createServer((request, response) => {
      if (request.method !== 'POST' || request.url !== '/run') {
        response.writeHead(404).end();
        return;
      }

      // A full collection first, as the benchmark does before each of our engine's runs.
      globalThis.gc();
      const cpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      produce(bytes, recipe).then(
        (outputs) => {
          const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
          const cpu = process.cpuUsage(cpuBefore);
          const body = JSON.stringify({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, outputs: describe(outputs) });
          response.writeHead(200, { 'content-type': 'application/json' }).end(body);
        },
        (error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error?.message ?? error)));
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
    process.on('SIGTERM', () => process.exit(0));
    break;
  }
  default:
    fail(`unknown mode '${mode ?? ''}' (version, init, full or serve)`);
}
