// Heartbeats are called from every training step; the store is written at most once per interval.

/** `beat`, run at most once per `ms` milliseconds however often the result is called. */
export function throttle(beat: () => void, ms: number): () => void {
  let last = 0;
  return () => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    beat();
  };
}
