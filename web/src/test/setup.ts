import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// findBy*/waitFor wait for lazily loaded route chunks and scripted fetches; on
// a shared, loaded 2-core machine the default 1 s is not enough (the full run
// failed six tests there that pass alone). A limit on waiting, not a timing assertion.
configure({ asyncUtilTimeout: 10_000 });

// jsdom lays nothing out (every size is 0). A virtualised list's scroll box
// (marked `data-virtual-scroll`) gets a 600 px viewport, so it renders a
// window of rows as in a browser; tests set its scrollTop to scroll.
export const VIRTUAL_VIEWPORT = 600;
Object.defineProperty(HTMLElement.prototype, "clientHeight", {
  configurable: true,
  get(this: HTMLElement) {
    return this.hasAttribute("data-virtual-scroll") ? VIRTUAL_VIEWPORT : 0;
  },
});
