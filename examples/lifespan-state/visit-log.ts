// The shared resource: an append-only log file, opened once and used by every request.
import { open, type FileHandle } from 'node:fs/promises';

export class VisitLog {
  #count = 0;

  private constructor(private readonly file: FileHandle) {}

  /** Opens (or creates) the log; fails if the file cannot be opened, which fails startup. */
  static async open(path: string): Promise<VisitLog> {
    return new VisitLog(await open(path, 'a'));
  }

  /** Appends one line and returns how many visits this process has recorded. */
  async record(path: string): Promise<number> {
    this.#count += 1;
    const n = this.#count;
    await this.file.appendFile(`${new Date().toISOString()} ${path}\n`);
    return n;
  }

  get count(): number {
    return this.#count;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
