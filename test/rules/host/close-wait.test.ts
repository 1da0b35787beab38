import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closeWaitLeak } from "../../../src/rules/host/close-wait.js";
import { finWait2Pileup } from "../../../src/rules/host/fin-wait2.js";
import { many, owner, run, snap, sock } from "../../fixtures/hostrules/snapshots.js";

describe("close-wait-leak", () => {
  const leaking = (n: number, lastrcv = 5000) =>
    many(n, (i) =>
      sock("CLOSE-WAIT", "10.0.0.2:8080", `10.0.0.1:${41000 + i}`, {
        recvQ: 1,
        ...owner("java", 4242, 10 + i),
        info: { lastrcv },
      }),
    );

  it("reports CLOSE-WAIT piled up under one process, with its descriptor count", () => {
    const host = snap({
      sockets: [
        sock("LISTEN", "10.0.0.2:8080", "0.0.0.0:*", { sendQ: 128, ...owner("java", 4242) }),
        ...leaking(40),
      ],
      processes: [{ pid: 4242, name: "java", openFds: 300, fdLimit: 1024 }],
    });
    const [f, ...rest] = run(closeWaitLeak, { host });
    assert.equal(rest.length, 0);
    assert.equal(f?.id, "close-wait-leak");
    assert.equal(f?.severity, "warning");
    const owners = f?.evidence.owners as { pid: number; count: number; openFds: number }[];
    assert.equal(owners[0]?.pid, 4242);
    assert.equal(owners[0]?.count, 40);
    assert.equal(owners[0]?.openFds, 300);
    assert.match(f?.summary ?? "", /java/);
    assert.ok((f?.sockets?.length ?? 0) > 0 && (f?.sockets?.length ?? 0) <= 10);
    assert.ok(f?.sources?.every((s) => s.file === "ss.txt" && s.line !== undefined));
  });

  it("is critical when the owner is near its descriptor limit", () => {
    const host = snap({
      sockets: leaking(20),
      processes: [{ pid: 4242, name: "java", openFds: 1000, fdLimit: 1024 }],
    });
    assert.equal(run(closeWaitLeak, { host })[0]?.severity, "critical");
  });

  it("ignores a few transient CLOSE-WAIT sockets and young ones", () => {
    assert.deepEqual(run(closeWaitLeak, { host: snap({ sockets: leaking(3) }) }), []);
    // 40 sockets whose FIN arrived 20 ms ago: a busy server closing normally.
    assert.deepEqual(run(closeWaitLeak, { host: snap({ sockets: leaking(40, 20) }) }), []);
  });

  it("groups by local service when ss -p was not used", () => {
    const host = snap({
      sockets: many(15, (i) => sock("CLOSE-WAIT", "10.0.0.2:5432", `10.0.0.9:${50000 + i}`)),
    });
    const f = run(closeWaitLeak, { host })[0];
    assert.equal(f?.confidence, "medium");
    assert.match(f?.summary ?? "", /10\.0\.0\.2:5432/);
  });

  it("honours a configured threshold", () => {
    assert.deepEqual(run(closeWaitLeak, { host: snap({ sockets: leaking(40) }) }, { minSockets: 50 }), []);
  });

  it("counts a socket listed twice (ss -tan and ss -tanp) once", () => {
    const list = leaking(8);
    const bare = list.map((s) => ({ ...s, processes: undefined, info: undefined }));
    // 8 unique sockets are below the threshold even though 16 lines mention them.
    assert.deepEqual(run(closeWaitLeak, { host: snap({ sockets: [...list, ...bare] }) }), []);
  });
});

describe("fin-wait2-pileup", () => {
  it("reports FIN-WAIT-2 towards one service that never closes", () => {
    const host = snap({
      sockets: many(30, (i) =>
        sock("FIN-WAIT-2", `10.0.0.1:${41000 + i}`, "10.0.0.2:8080", {
          timer: { name: "timewait", expiresMs: 50000 },
        }),
      ),
      sysctls: { "net.ipv4.tcp_fin_timeout": "60" },
    });
    const f = run(finWait2Pileup, { host })[0];
    assert.equal(f?.id, "fin-wait2-pileup");
    assert.deepEqual((f?.evidence.byPeer as { peer: string }[] | undefined)?.[0]?.peer, "10.0.0.2:8080");
  });

  it("ignores FIN-WAIT-2 that just started, or spread over many peers", () => {
    const young = many(30, (i) =>
      sock("FIN-WAIT-2", `10.0.0.1:${41000 + i}`, "10.0.0.2:8080", {
        timer: { name: "timewait", expiresMs: 59900 },
      }),
    );
    assert.deepEqual(
      run(finWait2Pileup, { host: snap({ sockets: young, sysctls: { "net.ipv4.tcp_fin_timeout": "60" } }) }),
      [],
    );
    const spread = many(30, (i) => sock("FIN-WAIT-2", `10.0.0.1:${41000 + i}`, `10.0.1.${i}:8080`));
    assert.deepEqual(run(finWait2Pileup, { host: snap({ sockets: spread }) }), []);
  });
});
