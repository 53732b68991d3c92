import type { StoredFileRow } from '../db/schema.ts';
import type { StorageLocation } from '../storage/contract.ts';

/** A file the service stored and recorded: its row, where it lives and the URL it is served from. */
export interface StoredUpload {
  url: string;
  location: StorageLocation;
  file: StoredFileRow;
}
