import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

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
