// The Loop check panel's state, kept outside the view so a run goes on filling in while the
// admin looks at another tab (the view is remounted on every switch and on Refresh). The
// rules of what the rows show are in lib/logic/loopCheck.ts; this file only wires them to the
// commands.

import { loopCheckApi, toLoopError, type LoopError } from "../../lib/api/loopCheck";
import { setClock } from "../../lib/clockWarning.svelte";
import { applyEvent, canRun, finished, idle, started, stopped, type PanelModel } from "../../lib/logic/loopCheck";

export const loopCheck = $state({
  model: idle([]) as PanelModel,
  url: "",
  error: null as LoopError | null,
  loaded: false,
  copied: false,
});

/** First show of the panel: the step names and the remembered (or guessed) portal URL. */
export async function loadPanel(): Promise<void> {
  if (loopCheck.loaded) return;
  try {
    const state = await loopCheckApi.state();
    loopCheck.model = idle(state.steps);
    loopCheck.url = state.portal_url;
    loopCheck.loaded = true;
  } catch (e) {
    loopCheck.error = toLoopError(e);
  }
}

export async function runLoopCheck(): Promise<void> {
  if (!canRun(loopCheck.model, loopCheck.url)) return;
  loopCheck.error = null;
  loopCheck.copied = false;
  loopCheck.model = started(loopCheck.model);
  try {
    const report = await loopCheckApi.run(loopCheck.url.trim(), (event) => {
      if (event.type === "clock") setClock(event.check);
      loopCheck.model = applyEvent(loopCheck.model, event);
    });
    loopCheck.model = finished(loopCheck.model, report);
  } catch (e) {
    loopCheck.error = toLoopError(e);
    loopCheck.model = stopped(loopCheck.model);
  }
}

export async function copyReport(): Promise<void> {
  try {
    await loopCheckApi.copyReport();
    loopCheck.copied = true;
  } catch (e) {
    loopCheck.error = toLoopError(e);
  }
}
