import { AppDB } from './AppDB';

let instance: AppDB | null = null;

/** The app's one database (tests swap in a uniquely named one with setDb). */
export function db(): AppDB {
  instance ??= new AppDB();
  return instance;
}

export function setDb(next: AppDB): void {
  instance = next;
}
