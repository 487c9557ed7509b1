import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// findBy*/waitFor wait for lazily loaded route chunks and scripted fetches; on
// a shared, loaded 2-core machine the default 1 s is not enough (the full run
// failed six tests there that pass alone). A limit on waiting, not a timing assertion.
configure({ asyncUtilTimeout: 10_000 });
