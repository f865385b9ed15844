// What every concern of an SQL study store (studies, trials, the trial queue, strategy state,
// artifacts, workers) works on: the open store's driver and location, and the facts about its
// studies' files that reading a study row learns. A part reaches the other concerns through the
// whole store (StudyStorage), never through each other, so that the parts import no part.
import type { SqlDriver } from '../sqlDriver';
import type { StudyStorage } from '../studyStorage';

export interface StoreContext {
  /** The database the store's SQL runs on (SQLite or PostgreSQL). */
  readonly driver: SqlDriver;
  /** The store's location as given (a PostgreSQL URL without its password). */
  readonly file: string;
  readonly studiesRoot: string;
  /** The directory each study's files are in, by name (schema 3's files_dir, else under studiesRoot). */
  readonly filesDirs: Map<string, string | null>;
  /** Where each study keeps its files, by name (schema 4's files_in: 'store', 'dir', or null as before). */
  readonly filesIn: Map<string, string | null>;
}

/** One concern of an SQL store: its SQL on the context's driver, the rest through the whole store. */
export abstract class StorePart {
  constructor(
    private readonly c: StoreContext,
    /** The whole store: what another concern does. */
    protected readonly store: StudyStorage,
  ) {}

  protected get driver(): SqlDriver {
    return this.c.driver;
  }
  protected get file(): string {
    return this.c.file;
  }
  protected get studiesRoot(): string {
    return this.c.studiesRoot;
  }
  /** Whether the store is a PostgreSQL database (one many machines share). */
  protected get shared(): boolean {
    return this.c.driver.dialect === 'postgres';
  }
  protected get filesDirs(): Map<string, string | null> {
    return this.c.filesDirs;
  }
  protected get filesIn(): Map<string, string | null> {
    return this.c.filesIn;
  }
}
