import { watch, type FSWatcher } from 'node:fs';
import type { FollowLogger } from './follow-log.js';
import { LAST_KNOWN_GOOD_FILE, STATUS_FILE } from './state-store.js';

/**
 * Watches a state dir for what another process sharing it writes (last-known-good.json,
 * updater-status.json) and calls `onChange` once the events of one write settle. Whatever is
 * read then passes the gates (reload.ts) before it reaches the live index.
 */
export class StateDirWatch {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly onChange: () => void,
    private readonly log: () => FollowLogger,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (name !== LAST_KNOWN_GOOD_FILE && name !== STATUS_FILE) return;
        // A rename shows as several events: read once they settle.
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(this.onChange, 50);
        this.timer.unref();
      });
    } catch (err) {
      this.log().warn({ dir: this.dir, err }, 'cannot watch the state dir: processes sharing it will not see each other');
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
