// Lint: ESLint's and typescript-eslint's recommended rules (pure JavaScript packages, so `npm ci`
// installs them on any platform); formatting is Prettier's (.prettierrc.json).
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bench/out/**", "test-artifacts/**", "test/fixtures/**/*.json"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,mjs,js}"],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-control-regex": "off",
      // identity caches (last object computed for `this`) keep a reference to `this` on purpose
      "@typescript-eslint/no-this-alias": "off",
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
  {
    // The command line's launcher is CommonJS (scripts/bin-launcher.cjs, see scripts/bundle.mjs).
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Browser-side script of the HTML report, and page code run by the browser tests.
    files: ["src/report/html/client*.ts", "test/browser/**/*.ts"],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
);
