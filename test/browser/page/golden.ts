// Test page: the library's ESM bundle ('ugatit-tf' and 'ugatit-tf/io', mapped by the page's import map) measured
// against the golden files on webgl and webgpu, driven by test/browser/golden-suite.ts through
// window.ugatitGolden. The measuring code is the Node tests' own (test/helpers), bundled here.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { readSafetensors } from '../../../src/io';
import { measureForward, type ForwardEntry, type ForwardFixture } from '../../helpers/golden-forward';
import { compareTrainingWithReference, type TrainingFixture, type TrainingFixtureName } from '../../helpers/golden-training';
import { recordKernels } from '../../helpers/kernel-recorder';

function log(line: string): void {
  const el = document.getElementById('log')!;
  el.textContent = el.textContent === 'loading…' ? line : `${el.textContent}\n${line}`;
}

/** What the test needs to know about the backend it is measuring. */
export interface BackendInfo {
  backend: string;
  /** webgl: whether textures can be rendered to in float32 (else float16: ~3 decimal digits). */
  renderFloat32?: boolean;
  webglVersion?: number;
  adapter: string;
}

async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  // Both GPU backends otherwise run kernels on small tensors with their CPU implementations;
  // the golden checks are meant for the shaders.
  if (name === 'webgl') tf.env().set('WEBGL_CPU_FORWARD', false);
  if (name === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
}

/** Why this page cannot have WebGPU, or null when it can. */
async function webgpuMissing(): Promise<string | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'navigator.gpu is missing: Chromium offers WebGPU only to secure contexts (https, http://127.0.0.1)';
  if (!(await gpu.requestAdapter())) {
    return 'navigator.gpu.requestAdapter() found no adapter: Chromium on Linux offers one only with --enable-unsafe-webgpu, on a Vulkan driver or SwiftShader';
  }
  return null;
}

async function info(name: string): Promise<BackendInfo> {
  const missing = name === 'webgpu' ? await webgpuMissing() : null;
  if (missing) throw new Error(missing);
  await useBackend(name);
  if (name === 'webgl') {
    const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    return {
      backend: tf.getBackend(),
      webglVersion: tf.env().getNumber('WEBGL_VERSION'),
      renderFloat32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
      adapter: String(debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER)),
    };
  }
  if (name === 'webgpu') {
    const adapter = (tf.backend() as unknown as { adapterInfo: { vendor?: string; architecture?: string } }).adapterInfo;
    return { backend: tf.getBackend(), adapter: `${adapter.vendor ?? '?'} ${adapter.architecture ?? ''}`.trim() };
  }
  return { backend: tf.getBackend(), adapter: 'none' };
}

async function fixture(file: string) {
  const response = await fetch(`/fixtures/pytorch-reference/${file}`);
  if (!response.ok) throw new Error(`fixture ${file}: HTTP ${response.status}`);
  return readSafetensors(new Uint8Array(await response.arrayBuffer()));
}

/** Runs `measure` on `backend` with the kernels recorded; checks it leaves no tensor behind. */
async function measured<T>(backend: string, what: string, measure: () => Promise<T>) {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const started = performance.now();
  const { result, kernels } = await recordKernels(measure);
  const seconds = (performance.now() - started) / 1000;
  log(`${backend} ${what}: ${seconds.toFixed(1)} s`);
  return { result, kernels, seconds, leaked: tf.memory().numTensors - before };
}

const api = {
  info,
  /** One forward fixture (`<name>.safetensors`, its `manifest.json` entry) on `backend`. */
  async forward(backend: string, name: ForwardFixture, entry: ForwardEntry) {
    await useBackend(backend);
    const tensors = await fixture(`${name}.safetensors`);
    try {
      return await measured(backend, name, () => measureForward(name, tensors, entry));
    } finally {
      tf.dispose(Object.values(tensors));
    }
  },
  /** The first `steps` iterations of a training fixture (`<name>.safetensors`; its configuration and losses from the test) on `backend`. */
  async training(backend: string, name: TrainingFixtureName, meta: Pick<TrainingFixture, 'config' | 'losses'>, steps: number) {
    await useBackend(backend);
    const f: TrainingFixture = { name, tensors: await fixture(`${name}.safetensors`), ...meta };
    try {
      return await measured(backend, `${name}, ${steps} step(s)`, () => compareTrainingWithReference(f, undefined, steps));
    } finally {
      tf.dispose(Object.values(f.tensors));
    }
  },
};

/** The page's interface to the test. */
export type GoldenPage = typeof api;
(window as unknown as { ugatitGolden: GoldenPage }).ugatitGolden = api;
log('ready');
