import cliProgress from 'cli-progress';

/** A progress bar on stderr (steps, a short status and the ETA); silent when `quiet`. */
export interface Progress {
  update(done: number, status?: string): void;
  stop(): void;
}

/** Starts a progress bar of `total` units labelled `label`. */
export function startProgress(label: string, total: number, quiet = false): Progress {
  if (quiet) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {status}`,
      barsize: 24,
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 20,
      fps: 5,
      noTTYOutput: true,
      notTTYSchedule: 10_000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: '' });
  return {
    update: (done, status = '') => bar.update(done, { status }),
    stop: () => bar.stop(),
  };
}

/** A few loss terms in a short line: `rec 0.123 adv 0.98 …`. */
export function lossSummary(losses: Record<string, number>): string {
  const pick: [string, string][] = [
    ['main/reconstruction', 'rec'],
    ['main/adversarial', 'G'],
    ['disc/adversarial', 'D'],
    ['aux/metricLearning', 'metric'],
    ['main/transferLatentCycle', 'cycle'],
  ];
  return pick
    .filter(([k]) => k in losses)
    .map(([k, short]) => `${short} ${losses[k].toFixed(3)}`)
    .join('  ');
}
