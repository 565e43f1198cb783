// Test page: the library's ESM bundle on tfjs-backend-webgl, driven by test/browser/webgl.test.ts
// through window.ugatitTest. Weights and inputs come from the test so both backends see the same numbers.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import {
  createDiscriminator, createGenerator, heatmapToImage, overlayHeatmap, UGATITTrainer, NETWORK_NAMES,
} from 'ugatit-tf';

const log = (line) => {
  const el = document.getElementById('log');
  el.textContent = el.textContent === 'loading…' ? line : `${el.textContent}\n${line}`;
};

async function useBackend(name) {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  // Small tensors would otherwise run on the CPU inside the webgl backend.
  if (name === 'webgl') tf.env().set('WEBGL_CPU_FORWARD', false);
}

function weightShapes(model) {
  return model.weights.map((w) => ({ name: w.originalName, shape: w.shape }));
}

/** Sets every weight (trainable or not, in `model.weights` order) from one flat array. */
function setWeightsFromFlat(model, flat) {
  let offset = 0;
  const tensors = model.weights.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.slice(offset, offset + size), w.shape, 'float32');
    offset += size;
    return t;
  });
  if (offset !== flat.length) throw new Error(`${model.name}: ${flat.length} values for ${offset} weights`);
  model.setWeights(tensors);
  tf.dispose(tensors);
}

function buildNetworks(spec) {
  const nets = {};
  for (const name of NETWORK_NAMES) {
    const s = spec[name];
    nets[name] = s.kind === 'generator' ? createGenerator({ ...s.config, name }) : createDiscriminator({ ...s.config, name });
  }
  return nets;
}

async function drawTensor(id, image01) {
  const clipped = tf.clipByValue(image01, 0, 1);
  await tf.browser.toPixels(clipped, document.getElementById(id));
  clipped.dispose();
}

window.ugatitTest = {
  async info() {
    await useBackend('webgl');
    const gl = tf.backend().gpgpu.gl;
    const dbg = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      backend: tf.getBackend(),
      webglVersion: tf.env().getNumber('WEBGL_VERSION'),
      renderFloat32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
      renderer: dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    };
  },

  async generatorWeightShapes(config) {
    await useBackend('cpu');
    const model = createGenerator(config);
    const shapes = weightShapes(model);
    model.dispose();
    return shapes;
  },

  /** Runs the generator on `backend`; returns its three outputs as flat arrays (and draws them on webgl). */
  async runGenerator(backend, config, flatWeights, input, inputShape) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const model = createGenerator(config);
    setWeightsFromFlat(model, flatWeights);
    const x = tf.tensor(input, inputShape, 'float32');
    const [image, camLogit, heatmap] = model.predict(x);
    const out = {
      image: Array.from(await image.data()), camLogit: Array.from(await camLogit.data()), heatmap: Array.from(await heatmap.data()),
      shapes: [image.shape, camLogit.shape, heatmap.shape],
    };
    if (backend === 'webgl') {
      const size = inputShape[1];
      const toUnit = (t) => tf.tidy(() => tf.div(tf.add(tf.squeeze(t, [0]), 1), 2));
      const input01 = toUnit(x);
      const heat = heatmapToImage(heatmap, size);
      const overlay = overlayHeatmap(input01, heat, 0.5);
      const output01 = toUnit(image);
      await drawTensor('input', input01);
      await drawTensor('heatmap', overlay);
      await drawTensor('output', output01);
      tf.dispose([input01, heat, overlay, output01]);
    }
    tf.dispose([x, image, camLogit, heatmap]);
    model.dispose();
    out.leaked = tf.memory().numTensors - before;
    return out;
  },

  async networkWeightShapes(spec) {
    await useBackend('cpu');
    const nets = buildNetworks(spec);
    const shapes = Object.fromEntries(NETWORK_NAMES.map((n) => [n, weightShapes(nets[n])]));
    for (const n of NETWORK_NAMES) nets[n].dispose();
    return shapes;
  },

  /** One UGATITTrainer.step on `backend` from the given weights; returns losses and how far each network moved. */
  async trainStep(backend, spec, flatWeights, realA, realB, inputShape) {
    await useBackend(backend);
    const nets = buildNetworks(spec);
    for (const n of NETWORK_NAMES) setWeightsFromFlat(nets[n], flatWeights[n]);
    const snapshot = () => Object.fromEntries(NETWORK_NAMES.map((n) => [n, nets[n].trainableWeights.map((w) => w.read().dataSync().slice())]));
    const start = snapshot();
    const trainer = new UGATITTrainer(nets, { iterations: 10 });
    const a = tf.tensor(realA, inputShape, 'float32');
    const b = tf.tensor(realB, inputShape, 'float32');
    const t0 = performance.now();
    const { losses } = await trainer.step(a, b);
    const seconds = (performance.now() - t0) / 1000;
    const end = snapshot();
    const moved = {};
    for (const n of NETWORK_NAMES) {
      let max = 0;
      start[n].forEach((w, i) => w.forEach((v, j) => { max = Math.max(max, Math.abs(end[n][i][j] - v)); }));
      moved[n] = max;
    }
    tf.dispose([a, b]);
    for (const n of NETWORK_NAMES) nets[n].dispose();
    if (backend === 'webgl') log(`one training step on webgl: ${seconds.toFixed(1)} s, D_loss ${losses.D_loss.toFixed(4)}, G_loss ${losses.G_loss.toFixed(4)}`);
    return { losses, moved, seconds };
  },

  log,
};
window.ugatitReady = true;
