import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../../src/cli/errors.js";
import { parseConfig } from "../../src/io/config.js";

test("config: YAML thresholds per id are read", () => {
  const cfg = parseConfig("thresholds:\n  close-wait-leak:\n    sockets: 50\n", "c.yaml");
  assert.deepEqual(cfg.thresholds, { "close-wait-leak": { sockets: 50 } });
});

test("config: JSON is accepted", () => {
  const cfg = parseConfig('{"interval": 5, "topN": 20}', "c.json");
  assert.equal(cfg.interval, 5);
  assert.equal(cfg.topN, 20);
});

test("config: an unknown key is named with its line", () => {
  assert.throws(
    () => parseConfig("interval: 5\nthreshold:\n  x: 1\n", "c.yaml"),
    (e: unknown) => e instanceof UserError && /c\.yaml:2: bad key threshold/.test(e.message),
  );
});

test("config: a wrong value type names the nested key and line", () => {
  assert.throws(
    () => parseConfig("thresholds:\n  packet-loss:\n    ratio: high\n", "c.yaml"),
    (e: unknown) =>
      e instanceof UserError && /c\.yaml:3: bad key thresholds\.packet-loss\.ratio/.test(e.message),
  );
});

test("config: YAML syntax errors give a line", () => {
  assert.throws(
    () => parseConfig("thresholds: [\n", "c.yaml"),
    (e: unknown) => e instanceof UserError && /^c\.yaml:\d+: /.test(e.message),
  );
});
