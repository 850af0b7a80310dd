// One sleep for every poll loop and back-off in Tugboat: it ends early, without an error,
// when the signal aborts, so a loop stopping on Ctrl-C or shutdown just checks the signal
// next. The listener goes when the timer fires: a loop sleeping thousands of times on one
// signal would otherwise pile them up (Node warns past 10). No imports, and its own entry
// point (`@tugboat/api/sleep`), for code that must stay light (the container monitor's log reader).
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) { resolve(); return; }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
