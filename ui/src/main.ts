// Entry point: mounts the app shell (or, in the quick-pick window, the quick-pick) into #app.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

performance.mark("twofold:script");

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");
// The quick-pick window loads the same page; its start-up script names it.
const quick = (window as { __TWOFOLD_START_MODE__?: string | null }).__TWOFOLD_START_MODE__ === "quick";
// Its code is a chunk of its own, so the main window does not parse it.
if (quick) {
  void import("./modes/quick/QuickPick.svelte").then(({ default: QuickPick }) => mount(QuickPick, { target }));
} else {
  mount(App, { target });
}
