/** Pure helpers of the supervisor's debrief screen: a call's short form, the note as sent. */

/** Hex characters shown of a call id: enough to tell a shift's calls apart when read aloud. */
export const SHORT_ID_LENGTH = 8;

/**
 * A call id as a supervisor reads it: its last characters (call ids are UUIDv7, whose first ones are the
 * time they were made and so alike for calls of the same minute).
 */
export function shortCallId(id: string): string {
  const hex = id.replace(/-/g, '');
  return hex.slice(-SHORT_ID_LENGTH).toUpperCase();
}

/** The optional note as sent: trimmed, and null when nothing was written. */
export function noteToSend(typed: string): string | null {
  const note = typed.trim();
  return note ? note : null;
}
