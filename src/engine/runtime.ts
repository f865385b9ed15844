// Process-wide engine settings: threads, devices, versions.
import { native } from './binding';
import { blasInUse } from './blas';

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export function getNumThreads(): number {
  return native.getNumThreads();
}

export interface RuntimeInfo {
  torchVersion: string;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  mkldnn: boolean;
  threads: number;
  /** How malloc is set up: 'retain' (freed memory kept for reuse, the default on glibc), 'user' (the
   *  user's MALLOC_* / GLIBC_TUNABLES settings), 'default' (TSNAS_MALLOC=default, or not glibc). */
  allocator: string;
  /** The BLAS libtorch calls, and the file loaded (src/engine/blas.ts). */
  blas: string;
}
export function runtimeInfo(): RuntimeInfo {
  const r = native.runtimeInfo();
  return {
    torchVersion: r.torchVersion,
    cudaAvailable: r.cudaAvailable,
    cudaDeviceCount: r.cudaDeviceCount,
    mkldnn: r.mkldnn,
    allocator: r.allocator,
    threads: native.getNumThreads(),
    blas: blasText(),
  };
}

/** Devices usable now: always 'cpu'; 'cuda:N' when the addon was built against a CUDA libtorch. */
export function availableDevices(): string[] {
  const r = native.runtimeInfo();
  const out = ['cpu'];
  for (let i = 0; i < r.cudaDeviceCount; i++) out.push(`cuda:${i}`);
  return out;
}

function blasText(): string {
  const b = blasInUse();
  return b.library ? `${b.name} (${b.library})` : b.name;
}
