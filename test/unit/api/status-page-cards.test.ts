// The status page's instance card (browser/cards.js, evaluated as the page does, in one
// scope with format.js): the VIPs it lists.
import { describe, expect, test } from "bun:test";
import formatJs from "../../../src/api/status-page/browser/format.js" with { type: "text" };
import cardsJs from "../../../src/api/status-page/browser/cards.js" with { type: "text" };
import type { InstanceView } from "../../../src/api/ports.ts";
import { FakeApi } from "./fakes.ts";

const render = new Function(`${formatJs}\n${cardsJs}\nreturn { instanceCard };`)() as { instanceCard(inst: InstanceView, nowMs: number): string };

/** The text of the card's VIPs entry. */
function vipsEntry(inst: InstanceView): string {
  const card = render.instanceCard(inst, inst.stateSinceMs);
  return /<dt>VIPs<\/dt><dd class="mono">(.*?)<\/dd>/.exec(card)![1]!;
}

describe("status page card: VIPs", () => {
  test("excluded VIPs are listed after the normal ones, marked", () => {
    const inst = new FakeApi().instance("VI_1");
    inst.vips = ["10.99.0.41/24", "10.99.0.42/32"];
    inst.excludedVips = ["10.99.1.41/24"];
    expect(vipsEntry(inst)).toBe('10.99.0.41/24<br>10.99.0.42/32<br>10.99.1.41/24 <span class="muted">(excluded)</span>');
  });

  test("only excluded VIPs, and none at all", () => {
    const inst = new FakeApi().instance("VI_1");
    inst.vips = [];
    inst.excludedVips = ["10.99.1.41/32"];
    expect(vipsEntry(inst)).toBe('10.99.1.41/32 <span class="muted">(excluded)</span>');
    inst.excludedVips = [];
    expect(vipsEntry(inst)).toBe('<span class="muted">none</span>');
  });
});

describe("status page card: held at start", () => {
  test("a held instance shows a badge saying by what; one not held shows none", () => {
    const inst = new FakeApi().instance("VI_2");
    expect(render.instanceCard(inst, inst.stateSinceMs)).not.toContain('data-role="held"');
    inst.held = { untilMs: inst.stateSinceMs + 9_000, by: ["vrrp_startup_delay", "director"] };
    expect(render.instanceCard(inst, inst.stateSinceMs)).toContain(
      '<span class="badge maint" data-role="held" title="held in BACKUP at start by vrrp_startup_delay and director">held</span>',
    );
  });
});
