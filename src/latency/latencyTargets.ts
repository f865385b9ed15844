// The latency targets by name, for a table build's `target` and for whatever re-measures on a table's
// own target (lut validate, a search's final network). Each target module loads lazily: the engine,
// onnxruntime-node or a browser only where timing happens.
import { opTimingOf, type OpTiming } from './opTiming';
import type { LatencyTarget, TargetInfo } from './target';

export const TARGET_NAMES = ['engine-cpu', 'engine-cuda', 'ort-cpu', 'browser-wasm', 'browser-webgpu'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];
export const DEFAULT_TARGET: TargetName = 'engine-cpu';

/** The engine's own targets (engine-cpu, engine-cuda): they time modules, not exported ONNX models. */
export const isEngineTarget = (name: string): boolean => name === 'engine-cpu' || name === 'engine-cuda';

export const TARGET_HELP =
  'engine-cpu (libtorch, the engine training runs on), engine-cuda (the same on a GPU: `device`), ort-cpu (onnxruntime-node), browser-wasm ' +
  '(onnxruntime-web in headless Chromium, WebAssembly), browser-webgpu (the same on WebGPU, where the browser offers it)';

export interface MakeTargetOptions {
  threads?: number;
  hostname?: boolean;
  /** ONNX opset of the exported models (ONNX targets; default 13). */
  opset?: number;
  /** How the ONNX targets time each op (default DEFAULT_OP_TIMING; the engine times one op per forward). */
  opTiming?: OpTiming;
  /** engine-cuda: the CUDA device (cuda or cuda:N; default cuda:0). */
  device?: string;
}

export function checkTargetName(name: string, where = '`target`'): TargetName {
  if (!(TARGET_NAMES as readonly string[]).includes(name))
    throw new Error(`${where}: unknown latency target '${name}'; valid: ${TARGET_NAMES.join(', ')}`);
  return name as TargetName;
}

export async function makeLatencyTarget(name: string, o: MakeTargetOptions = {}): Promise<LatencyTarget> {
  switch (checkTargetName(name)) {
    case 'engine-cpu':
    case 'engine-cuda': {
      const { EngineTarget } = await import('./engineTarget');
      return new EngineTarget({ ...o, device: name === 'engine-cpu' ? 'cpu' : (o.device ?? 'cuda') });
    }
    case 'ort-cpu': {
      const { OrtCpuTarget } = await import('./ortCpuTarget');
      return OrtCpuTarget.create(o);
    }
    case 'browser-wasm':
    case 'browser-webgpu': {
      const { BrowserTarget } = await import('./browserTarget');
      return BrowserTarget.create({ ...o, backend: name === 'browser-wasm' ? 'wasm' : 'webgpu' });
    }
  }
}

/** The same target a table was measured on (its name, threads, device, ONNX opset and op timing). */
export function makeTargetOfTable(
  t: TargetInfo,
  o: { hostname?: boolean; threads?: number } = {},
): Promise<LatencyTarget> {
  const opset = typeof t.settings.opset === 'number' ? t.settings.opset : undefined;
  return makeLatencyTarget(checkTargetName(t.name, 'the latency table'), {
    threads: o.threads ?? t.threads,
    hostname: o.hostname,
    ...(opset ? { opset } : {}),
    ...(t.name === 'engine-cuda' && typeof t.settings.device === 'string' ? { device: t.settings.device } : {}),
    ...(isEngineTarget(t.name) ? {} : { opTiming: opTimingOf(t.settings) }),
  });
}
