import type { Command } from 'commander';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('the engine: libtorch version, threads, devices')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const { availableDevices, runtimeInfo } = await import('../../engine/runtime');
      const info = { ...runtimeInfo(), devices: availableDevices() };
      if (o.json) console.log(JSON.stringify(info));
      else
        for (const [k, v] of Object.entries(info))
          console.log(`${k.padEnd(16)} ${Array.isArray(v) ? v.join(', ') : v}`);
    });
}
