// tsnas dashboard: the live web dashboard over a store (src/dashboard), until Ctrl-C. A thin client:
// it starts the server, prints where it is (and the token it made, never one the user gave), and
// stops it on a signal.
import { Option, type Command } from 'commander';
import { DEFAULT_STORE } from '../../study/store';
import { nonNegativeInt } from '../options';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'a live, read-only web dashboard over a store: its studies, each study updated as trials finish, trials, comparisons',
    )
    .option('--store <file>', 'study store: a file or a postgres:// URL', DEFAULT_STORE)
    .option('--port <n>', 'the port to listen on (0: any free port)', nonNegativeInt('--port'), 8080)
    .option(
      '--host <address>',
      'the address to listen on; any but a loopback address asks every request for a token (--token, else one printed at start)',
      '127.0.0.1',
    )
    .addOption(
      new Option(
        '--token <t>',
        'the token every request must carry, at least 16 characters (never printed; on a loopback address too); default: none on a loopback address, else a random one printed at start',
      ).env('TSNAS_DASHBOARD_TOKEN'),
    )
    .action(async (o: { store: string; port: number; host: string; token?: string }) => {
      // Loaded only here: it brings fastify and the charts.
      const { startDashboard, dashboardBanner } = await import('../../dashboard');
      const d = await startDashboard({
        store: o.store,
        port: o.port,
        host: o.host,
        ...(o.token !== undefined ? { token: o.token } : {}),
      });
      for (const line of dashboardBanner(d)) console.log(line);
      console.log('Ctrl-C stops it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await d.close();
    });
}
