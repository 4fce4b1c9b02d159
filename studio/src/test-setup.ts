// Vitest: unmount what each test rendered (testing-library does it itself only with globals).
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());
