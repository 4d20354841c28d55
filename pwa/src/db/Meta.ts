/** Key/value settings of the local store. */
export interface MetaRow {
  key: MetaKey | `tokens:${string}`;
  value: unknown;
}

export type MetaKey =
  | 'cursor'
  | 'device_id'
  | 'last_seq'
  | 'hlc'
  | 'last_receipt'
  | 'keys'
  | 'pull_total'
  | 'unlock_failures'
  | 'unlock_chosen'
  | 'box'
  | 'reseal'
  | 'crew_salt'
  | 'stream_last_event_id'
  | 'field_alerts'
  /** The disposition list as last heard (GET /dispositions): chosen from offline. */
  | 'dispositions';
