// --device cpu|cuda|cuda:N for every command that runs the engine: checked as a flag, then
// against what the addon's libtorch offers, and made the engine's default device (new tensors,
// parameters and the data loader's batches go there).
import { InvalidArgumentError } from 'commander';

export const DEVICE_FORMS = ['cpu', 'cuda', 'cuda:N'] as const;
export const DEVICE_HELP = 'where tensors live: cpu (default), cuda or cuda:N (a GPU; needs a CUDA build, see README)';

/** The flag's parser: the forms only (whether the device exists is known once the engine loads). */
export function deviceOption(v: string): string {
  if (!/^(cpu|cuda(:\d+)?)$/.test(v))
    throw new InvalidArgumentError(`--device must be cpu, cuda or cuda:N (e.g. cuda:0), got '${v}'`);
  return v;
}

/**
 * Makes `device` the engine's default after checking that its libtorch has it; the error says
 * how to get a CUDA build. Loads the engine.
 */
export async function useDevice(device: string | undefined): Promise<void> {
  if (device === undefined || device === 'cpu') return;
  const { runtimeInfo } = await import('../engine/runtime');
  const { setDefaultDevice } = await import('../engine/creation');
  const info = runtimeInfo();
  if (!info.cudaAvailable || info.cudaDeviceCount === 0)
    throw new Error(
      `--device ${device}: the engine has no CUDA device (libtorch ${info.torchVersion} here is built for the CPU only${
        info.cudaAvailable ? ', or no GPU is visible' : ''
      }); build the addon against a CUDA libtorch: TSNAS_LIBTORCH=/path/to/libtorch bash scripts/setup.sh ` +
        "(a PyTorch wheel's torch/ folder works: README, 'GPUs'), or run with --device cpu",
    );
  const index = device === 'cuda' ? 0 : Number(device.slice(5));
  if (index >= info.cudaDeviceCount)
    throw new Error(
      `--device ${device}: this machine has ${info.cudaDeviceCount} CUDA device(s) (cuda:0${info.cudaDeviceCount > 1 ? `..cuda:${info.cudaDeviceCount - 1}` : ''}); name one of them`,
    );
  setDefaultDevice(`cuda:${index}`);
}
