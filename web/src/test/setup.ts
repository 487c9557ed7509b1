import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// Lazy route chunks load through Vite's transform on first use: on a busy
// 2-core machine that alone can pass the default 1 s of findBy*/waitFor.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => cleanup());

// findBy*/waitFor wait for lazily loaded route chunks and scripted fetches; on
// a shared, loaded 2-core machine the default 1 s is not enough (the full run
// failed six tests there that pass alone). A limit on waiting, not a timing assertion.
configure({ asyncUtilTimeout: 10_000 });
