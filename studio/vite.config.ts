/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` serves the studio on :5173 and forwards the API to a running `mlyard up`
// (MLYARD_URL, default the server's default port), so that pages reload as they are edited.
const server = process.env.MLYARD_URL ?? "http://127.0.0.1:8765";
const proxied = ["/api", "/mlflow", "/health"];

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    // The Python package serves this folder (src/mlyard/server/studio.py).
    outDir: "../src/mlyard/server/static/studio",
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: server, changeOrigin: true, ws: true }])),
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test-setup.ts"],
  },
});
