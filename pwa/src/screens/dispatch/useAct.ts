/** One dispatch act on a call (assign, resolve by phone, decline): busy while it is sent, its failure kept for the form. */
import { useState } from 'preact/hooks';
import type { QueueCall } from '../../api/dispatch';
import { api } from '../supply/common';
import { failure, type Failure, type Loader } from '../supply/view';

export interface Act {
  busy: boolean;
  problem: Failure | null;
  /** Sends the act; true once the server took it (then `onDone` ran). */
  run(act: Loader<QueueCall>): Promise<boolean>;
}

export function useAct(onDone: (call: QueueCall) => void): Act {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Failure | null>(null);
  const run = async (act: Loader<QueueCall>) => {
    setBusy(true);
    try {
      const call = await act(api());
      setProblem(null);
      onDone(call);
      return true;
    } catch (e) {
      setProblem(failure(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, problem, run };
}
