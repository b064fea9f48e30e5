// Entry point: mounts the app shell into #app.
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

performance.mark("twofold:script");

const target = document.getElementById("app");
if (!target) throw new Error("#app is missing from index.html");
export default mount(App, { target });
