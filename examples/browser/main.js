// ugatit-tf in a browser: the provided avatar weights translate a bundled sample or the user's
// own image on the webgl backend (cpu when WebGL is unavailable), showing
// input | CAM attention heatmap over the output | output.
//
// Query parameters: ?backend=cpu forces a backend; ?weights=<url> loads weights from another
// folder laid out as <url>/avatars/{genA2B,genB2A}/model.json.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { loadPretrained, translate } from 'ugatit-tf';

const SAMPLES = { a2b: ['A/00000.png', 'A/00001.png', 'A/00004.png', 'A/00005.png'], b2a: ['B/00000.png', 'B/00001.png', 'B/00002.png', 'B/00005.png'] };
// Larger pictures are scaled down for display; the generator sees its own input size anyway.
const MAX_SIDE = 512;

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
/** Progress, read by the test of this page (test/browser/example-page.test.ts). */
const state = { backend: null, translations: 0, lastMs: null, error: null, provenance: null };
window.ugatitExample = state;

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

function fail(e) {
  state.error = e instanceof Error ? e.message : String(e);
  status(`error: ${state.error}`, true);
  console.error(e);
}

/** The first backend of the list that initialises: webgl (GPU, or SwiftShader), else cpu. */
async function pickBackend() {
  const wanted = params.get('backend');
  for (const name of wanted ? [wanted] : ['webgl', 'cpu']) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      /* try the next one */
    }
  }
  throw new Error(`no tfjs backend could start (tried ${wanted ?? 'webgl, cpu'})`);
}

/** Draws an image source on a canvas at its own size (at most MAX_SIDE), over white like translate() composites alpha. */
function drawSource(canvas, source, width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
}

/** Draws a `[1, H, W, 3]` tensor holding values in `[lo, hi]`. */
async function drawTensor(canvas, batch, [lo, hi]) {
  const [, h, w] = batch.shape;
  const rgba = tf.tidy(() => {
    const unit = tf.clipByValue(tf.div(tf.sub(tf.squeeze(batch, [0]), lo), hi - lo), 0, 1);
    return tf.cast(tf.round(tf.mul(tf.concat([unit, tf.ones([h, w, 1])], 2), 255)), 'int32');
  });
  const data = await rgba.data();
  rgba.dispose();
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').putImageData(new ImageData(Uint8ClampedArray.from(data), w, h), 0, 0);
}

async function main() {
  state.backend = await pickBackend();
  status(`backend ${state.backend}; loading the weights…`);
  const base = params.get('weights') ?? new URL('../../weights/', location.href).href;
  const weights = await loadPretrained('avatars', { baseUrl: base });
  state.provenance = weights.provenance;
  const about = weights.provenance?.iteration !== undefined ? `, ${weights.provenance.iteration} training iterations` : '';
  const side = weights.genA2B.inputs[0].shape[1];

  let busy = Promise.resolve();
  /** Translates what the input canvas shows with the selected generator (one at a time). */
  const run = (label) => {
    busy = busy.then(async () => {
      const direction = $('direction').value;
      const generator = direction === 'a2b' ? weights.genA2B : weights.genB2A;
      status(`translating ${label} ${direction === 'a2b' ? 'A → B' : 'B → A'} on ${state.backend}…`);
      const started = performance.now();
      const result = await translate(generator, $('input'));
      try {
        await drawTensor($('overlay'), result.overlay, [0, 1]);
        await drawTensor($('output'), result.image, [-1, 1]);
      } finally {
        result.dispose();
      }
      state.lastMs = performance.now() - started;
      state.translations += 1;
      status(`${label}: ${state.lastMs.toFixed(0)} ms on ${state.backend} (${side}×${side} model input${about}; `
        + `the first run compiles the shaders). Weights from ${weights.source}`);
    }).catch(fail);
    return busy;
  };

  const showSamples = () => {
    const list = SAMPLES[$('direction').value];
    const buttons = list.map((file) => {
      const button = document.createElement('button');
      const img = new Image();
      img.src = new URL(`../samples/${file}`, import.meta.url).href;
      img.alt = `sample ${file}`;
      button.append(img);
      button.title = `examples/samples/${file}`;
      button.addEventListener('click', async () => {
        buttons.forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
        await img.decode();
        drawSource($('input'), img, img.naturalWidth, img.naturalHeight);
        await run(file);
      });
      return button;
    });
    $('samples').replaceChildren(...buttons);
    buttons[0].click();
  };

  $('direction').addEventListener('change', showSamples);
  $('file').addEventListener('change', async () => {
    const file = $('file').files?.[0];
    if (!file) return;
    try {
      const bitmap = await createImageBitmap(file);
      drawSource($('input'), bitmap, bitmap.width, bitmap.height);
      bitmap.close();
      $('samples').querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', 'false'));
      await run(file.name);
    } catch (e) {
      fail(new Error(`${file.name}: ${e instanceof Error ? e.message : e}`));
    }
  });
  showSamples();
}

main().catch(fail);
