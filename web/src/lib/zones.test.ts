import { describe, expect, it } from "vitest";
import { CANVAS, intersects, parseRect, ZONES, zoneRect } from "./zones";

describe("zones", () => {
  it("no two zones intersect, and every zone is inside the canvas", () => {
    const all = Object.entries(ZONES);
    for (const [name, r] of all) {
      expect(r.x + r.w <= CANVAS.w && r.y + r.h <= CANVAS.h, name).toBe(true);
    }
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++)
        expect(intersects(all[i][1], all[j][1]), `${all[i][0]} and ${all[j][0]}`).toBe(false);
  });

  it("touching edges do not count as intersecting", () => {
    expect(intersects({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 })).toBe(false);
    expect(intersects({ x: 0, y: 0, w: 10, h: 10 }, { x: 9, y: 9, w: 10, h: 10 })).toBe(true);
  });

  it("a zone moves by ?zone=, and a bad one is ignored", () => {
    expect(zoneRect("captions", "?zone=260,120,1400,188")).toEqual({ x: 260, y: 120, w: 1400, h: 188 });
    expect(zoneRect("captions", "?zone=1900,0,100,10")).toEqual(ZONES.captions);
    expect(parseRect("1,2,3")).toBeNull();
    expect(parseRect("a,b,c,d")).toBeNull();
  });
});
