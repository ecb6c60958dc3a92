// ipvs-cards.js as ../index.ts imports it (with { type: "text" }): its source text, not a module.
declare const source: string;
export default source;
