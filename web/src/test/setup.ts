import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// Lazy route chunks load through Vite's transform on first use: on a busy
// 2-core machine that alone can pass the default 1 s of findBy*/waitFor.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => cleanup());
