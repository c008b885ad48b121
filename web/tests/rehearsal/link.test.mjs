// The rehearsal's link between machines: bytes held while cut and delivered after,
// connections made while cut completed after, nothing refused.
import net from "node:net";
import { afterEach, expect, it } from "vitest";
import { startLink } from "./link.mjs";

const closers = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

async function echoServer() {
  const srv = net.createServer((s) => s.pipe(s));
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  closers.push(() => srv.close());
  return srv.address().port;
}

function client(port) {
  const s = net.connect(port, "127.0.0.1");
  closers.push(() => s.destroy());
  let got = "";
  const waiters = [];
  s.on("data", (d) => {
    got += d;
    for (const w of waiters.splice(0)) w();
  });
  return {
    s,
    get got() {
      return got;
    },
    /** Resolves once `text` has arrived. */
    async arrived(text) {
      while (!got.includes(text)) await new Promise((r) => waiters.push(r));
    },
  };
}

it("holds bytes while cut and delivers them, in order, when restored", async () => {
  const link = await startLink();
  closers.push(() => link.close());
  const port = await link.relay(await echoServer());
  const c = client(port);
  c.s.write("one;");
  await c.arrived("one;");
  link.cut();
  c.s.write("two;");
  c.s.write("three;");
  // Nothing comes back while cut: a ping through a second, uncut relay proves time passed.
  const other = await startLink();
  closers.push(() => other.close());
  const d = client(await other.relay(await echoServer()));
  d.s.write("tick");
  await d.arrived("tick");
  expect(c.got).toBe("one;");
  link.restore();
  await c.arrived("three;");
  expect(c.got).toBe("one;two;three;");
});

it("completes a connection made while cut once the link is back", async () => {
  const link = await startLink();
  closers.push(() => link.close());
  const port = await link.relay(await echoServer());
  link.cut();
  const c = client(port);
  await new Promise((r) => c.s.once("connect", r));
  c.s.write("hello");
  link.restore();
  await c.arrived("hello");
  expect(c.got).toBe("hello");
});
