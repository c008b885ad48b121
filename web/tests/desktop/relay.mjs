// A TCP relay in front of the hub that counts the desktop app's polls (each starts
// with GET /api/health), for the test and the idle benchmark.

import net from "node:net";
import { freePort } from "../e2e/harness.mjs";

export async function countingRelay(port) {
  const counter = { polls: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    client.on("data", (d) => {
      counter.polls += (d.toString("latin1").match(/GET \/api\/health /g) || []).length;
      upstream.write(d);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  const relayPort = await freePort();
  await new Promise((r) => server.listen(relayPort, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${relayPort}`, counter, close: () => server.close() };
}
