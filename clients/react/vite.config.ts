// The library build: one ESM file, React left to the app (peer dependency)
// and tus-js-client too (a dependency: the app's bundler takes its browser
// build, and an app that uses it itself shares one copy).
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic" },
  build: {
    lib: { entry: "src/index.ts", formats: ["es"], fileName: () => "index.js" },
    rollupOptions: { external: ["react", "react-dom", "react/jsx-runtime", "tus-js-client"] },
    sourcemap: true,
    emptyOutDir: true,
    target: "es2020",
  },
});
