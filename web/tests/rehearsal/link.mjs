// The network between the two machines of the rehearsal: a TCP relay per service
// that one machine reaches on the other. `cut()` behaves like a cable pulled out:
// nothing is refused or reset, bytes simply stop arriving (held, as TCP keeps
// retransmitting them) and new connections hang unanswered; `restore()` delivers what
// was held and completes the waiting connections, unless an end gave up meanwhile.
// (The two-machine test does the same with real namespaces and a veth pair; this
// relay needs no root, so the rehearsal runs anywhere.)

import net from "node:net";

/** Bytes held per direction while cut before the connection is dropped (a full window). */
const MAX_HELD = 4 * 1024 * 1024;

export async function startLink() {
  let up = true;
  const pairs = new Set();
  const waiting = new Set();
  const servers = [];

  function join(client, port) {
    const server = net.connect(port, "127.0.0.1");
    const pair = { client, server, held: [[], []], bytes: [0, 0] };
    pairs.add(pair);
    const forward = (from, to, dir) =>
      from.on("data", (d) => {
        if (up) return void to.write(d);
        pair.held[dir].push(d);
        pair.bytes[dir] += d.length;
        if (pair.bytes[dir] > MAX_HELD) {
          client.destroy();
          server.destroy();
        }
      });
    forward(client, server, 0);
    forward(server, client, 1);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    // A close is news from one machine: while cut, the other hears of it only when
    // the link is back.
    client.on("close", () => (up ? close() : (pair.closed = true)));
    server.on("close", () => (up ? close() : (pair.closed = true)));
    client.on("error", () => {});
    server.on("error", () => {});
  }

  /** A relay to `port` on the far machine; resolves with the port to use instead. */
  async function relay(port) {
    const srv = net.createServer((client) => {
      client.on("error", () => {});
      if (up) return join(client, port);
      const w = { client, port };
      waiting.add(w);
      client.once("close", () => waiting.delete(w));
    });
    await new Promise((r) => srv.listen(0, "127.0.0.1", r));
    servers.push(srv);
    return srv.address().port;
  }

  return {
    relay,
    get up() {
      return up;
    },
    cut() {
      up = false;
    },
    restore() {
      up = true;
      for (const p of pairs) {
        if (p.closed) {
          pairs.delete(p);
          p.client.destroy();
          p.server.destroy();
          continue;
        }
        for (const d of p.held[0]) p.server.write(d);
        for (const d of p.held[1]) p.client.write(d);
        p.held = [[], []];
        p.bytes = [0, 0];
      }
      for (const w of waiting) {
        waiting.delete(w);
        if (!w.client.destroyed) join(w.client, w.port);
      }
    },
    close() {
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
      for (const w of waiting) w.client.destroy();
      for (const s of servers) s.close();
    },
  };
}
